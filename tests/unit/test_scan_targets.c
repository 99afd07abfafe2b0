/* Discovery targets: what each written form covers, what is refused and
 * why, and that the cursor never yields an excluded address. Also the
 * scan's packet-rate bucket and the schedule's next start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "scan_rate.h"
#include "scan_schedule.h"
#include "scan_targets.h"
#include "service_config.h"

static void range_is(const char *text, const char *first, const char *last) {
  scan_range r;
  char err[160] = "", a[64], b[64];
  assert_int_equal(scan_target_parse(text, &r, err, sizeof err), SCAN_PARSE_RANGE);
  scan_address_format(&r.first, a, sizeof a);
  scan_address_format(&r.last, b, sizeof b);
  assert_string_equal(a, first);
  assert_string_equal(b, last);
}

static void refused(const char *text, const char *why) {
  scan_range r;
  char err[160] = "";
  assert_int_equal(scan_target_parse(text, &r, err, sizeof err), SCAN_PARSE_ERROR);
  assert_non_null(strstr(err, why));
}

static void forms(void **state) {
  (void)state;
  range_is("10.2.0.5", "10.2.0.5", "10.2.0.5");
  range_is("10.2.0.5-10.2.0.40", "10.2.0.5", "10.2.0.40");
  range_is("10.1.0.0/22", "10.1.0.0", "10.1.3.255");
  range_is("10.1.2.77/24", "10.1.2.0", "10.1.2.255"); /* a host inside the block */
  range_is("fd00:1::/120", "fd00:1::", "fd00:1::ff");
  range_is("fd00::1-fd00::9", "fd00::1", "fd00::9");
  range_is("::1", "::1", "::1");
  scan_range r;
  char err[160];
  assert_int_equal(scan_target_parse("printer7.corp.example", &r, err, sizeof err),
                   SCAN_PARSE_HOST);
  assert_int_equal(scan_target_parse("print-7", &r, err, sizeof err), SCAN_PARSE_HOST);
}

static void mistakes(void **state) {
  (void)state;
  refused("10.0.0.0/33", "prefix length /33");
  refused("10.0.0.9-10.0.0.1", "ends before it starts");
  refused("10.0.0.1-fd00::1", "same family");
  refused("10.0.0.0/7", "more than");
  refused("10.0.0.256", "expected an address");
  refused("10.0.0.0/x", "CIDR block");
  refused("printer_7!", "expected an address");
}

static const char *const config_text = "targets:\n"
                                       "  - 127.0.0.0/29\n"
                                       "  - 127.1.0.250-127.1.1.2\n"
                                       "  - host.example\n"
                                       "exclude:\n"
                                       "  - 127.0.0.2-127.0.0.4\n"
                                       "  - 127.1.0.0/24\n";

static void cursor_skips_exclusions(void **state) {
  (void)state;
  sr_config *doc = sr_config_load_string("scan.yaml", config_text, strlen(config_text));
  const sr_config_node *root = sr_config_root(doc);
  scan_targets t;
  assert_true(
      scan_targets_from_config(sr_config_get(root, "targets"), sr_config_get(root, "exclude"), &t));
  assert_int_equal(t.n_hosts, 1);
  assert_string_equal(t.hosts[0], "host.example");
  const char *expected[] = {"127.0.0.0", "127.0.0.1", "127.0.0.5", "127.0.0.6",
                            "127.0.0.7", "127.1.1.0", "127.1.1.1", "127.1.1.2"};
  scan_cursor c;
  scan_address a;
  size_t n = 0;
  scan_cursor_init(&c, &t);
  while (scan_cursor_next(&c, &a)) {
    char text[64];
    scan_address_format(&a, text, sizeof text);
    assert_true(n < sizeof expected / sizeof *expected);
    assert_string_equal(text, expected[n]);
    assert_false(scan_address_excluded(&t, &a));
    n++;
  }
  assert_int_equal(n, sizeof expected / sizeof *expected);
  assert_int_equal(scan_targets_count(&t), n);
  scan_targets_free(&t);
  sr_config_free(doc);
}

/* The yielded addresses of targets INCLUDE with EXCLUDE (one form each),
 * formatted and joined with spaces. */
