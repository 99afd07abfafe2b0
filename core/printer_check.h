/*
 * Whether a printer can print right now, asked before a release is sent:
 * a printer reporting no paper, a jam, an open door, no toner, a full
 * output bin or offline is not sent to; the release fails with that
 * reason and the job stays held.
 */
#ifndef SR_CORE_PRINTER_CHECK_H
#define SR_CORE_PRINTER_CHECK_H

#include "instance.h"
#include "snmp_client.h"

/* Reads the printer's status at `snmp_address` with the device driver
 * `driver`. Returns SR_OK (ready; *status filled), SR_ERR_PEER (the
 * printer reports a condition that stops printing: `reason` says which),
 * SR_ERR_TIMEOUT (no SNMP answer: state unknown, the caller decides), or
 * another error. `status` may be NULL. */
int sr_printer_check(sr_instance *driver, const char *snmp_address, const sr_snmp_options *snmp,
                     sr_device_status *status, char *reason, size_t reason_size);

#endif
