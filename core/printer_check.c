#include "printer_check.h"

#include <stdio.h>
#include <string.h>

int sr_printer_check(sr_instance *driver, const char *snmp_address, const sr_snmp_options *snmp,
                     sr_device_status *status, char *reason, size_t reason_size) {
  sr_device_status local;
  if (!status)
    status = &local;
  memset(status, 0, sizeof *status);
  status->struct_size = sizeof *status;
  reason[0] = '\0';
  const sr_device_ops *ops = &sr_instance_ops_of(driver)->device;
  if (!ops->read_status) {
    snprintf(reason, reason_size, "device driver %s cannot read status", driver->name);
    return SR_ERR_UNSUPPORTED;
  }
  sr_snmp *session = NULL;
  int rc = sr_snmp_open(snmp_address, snmp, &session, reason, reason_size);
  if (rc != SR_OK)
    return rc;
  sr_device_target target;
  sr_snmp_target(session, &target);
  sr_instance_call_begin(driver);
  rc = ops->read_status(driver->state, &target, status);
  sr_instance_call_end(driver);
  if (rc != SR_OK) {
    const char *why =
        *sr_snmp_error(session) ? sr_snmp_error(session) : sr_plugin_last_error(driver->plugin);
    snprintf(reason, reason_size, "%s", *why ? why : sr_status_name(rc));
  } else if (status->state == SR_DEVICE_ERROR || status->state == SR_DEVICE_OFFLINE) {
    snprintf(reason, reason_size, "printer %s reports %s", snmp_address,
             status->message[0]                   ? status->message
             : status->state == SR_DEVICE_OFFLINE ? "offline"
                                                  : "an error");
    rc = SR_ERR_PEER;
  }
  sr_snmp_close(session);
  return rc;
}
