/* The YAML loader and the service schemas: values, defaults, ${ENV}, and
 * one located error per problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "service_config.h"

static sr_config *load(const char *text) {
  sr_config *cfg = sr_config_load_string("svc.yaml", text, strlen(text));
  assert_non_null(cfg);
  return cfg;
}

/* Asserts the document has exactly `n` errors and that error `i` reads
 * `expected` in full. */
static void assert_error(const sr_config *cfg, size_t n, size_t i, const char *expected) {
  if (sr_config_error_count(cfg) != n) {
    for (size_t k = 0; k < sr_config_error_count(cfg); k++)
      print_message("error: %s\n", sr_config_error(cfg, k));
    fail_msg("expected %zu errors, got %zu", n, sr_config_error_count(cfg));
  }
  assert_string_equal(sr_config_error(cfg, i), expected);
}

static void test_valid_cloud_with_defaults(void **state) {
  (void)state;
  sr_config *cfg = load("service: cloud\n"
                        "listen:\n"
                        "  port: 9000\n"
                        "storage:\n"
                        "  - plugin: local\n"
                        "    name: eu\n"
                        "    config: {root: /srv/eu}\n");
  sr_service_config sc;
  assert_true(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sc.service, SR_SERVICE_CLOUD);
  assert_int_equal(sc.u.cloud.listen.port, 9000);
  assert_string_equal(sc.u.cloud.listen.address, "127.0.0.1"); /* default */
  assert_int_equal(sc.log.level, 1);                           /* info */
  assert_int_equal(sc.u.cloud.job_expiry, 48 * 3600);
  assert_int_equal(sc.u.cloud.mqtt.keepalive, 30);
  assert_string_equal(sc.u.cloud.database.path, "cloud.db");
  assert_non_null(sc.u.cloud.storage);
  assert_int_equal(sc.u.cloud.storage->count, 1);
  const sr_config_node *root = sr_config_get(sc.u.cloud.storage->items[0], "config");
  assert_string_equal(sr_config_get(root, "root")->value, "/srv/eu");
  assert_string_equal(sr_config_get(root, "root")->path, "storage[0].config.root");
  sr_config_free(cfg);
}

static void test_unknown_key_did_you_mean(void **state) {
  (void)state;
  sr_config *cfg = load("service: cloud\nlisten:\n  prot: 9000\n");
  sr_service_config sc;
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 1, 0, "svc.yaml:3:3: 'listen.prot': unknown key (did you mean 'port'?)");
  sr_config_free(cfg);

  cfg = load("service: cloud\nfrobnicate: 1\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 1, 0, "svc.yaml:2:1: 'frobnicate': unknown key");
  sr_config_free(cfg);
}

static void test_every_error_is_reported(void **state) {
  (void)state;
  sr_config *cfg = load("service: print-scout\n"
                        "log:\n"
                        "  level: verbose\n"
                        "queue:\n"
                        "  port: 70000\n"
                        "mqtt:\n"
                        "  keepalive: soon\n"
                        "transports: ipps\n"
                        "user: u\nsecret_file: /s\n");
  sr_service_config sc;
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 5, 0,
               "svc.yaml:3:10: 'log.level': expected one of debug, info, warn, error, got "
               "'verbose'");
  assert_error(cfg, 5, 1,
               "svc.yaml:5:9: 'queue.port': expected an integer from 0 to 65535, got '70000'");
  assert_error(cfg, 5, 2,
               "svc.yaml:7:14: 'mqtt.keepalive': expected a duration such as 30s, 15m, 48h or "
               "7d (MQTT needs 5s to 1h), got 'soon'");
  assert_error(cfg, 5, 3, "svc.yaml:1:1: missing required key 'storage': the local job store");
  assert_error(cfg, 5, 4,
               "svc.yaml:8:13: 'transports': expected a list of plugin sections (delivery "
               "transports, tried in order), got 'ipps'");
  sr_config_free(cfg);
}

