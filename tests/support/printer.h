/*
 * An emulated IPP Everywhere printer for tests: ippeveprinter (IPP and IPPS
 * on one port) with its private D-Bus daemon, in a temporary directory.
 * Every job is kept in `spool` as N-NAME.EXT next to N-NAME.EXT.env, the
 * job's attributes as IPP_* lines (IPP_COPIES=2, IPP_SIDES=...).
 * While a file named `hold` exists in `dir`, the printer stays busy with
 * the job it is printing (it answers others server-error-busy).
 */
#ifndef SR_TEST_PRINTER_H
#define SR_TEST_PRINTER_H

#include "peer.h"

typedef struct sr_test_printer {
  char dir[64];
  char spool[96];
  char ssl[96]; /* ca.crt, other-ca.crt, localhost.crt/.key (CA-signed) */
  int port;
  sr_peer dbus;
  sr_peer ipp;
} sr_test_printer;

/* Starts the printer; false (and nothing left running) on failure. */
bool sr_test_printer_start(sr_test_printer *p);

/* Stops it and removes its directory. */
void sr_test_printer_stop(sr_test_printer *p);

/* Waits for the document of job `job_id` (and its .env file); writes their
 * paths. False after `timeout_ms`. */
bool sr_test_printer_wait_job(const sr_test_printer *p, int job_id, char *doc, size_t doc_size,
                              char *env, size_t env_size, int timeout_ms);

#endif
