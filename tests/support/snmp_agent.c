#include "snmp_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sr_test_snmp_agent_start(sr_test_snmp_agent *a, const sr_test_printer_state *st) {
  memset(a, 0, sizeof *a);
  if (!sr_test_tmpdir("snmp", a->dir))
    return false;
  a->port = sr_test_free_port(); /* a free TCP port is nearly always a free UDP one */
  snprintf(a->address, sizeof a->address, "127.0.0.1:%d", a->port);
  char conf[128], log[128], persist[160];
  snprintf(conf, sizeof conf, "%s/snmpd.conf", a->dir);
  snprintf(log, sizeof log, "%s/snmpd.log", a->dir);
  snprintf(persist, sizeof persist, "SNMP_PERSISTENT_DIR=%s", a->dir);
  FILE *f = fopen(conf, "w");
  if (!f)
    goto fail;
  fprintf(f,
          "agentaddress udp:127.0.0.1:%d\n"
          "rocommunity public 127.0.0.1\n"
          "sysdescr Test Laser 4000\n"
          "sysobjectid .1.3.6.1.4.1.11.2.3.9.1\n"
          "override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str \"Test Laser 4000\"\n"
          "override .1.3.6.1.2.1.25.3.2.1.5.1 integer %d\n"
          "override .1.3.6.1.2.1.25.3.5.1.1.1 integer %d\n"
          "override .1.3.6.1.2.1.25.3.5.1.2.1 octet_str 0x%s\n"
          "override .1.3.6.1.2.1.43.10.2.1.4.1.1 counter %ld\n"
          "override .1.3.6.1.2.1.43.11.1.1.5.1.1 integer 3\n"
          "override .1.3.6.1.2.1.43.11.1.1.6.1.1 octet_str \"Black Toner\"\n"
          "override .1.3.6.1.2.1.43.11.1.1.8.1.1 integer 200\n"
          "override .1.3.6.1.2.1.43.11.1.1.9.1.1 integer %d\n",
          a->port, st->device_status, st->printer_status, st->errors ? st->errors : "0000",
          st->page_count, st->toner_level * 2);
  fclose(f);
  char *env[] = {persist, "MIBS=", NULL};
  char *argv[] = {"snmpd", "-C", "-c", conf, "-I", "-smux", "-Lf", log, "-f", NULL};
  if (!sr_peer_start(&a->snmpd, "snmpd", argv, env, NULL) ||
      !sr_peer_wait_listening(&a->snmpd, a->port, true, 5000))
    goto fail;
  return true;
fail:
  sr_test_snmp_agent_stop(a);
  return false;
}

void sr_test_snmp_agent_stop(sr_test_snmp_agent *a) {
  sr_peer_stop(&a->snmpd);
  if (a->dir[0])
    sr_test_rmtree(a->dir);
  a->dir[0] = '\0';
}