static void test_plugin_section_errors(void **state) {
  (void)state;
  sr_config *cfg = load("service: print-scout\n"
                        "storage:\n"
                        "  config: {root: /x}\n"
                        "  plugn: local\n"
                        "transports:\n"
                        "  - plugin: Bad/Name\n"
                        "user: u\nsecret_file: /s\n");
  sr_service_config sc;
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 3, 0, "svc.yaml:4:3: 'storage.plugn': unknown key (did you mean 'plugin'?)");
  assert_error(cfg, 3, 1,
               "svc.yaml:3:3: 'storage': missing required key 'plugin' (the plugin's name)");
  assert_error(cfg, 3, 2,
               "svc.yaml:6:13: 'transports[0].plugin': expected a plugin name of [a-z0-9_-]");
  sr_config_free(cfg);
}

static void test_syntax_error_location(void **state) {
  (void)state;
  sr_config *cfg = load("service: cloud\nlisten:\n  port: [9000\n");
  assert_int_equal(sr_config_error_count(cfg), 1);
  const char *e = sr_config_error(cfg, 0);
  assert_true(strncmp(e, "svc.yaml:4:1: YAML syntax error: ", 33) == 0);
  sr_config_free(cfg);

  /* the schema is not checked on a partial tree: only the syntax error */
  cfg = load("service: cloud\nmqtt: {port: 1\n");
  sr_service_config sc;
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sr_config_error_count(cfg), 1);
  sr_config_free(cfg);

  cfg = load("service: cloud\n  bad indent: 1\n");
  assert_int_equal(sr_config_error_count(cfg), 1);
  assert_non_null(strstr(sr_config_error(cfg, 0), "svc.yaml:2:"));
  sr_config_free(cfg);
}

static void test_duplicate_and_alias_and_wrong_root(void **state) {
  (void)state;
  sr_config *cfg = load("service: cloud\nservice: cloud\n");
  assert_error(cfg, 1, 0, "svc.yaml:2:1: 'service': duplicate key");
  sr_config_free(cfg);

  cfg = load("a: &x [1]\nb: *x\n");
  assert_error(cfg, 1, 0,
               "svc.yaml:2:4: 'b': YAML aliases (*name) are not supported: write the value out");
  sr_config_free(cfg);

  cfg = load("- 1\n- 2\n");
  assert_error(cfg, 1, 0, "svc.yaml:1:1: the file must be a map of sections (key: value)");
  sr_config_free(cfg);

  cfg = load("a: 1\n---\nb: 2\n");
  assert_error(cfg, 1, 0, "svc.yaml:2:1: only one YAML document per file");
  sr_config_free(cfg);
}

static void test_deep_nesting_is_an_error_not_a_crash(void **state) {
  (void)state;
  char text[4096] = "a: ";
  for (int i = 0; i < 200; i++)
    strcat(text, "[");
  sr_config *cfg = load(text);
  assert_true(sr_config_error_count(cfg) >= 1);
  assert_non_null(strstr(sr_config_error(cfg, 0), "nested too deeply"));
  sr_config_free(cfg);
}

