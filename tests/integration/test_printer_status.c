/* Printer status over SNMP with the printer_mib driver, against snmpd
 * playing a printer in each condition the release check cares about. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "printer_check.h"
#include "snmp_agent.h"

static sr_loader *loader;
static sr_config *cfg;
static sr_instance *driver;
static const sr_snmp_options snmp = {.version = 1, .timeout_ms = 300, .retries = 0};

static int group_setup(void **state) {
  (void)state;
  const char *yaml = "d:\n  plugin: printer_mib\n";
  cfg = sr_config_load_string("d.yaml", yaml, strlen(yaml));
  loader = sr_loader_new(NULL);
  sr_loader_add_path(loader, SR_TEST_PLUGIN_DIR);
  char err[512];
  if (sr_instance_create(loader, SR_PLUGIN_DEVICE, sr_config_get(sr_config_root(cfg), "d"), &driver,
                         err, sizeof err) != SR_OK) {
    print_message("%s\n", err);
    return -1;
  }
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  sr_instance_destroy(driver);
  sr_loader_free(loader);
  sr_config_free(cfg);
  return 0;
}

/* Starts an agent in `st`, runs the check, stops the agent. */
static int check(const sr_test_printer_state *st, sr_device_status *out, char *reason,
                 size_t size) {
  sr_test_snmp_agent agent;
  assert_true(sr_test_snmp_agent_start(&agent, st));
  int rc = sr_printer_check(driver, agent.address, &snmp, out, reason, size);
  sr_test_snmp_agent_stop(&agent);
  return rc;
}

static void test_idle_printer_is_ready(void **state) {
  (void)state;
  sr_test_printer_state st = {2, 3, "0000", 1234, 42};
  sr_device_status s;
  char reason[256];
  assert_int_equal(check(&st, &s, reason, sizeof reason), SR_OK);
  assert_int_equal(s.state, SR_DEVICE_IDLE);
  assert_int_equal(s.alerts, 0);
}

static void test_stopping_conditions_keep_the_job(void **state) {
  (void)state;
  static const struct {
    const char *errors;
    int device, printer, state;
    uint32_t alert;
    const char *words;
  } cases[] = {
      {"4000", 5, 1, SR_DEVICE_ERROR, SR_ALERT_NO_PAPER, "no paper"},
      {"0400", 5, 1, SR_DEVICE_ERROR, SR_ALERT_JAM, "paper jam"},
      {"0800", 5, 1, SR_DEVICE_ERROR, SR_ALERT_DOOR_OPEN, "door open"},
      {"0200", 5, 1, SR_DEVICE_OFFLINE, SR_ALERT_OFFLINE, "offline"},
      {"0c00", 5, 1, SR_DEVICE_ERROR, SR_ALERT_JAM | SR_ALERT_DOOR_OPEN, "door open, paper jam"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    sr_test_printer_state st = {cases[i].device, cases[i].printer, cases[i].errors, 10, 50};
    sr_device_status s;
    char reason[256], expected[128];
    assert_int_equal(check(&st, &s, reason, sizeof reason), SR_ERR_PEER);
    assert_int_equal(s.state, cases[i].state);
    assert_int_equal(s.alerts, cases[i].alert);
    snprintf(expected, sizeof expected, "reports %s", cases[i].words);
    if (!strstr(reason, expected))
      fail_msg("case %zu: '%s' lacks '%s'", i, reason, expected);
  }
}

static void test_warnings_do_not_stop_printing(void **state) {
  (void)state;
  sr_test_printer_state st = {3, 4, "2000", 10, 5}; /* toner low, printing */
  sr_device_status s;
  char reason[256];
  assert_int_equal(check(&st, &s, reason, sizeof reason), SR_OK);
  assert_int_equal(s.state, SR_DEVICE_PRINTING);
  assert_int_equal(s.alerts, SR_ALERT_TONER_LOW);
  assert_string_equal(s.message, "toner low");
}

static void test_silent_printer_times_out(void **state) {
  (void)state;
  char address[32], reason[256];
  snprintf(address, sizeof address, "127.0.0.1:%d", sr_test_free_port());
  assert_int_equal(sr_printer_check(driver, address, &snmp, NULL, reason, sizeof reason),
                   SR_ERR_TIMEOUT);
  char expected[96];
  snprintf(expected, sizeof expected, "SNMP agent %s: no answer", address);
  assert_string_equal(reason, expected);
}

static void test_meters_supplies_identity(void **state) {
  (void)state;
  sr_test_printer_state st = {2, 3, "0000", 98765, 42};
  sr_test_snmp_agent agent;
  assert_true(sr_test_snmp_agent_start(&agent, &st));
  sr_snmp *session = NULL;
  char err[256], value[256];
  assert_int_equal(sr_snmp_open(agent.address, &snmp, &session, err, sizeof err), SR_OK);
  sr_device_target target;
  sr_snmp_target(session, &target);
  const sr_device_ops *ops = &sr_instance_ops_of(driver)->device;

  sr_device_meters m = {.struct_size = sizeof m};
  assert_int_equal(ops->read_meters(driver->state, &target, &m), SR_OK);
  assert_int_equal(m.total_pages, 98765);

  sr_device_supplies sup = {.struct_size = sizeof sup};
  assert_int_equal(ops->read_supplies(driver->state, &target, &sup), SR_OK);
  assert_int_equal(sup.count, 1);
  assert_string_equal(sup.items[0].name, "Black Toner");
  assert_string_equal(sup.items[0].type, "toner");
  assert_int_equal(sup.items[0].level_percent, 42);

  assert_int_equal(sr_snmp_get(session, ".1.3.6.1.2.1.1.2.0", value, sizeof value), SR_OK);
  assert_string_equal(value, "1.3.6.1.4.1.11.2.3.9.1");
  char descr[256];
  assert_int_equal(sr_snmp_get(session, "1.3.6.1.2.1.1.1.0", descr, sizeof descr), SR_OK);
  sr_device_probe probe = {.struct_size = sizeof probe,
                           .address = agent.address,
                           .sys_object_id = value,
                           .sys_descr = descr};
  sr_device_identity id = {.struct_size = sizeof id};
  /* no prtGeneralSerialNumber in the probe: no Printer MIB, no printer */
  assert_int_equal(ops->identify(driver->state, &probe, &id), SR_ERR_UNSUPPORTED);
  probe.serial = "SN-4000";
  assert_int_equal(ops->identify(driver->state, &probe, &id), SR_OK);
  assert_string_equal(id.vendor, "HP");
  assert_string_equal(id.model, "Test Laser 4000");
  assert_string_equal(id.serial, "SN-4000");
  assert_int_equal(sr_snmp_get(session, "1.3.6.1.2.1.1.99.0", value, sizeof value),
                   SR_ERR_NOT_FOUND);
  sr_snmp_close(session);
  sr_test_snmp_agent_stop(&agent);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_idle_printer_is_ready),
      cmocka_unit_test(test_stopping_conditions_keep_the_job),
      cmocka_unit_test(test_warnings_do_not_stop_printing),
      cmocka_unit_test(test_silent_printer_times_out),
      cmocka_unit_test(test_meters_supplies_identity),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
