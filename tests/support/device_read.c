/*
 * sr_test_device_read: what the device scout will do with a device, as a
 * test can check it: reads the probe (sysObjectID, sysDescr, hrDeviceDescr,
 * prtGeneralSerialNumber) from an SNMP agent, picks a driver among the
 * named ones (sr_device_pick), and prints the winner's identity, status,
 * alerts, supplies and meters, one "key: value" line each.
 * usage: sr_test_device_read -p PLUGIN_DIR [-p DIR...] -d DRIVER [-d DRIVER...]
 *          [-s HOST:PORT] [-u IPP_URI] [-c COMMUNITY]
 * DRIVER is a plugin name, optionally followed by its configuration as a
 * YAML flow map: -d 'ipp_printer {timeout_ms: 500}'. The order of the -d
 * options is the drivers' order (it breaks ties).
 * Exits 0 when a driver was picked, 2 when none knows the device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device_pick.h"
#include "snmp_client.h"

#define MAX_DRIVERS 8

static void print_status(const char *what, int rc, sr_instance *driver) {
  const char *why = sr_plugin_last_error(driver->plugin);
  printf("%s: error %s%s%s\n", what, sr_status_name(rc), *why ? ": " : "", why);
}

/* Reads one probe member, "" when the agent has none. */
static void probe_get(sr_snmp *s, const char *oid, char *out, size_t size) {
  if (!s || sr_snmp_get(s, oid, out, size) != SR_OK)
    out[0] = '\0';
}

static int first_value(void *ctx, const char *oid, const char *value) {
  (void)oid;
  snprintf(ctx, 256, "%s", value);
  return SR_ERR_EXISTS;
}

static void read_all(sr_instance *driver, const sr_device_target *target) {
  const sr_device_ops *ops = &sr_instance_ops_of(driver)->device;
  int rc;
  if (ops->read_status) {
    sr_device_status st = {.struct_size = sizeof st};
    sr_instance_call_begin(driver);
    rc = ops->read_status(driver->state, target, &st);
    sr_instance_call_end(driver);
    if (rc == SR_OK)
      printf("status: state=%d alerts=0x%x message=%s\n", st.state, st.alerts, st.message);
    else
      print_status("status", rc, driver);
  }
  if (ops->read_alerts) {
    sr_device_alerts al = {.struct_size = sizeof al};
    sr_instance_call_begin(driver);
    rc = ops->read_alerts(driver->state, target, &al);
    sr_instance_call_end(driver);
    if (rc != SR_OK)
      print_status("alerts", rc, driver);
    for (uint32_t i = 0; rc == SR_OK && i < al.count; i++)
      printf("alert: severity=%d group=%s code=%d reason=%s description=%s\n", al.items[i].severity,
             al.items[i].group, al.items[i].code, al.items[i].reason, al.items[i].description);
    if (rc == SR_OK)
      printf("alerts: %u\n", al.count);
  }
  if (ops->read_supplies) {
    sr_device_supplies su = {.struct_size = sizeof su};
    sr_instance_call_begin(driver);
    rc = ops->read_supplies(driver->state, target, &su);
    sr_instance_call_end(driver);
    if (rc != SR_OK)
      print_status("supplies", rc, driver);
    for (uint32_t i = 0; rc == SR_OK && i < su.count; i++)
      printf("supply: name=%s type=%s percent=%d color=%s level=%d capacity=%d unit=%s\n",
             su.items[i].name, su.items[i].type, su.items[i].level_percent, su.more[i].color,
             su.more[i].level, su.more[i].capacity, su.more[i].unit);
    if (rc == SR_OK)
      printf("supplies: %u\n", su.count);
  }
  if (ops->read_meters) {
    sr_device_meters m = {.struct_size = sizeof m};
    sr_instance_call_begin(driver);
    rc = ops->read_meters(driver->state, target, &m);
    sr_instance_call_end(driver);
    if (rc == SR_OK)
      printf("meters: total=%lld mono=%lld color=%lld sheets=%lld two_sided=%lld "
             "mono_impressions=%lld color_impressions=%lld\n",
             (long long)m.total_pages, (long long)m.mono_pages, (long long)m.color_pages,
             (long long)m.sheets, (long long)m.two_sided_sheets, (long long)m.mono_impressions,
             (long long)m.color_impressions);
    else
      print_status("meters", rc, driver);
  }
}