static void test_env_expansion(void **state) {
  (void)state;
  setenv("SR_TEST_DB_URL", "postgresql://u:secret@127.0.0.1/db", 1);
  unsetenv("SR_TEST_UNSET");
  sr_config *cfg = load("service: cloud\n"
                        "database:\n"
                        "  driver: postgresql\n"
                        "  url: ${SR_TEST_DB_URL}\n"
                        "  path: ${SR_TEST_UNSET:-/var/lib/sr}/cloud.db\n"
                        "listen:\n"
                        "  address: $${literal}\n");
  sr_service_config sc;
  assert_true(sr_service_config_apply(cfg, &sc));
  assert_string_equal(sc.u.cloud.database.url, "postgresql://u:secret@127.0.0.1/db");
  assert_string_equal(sc.u.cloud.database.path, "/var/lib/sr/cloud.db");
  assert_string_equal(sc.u.cloud.listen.address, "${literal}");
  sr_config_free(cfg);

  cfg = load("service: cloud\ndatabase:\n  url: ${SR_TEST_UNSET}\n");
  assert_error(cfg, 1, 0,
               "svc.yaml:3:8: 'database.url': environment variable SR_TEST_UNSET is not set");
  sr_config_free(cfg);

  /* a secret from the environment is never echoed in an error */
  setenv("SR_TEST_SECRET_PORT", "hunter2", 1);
  cfg = load("service: cloud\nlisten:\n  port: ${SR_TEST_SECRET_PORT}\n");
  sr_service_config sc2;
  assert_false(sr_service_config_apply(cfg, &sc2));
  assert_error(cfg, 1, 0,
               "svc.yaml:3:9: 'listen.port': expected an integer (a TCP port, 0 picks a free "
               "one), got the value of ${SR_TEST_SECRET_PORT}");
  assert_null(strstr(sr_config_error(cfg, 0), "hunter2"));
  sr_config_free(cfg);

  /* nor when it is a number out of range */
  setenv("SR_TEST_SECRET_NUMBER", "987654321", 1);
  cfg = load("service: cloud\nlisten:\n  port: ${SR_TEST_SECRET_NUMBER}\n");
  assert_false(sr_service_config_apply(cfg, &sc2));
  assert_error(cfg, 1, 0,
               "svc.yaml:3:9: 'listen.port': expected an integer from 0 to 65535, got the value of "
               "${SR_TEST_SECRET_NUMBER}");
  sr_config_free(cfg);
}

static void test_missing_or_unknown_service(void **state) {
  (void)state;
  sr_service_config sc;
  sr_config *cfg = load("log: {level: info}\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 1, 0,
               "svc.yaml:1:1: missing required key 'service' (one of cloud, print-scout, "
               "device-scout)");
  sr_config_free(cfg);

  cfg = load("service: printer\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 1, 0,
               "svc.yaml:1:10: 'service': expected one of cloud, print-scout, device-scout, got "
               "'printer'");
  sr_config_free(cfg);

  cfg = load("");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sr_config_error_count(cfg), 1);
  sr_config_free(cfg);
}

static void test_missing_file(void **state) {
  (void)state;
  sr_config *cfg = sr_config_load_file("/nonexistent/dir/x.yaml");
  assert_error(cfg, 1, 0, "/nonexistent/dir/x.yaml:1:1: cannot open: No such file or directory");
  assert_string_equal(sr_config_dir(cfg), "/nonexistent/dir");
  sr_config_free(cfg);
}

static void test_example_configs_parse(void **state) {
  (void)state;
  static const char *const files[] = {"cloud.yaml", "print-scout.yaml", "device-scout.yaml"};
  setenv("SR_PLUGIN_DIR", SR_TEST_PLUGIN_DIR, 1);
  for (size_t i = 0; i < 3; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/config/%s", SR_TEST_SOURCE_DIR, files[i]);
    sr_config *cfg = sr_config_load_file(path);
    sr_service_config sc;
    bool ok = sr_service_config_apply(cfg, &sc);
    for (size_t k = 0; k < sr_config_error_count(cfg); k++)
      print_message("%s\n", sr_config_error(cfg, k));
    assert_true(ok);
    assert_int_equal(sc.service, (int)i);
    sr_config_free(cfg);
  }
}

/* The cloud's region table: as declared, or one "default" region over the
 * first storage instance when none is. */