static void yields(const char *include, const char *exclude, const char *expected) {
  scan_targets t = {0};
  scan_range r;
  char err[160], got[512] = "";
  assert_int_equal(scan_target_parse(include, &r, err, sizeof err), SCAN_PARSE_RANGE);
  assert_true(scan_targets_add(&t, &r, false));
  assert_int_equal(scan_target_parse(exclude, &r, err, sizeof err), SCAN_PARSE_RANGE);
  assert_true(scan_targets_add(&t, &r, true));
  scan_cursor c;
  scan_address a;
  scan_cursor_init(&c, &t);
  while (scan_cursor_next(&c, &a)) {
    char text[64];
    scan_address_format(&a, text, sizeof text);
    assert_false(scan_address_excluded(&t, &a));
    snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", got[0] ? " " : "", text);
  }
  assert_string_equal(got, expected);
  scan_targets_free(&t);
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 host on the
 * wire (a dual-stack socket sends to it over IPv4): an exclusion written
 * in either form holds for the other. */
static void mapped_addresses_are_excluded(void **state) {
  (void)state;
  yields("::ffff:10.0.0.4-::ffff:10.0.0.6", "10.0.0.5", "::ffff:10.0.0.4 ::ffff:10.0.0.6");
  yields("::ffff:10.0.0.0/126", "10.0.0.0/24", "");
  yields("10.0.0.4-10.0.0.6", "::ffff:10.0.0.5", "10.0.0.4 10.0.0.6");
  yields("10.0.0.4-10.0.0.6", "::ffff:10.0.0.0/120", "");
  /* not mapped: untouched */
  yields("fd00::4-fd00::6", "0.0.0.5", "fd00::4 fd00::5 fd00::6");
}

static void errors_name_the_place(void **state) {
  (void)state;
  const char *text =
      "targets:\n  - 10.0.0.0/22\n  - 10.0.0.9-10.0.0.1\nexclude:\n  - host.example\n";
  sr_config *doc = sr_config_load_string("site.yaml", text, strlen(text));
  const sr_config_node *root = sr_config_root(doc);
  scan_targets t;
  assert_false(
      scan_targets_from_config(sr_config_get(root, "targets"), sr_config_get(root, "exclude"), &t));
  assert_int_equal(sr_config_error_count(doc), 2);
  assert_non_null(strstr(sr_config_error(doc, 0), "site.yaml:3:5"));
  assert_non_null(strstr(sr_config_error(doc, 0), "ends before it starts"));
  assert_non_null(strstr(sr_config_error(doc, 1), "site.yaml:5:5"));
  assert_non_null(strstr(sr_config_error(doc, 1), "not host name"));
  scan_targets_free(&t);
  sr_config_free(doc);
}

static void resolves_names(void **state) {
  (void)state;
  scan_targets t = {0};
  char err[256] = "";
  const char *text = "targets: [localhost]\n";
  sr_config *doc = sr_config_load_string("r.yaml", text, strlen(text));
  assert_true(scan_targets_from_config(sr_config_get(sr_config_root(doc), "targets"), NULL, &t));
  assert_true(scan_targets_resolve(&t, err, sizeof err));
  assert_true(t.n_include >= 1); /* 127.0.0.1 and perhaps ::1 */
  scan_targets_free(&t);
  sr_config_free(doc);
}

/* Over 10 simulated seconds polled every 0.1 ms, a bucket of 500/s gives
 * 500 a second (plus its burst), never more. */
static void rate_holds(void **state) {
  (void)state;
  scan_rate b;
  scan_rate_init(&b, 500, 5, 100.0);
  long taken = 0;
  for (long i = 0; i <= 100000; i++) {
    double now = 100.0 + i * 0.0001;
    while (scan_rate_take(&b, now))
      taken++;
    if (i == 10000)
      assert_in_range(taken, 500, 506); /* after one second */
  }
  assert_in_range(taken, 5000, 5006);
  scan_rate_init(&b, 100, 1, 0);
  assert_true(scan_rate_take(&b, 0));
  assert_false(scan_rate_take(&b, 0.001));
  assert_true(scan_rate_wait(&b, 0.001) > 0.0089 && scan_rate_wait(&b, 0.001) < 0.0091);
}

static time_t local(int year, int mon, int mday, int hour, int min) {
  struct tm t = {.tm_year = year - 1900,
                 .tm_mon = mon - 1,
                 .tm_mday = mday,
                 .tm_hour = hour,
                 .tm_min = min,
                 .tm_isdst = -1};
  return mktime(&t);
}

static void schedule(void **state) {
  (void)state;
  setenv("TZ", "UTC", 1);
  tzset();
  sr_discovery_schedule_config daily = {
      .every = SR_DISCOVERY_DAILY, .window_start = 60, .window_end = 300};
  /* 2026-12-01 is a Tuesday; at 00:30 the window 01:00-05:00 is ahead */
  time_t now = local(2026, 12, 1, 0, 30);
  assert_true(scan_schedule_next(&daily, now, 0.0) == 30 * 60);
  assert_true(scan_schedule_next(&daily, now, 0.5) == (30 + 120) * 60);
  /* at 06:00 it is tomorrow's window */
  now = local(2026, 12, 1, 6, 0);
  assert_true(scan_schedule_next(&daily, now, 0.0) == 19 * 3600);
  /* every random minute lands inside the window */
  for (int i = 0; i < 100; i++) {
    time_t at = now + (time_t)scan_schedule_next(&daily, now, i / 100.0);
    struct tm t;
    localtime_r(&at, &t);
    assert_in_range(t.tm_hour * 60 + t.tm_min, 60, 299);
  }
  /* weekly on sunday (6 December), a window over midnight: 23:00-01:00 */
  sr_discovery_schedule_config weekly = {
      .every = SR_DISCOVERY_WEEKLY, .day = 0, .window_start = 23 * 60, .window_end = 60};
  now = local(2026, 12, 1, 12, 0);
  assert_true(scan_schedule_next(&weekly, now, 0.0) == local(2026, 12, 6, 23, 0) - now);
  assert_true(scan_schedule_next(&weekly, now, 0.75) == local(2026, 12, 7, 0, 30) - now);
  sr_discovery_schedule_config never = {.every = SR_DISCOVERY_NEVER};
  assert_true(scan_schedule_next(&never, now, 0.0) < 0);
}

/* The discovery section: defaults, the credential table, and what each
 * version needs, refused at its place. */
static void discovery_config(void **state) {
  (void)state;
  const char *good = "service: device-scout\ntenant: t\n"
                     "discovery:\n"
                     "  targets: [10.0.0.0/30]\n"
                     "  credentials:\n"
                     "    - {name: a, version: 2c, community: public}\n"
                     "    - {name: b, version: 3, user: u, auth_password: 12345678,"
                     " priv_password: abcdefgh}\n"
                     "  schedule: {every: weekly, day: friday, window: \"22:30-02:00\"}\n";
  sr_config *doc = sr_config_load_string("good.yaml", good, strlen(good));
  sr_service_config cfg;
  assert_true(sr_service_config_apply(doc, &cfg));
  const sr_discovery_config *d = &cfg.u.device_scout.discovery;
  assert_int_equal(d->port, 161);
  assert_int_equal(d->rate, 500);
  assert_int_equal(d->outstanding, 4096);
  assert_int_equal(d->timeout, 1);
  assert_int_equal(d->n_credentials, 2);
  assert_string_equal(d->credentials[1].user, "u");
  assert_int_equal(d->credentials[1].version, 2);
  assert_int_equal(d->schedule.every, SR_DISCOVERY_WEEKLY);
  assert_int_equal(d->schedule.day, 5);
  assert_int_equal(d->schedule.window_start, 22 * 60 + 30);
  assert_int_equal(d->schedule.window_end, 120);
  assert_int_equal(d->n_ipp_ports, 1);
  assert_int_equal(d->ipp_ports[0], 631);
  assert_int_equal(d->raw_ports[0], 9100);
  sr_config_free(doc);

  const char *bad = "service: device-scout\ntenant: t\n"
                    "discovery:\n"
                    "  targets: [10.0.0.1]\n"
                    "  credentials:\n"
                    "    - {name: a, version: 2c}\n"
                    "    - {name: b, version: 3, user: u, auth_password: short,"
                    " priv_password: abcdefgh}\n"
                    "  schedule: {every: daily, window: \"25:00-03:00\"}\n"
                    "  ports: {ipp: [70000]}\n";
  doc = sr_config_load_string("bad.yaml", bad, strlen(bad));
  assert_false(sr_service_config_apply(doc, &cfg));
  const char *expected[] = {"bad.yaml:6:7: 'discovery.credentials[0]': credential set 'a': "
                            "version 2c needs a community",
                            "bad.yaml:7:7: 'discovery.credentials[1]': credential set 'b': "
                            "auth_password of at least 8 characters needed",
                            "bad.yaml:8:36: 'discovery.schedule.window': expected a window",
                            "bad.yaml:9:17: 'discovery.ports.ipp[0]': expected a TCP port"};
  assert_int_equal(sr_config_error_count(doc), 4);
  for (size_t i = 0; i < 4; i++) {
    if (strncmp(sr_config_error(doc, i), expected[i], strlen(expected[i])) != 0)
      fail_msg("error %zu: %s", i, sr_config_error(doc, i));
  }
  sr_config_free(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(forms),
      cmocka_unit_test(mistakes),
      cmocka_unit_test(cursor_skips_exclusions),
      cmocka_unit_test(mapped_addresses_are_excluded),
      cmocka_unit_test(errors_name_the_place),
      cmocka_unit_test(resolves_names),
      cmocka_unit_test(rate_holds),
      cmocka_unit_test(schedule),
      cmocka_unit_test(discovery_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