int main(int argc, char **argv) {
  const char *snmp_address = NULL, *ipp_uri = NULL, *community = "public";
  /* the drivers, in the order given */
  char yaml[2048] = "drivers:\n";
  sr_loader *loader = sr_loader_new(NULL);
  int opt;
  while ((opt = getopt(argc, argv, "p:d:s:u:c:")) != -1) {
    switch (opt) {
    case 'p': sr_loader_add_path(loader, optarg); break;
    case 'd': {
      size_t used = strlen(yaml), name_len = strcspn(optarg, " ");
      const char *config = optarg + name_len;
      snprintf(yaml + used, sizeof yaml - used, "  - plugin: %.*s\n%s%s%s", (int)name_len, optarg,
               *config ? "    config: " : "", config, *config ? "\n" : "");
      break;
    }
    case 's': snmp_address = optarg; break;
    case 'u': ipp_uri = optarg; break;
    case 'c': community = optarg; break;
    default: return 64;
    }
  }
  sr_config *cfg = sr_config_load_string("drivers.yaml", yaml, strlen(yaml));
  sr_instance *drivers[MAX_DRIVERS];
  size_t n = 0;
  char err[512];
  if (sr_instances_create(loader, SR_PLUGIN_DEVICE, sr_config_get(sr_config_root(cfg), "drivers"),
                          drivers, MAX_DRIVERS, &n, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr_test_device_read: %s\n", err);
    return 1;
  }

  sr_snmp *snmp = NULL;
  if (snmp_address) {
    sr_snmp_options options = {.version = 1, .community = community, .timeout_ms = 1000};
    if (sr_snmp_open(snmp_address, &options, &snmp, err, sizeof err) != SR_OK) {
      fprintf(stderr, "sr_test_device_read: %s\n", err);
      return 1;
    }
  }
  char object_id[256], descr[256], hr_descr[256] = "", serial[128];
  probe_get(snmp, "1.3.6.1.2.1.1.2.0", object_id, sizeof object_id);
  probe_get(snmp, "1.3.6.1.2.1.1.1.0", descr, sizeof descr);
  probe_get(snmp, "1.3.6.1.2.1.43.5.1.1.17.1", serial, sizeof serial);
  if (snmp)
    sr_snmp_walk(snmp, "1.3.6.1.2.1.25.3.2.1.3", first_value, hr_descr);
  sr_device_probe probe = {
      .struct_size = sizeof probe,
      .address = snmp_address ? snmp_address : ipp_uri,
      .sys_object_id = *object_id ? object_id : NULL,
      .sys_descr = *descr ? descr : NULL,
      .hr_device_descr = *hr_descr ? hr_descr : NULL,
      .ipp_uri = ipp_uri,
      .serial = *serial ? serial : NULL,
      .snmp_address = snmp_address,
  };
  sr_device_identity id;
  int picked = sr_device_pick(drivers, n, &probe, &id);
  int status = 2;
  if (picked >= 0) {
    printf("driver: %s\nscore: %d\nvendor: %s\nmodel: %s\nserial: %s\n", drivers[picked]->name,
           id.score, id.vendor, id.model, id.serial);
    sr_device_target target = {.struct_size = sizeof target};
    if (snmp)
      sr_snmp_target(snmp, &target);
    target.address = probe.address;
    target.ipp_uri = ipp_uri;
    read_all(drivers[picked], &target);
    status = 0;
  } else {
    printf("driver: none\n");
    /* why each driver passed, as far as it said (sr_device_pick leaves
     * each plugin's last reason readable on this thread) */
    for (size_t i = 0; i < n; i++)
      if (*sr_plugin_last_error(drivers[i]->plugin))
        printf("refused %s: %s\n", drivers[i]->name, sr_plugin_last_error(drivers[i]->plugin));
  }
  sr_snmp_close(snmp);
  for (size_t i = 0; i < n; i++)
    sr_instance_destroy(drivers[i]);
  sr_config_free(cfg);
  sr_loader_free(loader);
  return status;
}