static void test_cloud_regions(void **state) {
  (void)state;
  sr_config *cfg = load("service: cloud\nmaster_key_file: mk\nstorage:\n"
                        "  - {plugin: local, name: a, config: {root: /a}}\n"
                        "  - {plugin: local, name: b, config: {root: /b}}\n"
                        "regions:\n"
                        "  - {name: eu-west, storage: b, prefix: eu/, label: Ireland,\n"
                        "     privacy: {title: drop, user: pseudonym}}\n"
                        "  - {name: us-east, storage: b}\n");
  sr_service_config sc;
  assert_true(sr_service_config_apply(cfg, &sc));
  const sr_cloud_config *cc = &sc.u.cloud;
  assert_int_equal(cc->n_regions, 2);
  assert_string_equal(cc->regions[0].name, "eu-west");
  assert_string_equal(cc->regions[0].storage, "b");
  assert_string_equal(cc->regions[0].prefix, "eu/");
  assert_string_equal(cc->regions[0].label, "Ireland");
  assert_int_equal(cc->regions[0].title, SR_TITLE_DROP);
  assert_int_equal(cc->regions[0].user, SR_USER_PSEUDONYM);
  assert_string_equal(cc->regions[1].prefix, "");
  assert_string_equal(cc->regions[1].label, "us-east");
  assert_int_equal(cc->regions[1].title, SR_TITLE_KEEP);
  assert_int_equal(cc->regions[1].user, SR_USER_KEEP);
  sr_config_free(cfg);

  cfg = load("service: cloud\nstorage:\n  - {plugin: local, name: a, config: {root: /a}}\n"
             "  - {plugin: local, name: b, config: {root: /b}}\n");
  assert_true(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sc.u.cloud.n_regions, 1);
  assert_string_equal(sc.u.cloud.regions[0].name, "default");
  assert_string_equal(sc.u.cloud.regions[0].storage, "a");
  sr_config_free(cfg);

  cfg = load("service: cloud\n");
  assert_true(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sc.u.cloud.n_regions, 0);
  sr_config_free(cfg);
}

