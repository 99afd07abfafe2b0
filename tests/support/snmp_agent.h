/*
 * An SNMP agent playing a printer for tests: snmpd on 127.0.0.1 with fixed
 * answers (sysDescr, Printer MIB status, error bits, counters, supplies).
 */
#ifndef SR_TEST_SNMP_AGENT_H
#define SR_TEST_SNMP_AGENT_H

#include "peer.h"

typedef struct sr_test_snmp_agent {
  char dir[64];
  char address[32]; /* "127.0.0.1:PORT" */
  int port;
  sr_peer snmpd;
} sr_test_snmp_agent;

/* What the printer reports. */
typedef struct sr_test_printer_state {
  int device_status;  /* hrDeviceStatus: 2 running, 3 warning, 5 down */
  int printer_status; /* hrPrinterStatus: 1 other, 3 idle, 4 printing */
  const char *errors; /* hrPrinterDetectedErrorState as hex, e.g. "4000" (no paper) */
  long page_count;
  int toner_level; /* of 100 */
} sr_test_printer_state;

bool sr_test_snmp_agent_start(sr_test_snmp_agent *a, const sr_test_printer_state *state);
void sr_test_snmp_agent_stop(sr_test_snmp_agent *a);

#endif