static void test_device_scout_identity_rules(void **state) {
  (void)state;
  sr_config *cfg = load("service: device-scout\n"
                        "tenant: t1\n"
                        "identity:\n"
                        "  card_format: hex\n"
                        "  pin_length: 6\n");
  sr_service_config sc;
  assert_true(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sc.u.device_scout.identity.card_format, 1); /* SR_CARD_HEX */
  assert_true(sc.u.device_scout.identity.card_strip_zeros);    /* default */
  assert_int_equal(sc.u.device_scout.identity.pin_length, 6);
  assert_int_equal(sc.u.device_scout.snmp.timeout_ms, 1000);
  /* the monitor's default cadences */
  assert_int_equal(sc.u.device_scout.monitor.status, 60);
  assert_int_equal(sc.u.device_scout.monitor.alerts, 60);
  assert_int_equal(sc.u.device_scout.monitor.meters, 3600);
  assert_int_equal(sc.u.device_scout.monitor.supplies, 900);
  assert_int_equal(sc.u.device_scout.monitor.health, 86400);
  sr_config_free(cfg);

  cfg = load("service: device-scout\ntenant: t1\nmonitor: {supplies: 15m, status: 1s}\n");
  assert_true(sr_service_config_apply(cfg, &sc));
  assert_int_equal(sc.u.device_scout.monitor.supplies, 900);
  assert_int_equal(sc.u.device_scout.monitor.status, 1);
  sr_config_free(cfg);
  cfg = load("service: device-scout\ntenant: t1\nmonitor: {status: 0s}\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  sr_config_free(cfg);

  cfg = load("service: device-scout\ntenant: t1\nidentity:\n  pin_length: 3\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 1, 0,
               "svc.yaml:4:15: 'identity.pin_length': expected an integer from 4 to 12, got '3'");
  sr_config_free(cfg);

  /* bad targets are errors of the file (srctl config check), beside the others */
  cfg = load("service: device-scout\ntenant: t1\ndiscovery:\n"
             "  targets: [10.2.0.9-10.2.0.1]\n"
             "  credentials: [{name: a, version: 2c}]\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 2, 0,
               "svc.yaml:5:17: 'discovery.credentials[0]': credential set 'a': version 2c needs a "
               "community");
  assert_error(cfg, 2, 1,
               "svc.yaml:4:13: 'discovery.targets[0]': '10.2.0.9-10.2.0.1': the range ends before "
               "it starts");
  sr_config_free(cfg);

  /* the snmp: section has no v3 credentials: version 3 was read as v2c */
  cfg = load("service: device-scout\ntenant: t1\nsnmp: {version: 3}\n");
  assert_false(sr_service_config_apply(cfg, &sc));
  assert_error(cfg, 1, 0, "svc.yaml:3:17: 'snmp.version': expected one of 1, 2c, got '3'");
  sr_config_free(cfg);
}

/* The least print scout configuration, for the tests of its sections. */
static const char print_scout_base[] =
    "service: print-scout\ntenant: t1\nuser: a@example.com\n"
    "secret_file: s\nstorage: {plugin: local, config: {root: /tmp}}\n";

/* Loads print_scout_base followed by `more` and applies it into *sc; the
 * caller frees the document. */
static sr_config *load_print_scout(const char *more, sr_service_config *sc, bool valid) {
  char text[512];
  snprintf(text, sizeof text, "%s%s", print_scout_base, more);
  sr_config *cfg = load(text);
  assert_int_equal(sr_service_config_apply(cfg, sc), valid);
  return cfg;
}

/* pin_jobs: on by default with 4 to 8 digits; lengths that cannot both
 * hold are refused, naming the section. */
static void test_print_scout_pin_jobs(void **state) {
  (void)state;
  sr_service_config sc;
  sr_config *cfg = load_print_scout("", &sc, true);
  assert_true(sc.u.print_scout.pin_jobs.enabled);
  assert_int_equal(sc.u.print_scout.pin_jobs.min_length, 4);
  assert_int_equal(sc.u.print_scout.pin_jobs.max_length, 8);
  sr_config_free(cfg);

  cfg = load_print_scout("pin_jobs: {enabled: false, min_length: 6, max_length: 6}\n", &sc, true);
  assert_false(sc.u.print_scout.pin_jobs.enabled);
  assert_int_equal(sc.u.print_scout.pin_jobs.min_length, 6);
  sr_config_free(cfg);

  cfg = load_print_scout("pin_jobs:\n  min_length: 9\n", &sc, false);
  assert_error(cfg, 1, 0,
               "svc.yaml:7:3: 'pin_jobs': pin_jobs.min_length (9) is more than max_length (8)");
  sr_config_free(cfg);
}

/* A print scout's MQTT keep-alive is 3 minutes unless set (its pings are
 * most of an idle workstation's traffic); the cloud's stays 30 s. */
static void test_print_scout_keepalive(void **state) {
  (void)state;
  sr_service_config sc;
  sr_config *cfg = load_print_scout("", &sc, true);
  assert_int_equal(sc.u.print_scout.mqtt.keepalive, 180);
  sr_config_free(cfg);

  cfg = load_print_scout("mqtt: {keepalive: 5s}\n", &sc, true);
  assert_int_equal(sc.u.print_scout.mqtt.keepalive, 5);
  sr_config_free(cfg);
}

static void test_edit_distance(void **state) {
  (void)state;
  assert_int_equal(sr_config_edit_distance("port", "prot"), 2);
  assert_int_equal(sr_config_edit_distance("level", "levle"), 2);
  assert_int_equal(sr_config_edit_distance("", "abc"), 3);
  assert_int_equal(sr_config_edit_distance("same", "same"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_cloud_with_defaults),
      cmocka_unit_test(test_unknown_key_did_you_mean),
      cmocka_unit_test(test_every_error_is_reported),
      cmocka_unit_test(test_plugin_section_errors),
      cmocka_unit_test(test_syntax_error_location),
      cmocka_unit_test(test_duplicate_and_alias_and_wrong_root),
      cmocka_unit_test(test_deep_nesting_is_an_error_not_a_crash),
      cmocka_unit_test(test_env_expansion),
      cmocka_unit_test(test_missing_or_unknown_service),
      cmocka_unit_test(test_missing_file),
      cmocka_unit_test(test_example_configs_parse),
      cmocka_unit_test(test_cloud_regions),
      cmocka_unit_test(test_device_scout_identity_rules),
      cmocka_unit_test(test_print_scout_pin_jobs),
      cmocka_unit_test(test_print_scout_keepalive),
      cmocka_unit_test(test_edit_distance),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
