/* Job information JSON: round trip, defaults and rejected values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "job_info.h"
#include "sr/abi.h"

static void test_round_trip(void **state) {
  (void)state;
  sr_job_info a, b;
  sr_job_info_init(&a);
  strcpy(a.title, "Quarterly report \xc3\xa9t\xc3\xa9.pdf");
  strcpy(a.document_format, "application/pdf");
  a.pages = 12;
  a.size = 123456;
  a.copies = 3;
  strcpy(a.sides, "two-sided-long-edge");
  strcpy(a.color_mode, "monochrome");
  strcpy(a.owner, "user-42");
  strcpy(a.login, "jdoe");
  memset(a.pin_hash, 'a', 64); /* a PIN job keeps its PIN's keyed hash */
  a.submitted_at = 1795987800; /* 2026-11-29T21:30:00Z */
  char *json = NULL, why[128];
  assert_int_equal(sr_job_info_to_json(&a, &json), SR_OK);
  assert_non_null(strstr(json, "\"submitted_at\":\"2026-11-29T21:30:00Z\""));
  assert_int_equal(sr_job_info_from_json(json, &b, why, sizeof why), SR_OK);
  assert_memory_equal(&a, &b, sizeof a);
  free(json);

  /* unknown pages stay unknown: null, never a guess */
  a.pages = -1;
  assert_int_equal(sr_job_info_to_json(&a, &json), SR_OK);
  assert_non_null(strstr(json, "\"pages\":null"));
  assert_int_equal(sr_job_info_from_json(json, &b, why, sizeof why), SR_OK);
  assert_int_equal(b.pages, -1);
  free(json);

  /* a pin_hash that is not a keyed hash is refused, not half-used */
  assert_int_equal(sr_job_info_from_json("{\"pin_hash\":\"1234\"}", &b, why, sizeof why),
                   SR_ERR_INVALID);
  assert_non_null(strstr(why, "pin_hash"));
}

static void test_defaults_and_unknown_members(void **state) {
  (void)state;
  sr_job_info info;
  char why[128];
  assert_int_equal(
      sr_job_info_from_json("{\"title\":\"x\",\"future\":{\"a\":1}}", &info, why, sizeof why),
      SR_OK);
  assert_string_equal(info.title, "x");
  assert_int_equal(info.copies, 1);
  assert_int_equal(info.pages, -1);
  assert_string_equal(info.sides, "one-sided");
  assert_string_equal(info.color_mode, "auto");
  assert_string_equal(info.login, ""); /* files from before logins were recorded */
}

static void rejects(const char *json, const char *reason) {
  sr_job_info info;
  char why[256] = "";
  assert_int_equal(sr_job_info_from_json(json, &info, why, sizeof why), SR_ERR_INVALID);
  if (!strstr(why, reason))
    fail_msg("'%s': '%s' does not say '%s'", json, why, reason);
}

static void test_rejected(void **state) {
  (void)state;
  rejects("not json", "job information is not a JSON object");
  rejects("[1]", "job information is not a JSON object: wrong type");
  rejects("{\"copies\":0}", "'copies' must be a whole number from 1 to 999");
  rejects("{\"copies\":\"2\"}", "'copies'");
  rejects("{\"pages\":-3}", "'pages' must be a count or null");
  rejects("{\"sides\":\"both\"}", "'sides' must be one-sided");
  rejects("{\"color_mode\":\"rainbow\"}", "'color_mode' must be");
  rejects("{\"title\":5}", "'title' must be text");
  rejects("{\"submitted_at\":\"yesterday\"}", "'submitted_at' must be an RFC 3339");
  rejects("{\"a\":1,\"a\":2}", "job information is not a JSON object");
  char long_title[400];
  memset(long_title, 'x', sizeof long_title);
  long_title[sizeof long_title - 1] = '\0';
  char json[512];
  snprintf(json, sizeof json, "{\"title\":\"%s\"}", long_title);
  rejects(json, "'title' must be text of fewer than 256 bytes");
}

static void test_writer_refuses_bad_values(void **state) {
  (void)state;
  sr_job_info info;
  sr_job_info_init(&info);
  char *json = NULL;
  info.copies = 0;
  assert_int_equal(sr_job_info_to_json(&info, &json), SR_ERR_INVALID);
  info.copies = 1;
  strcpy(info.title, "\xff\xfe not utf-8");
  assert_int_equal(sr_job_info_to_json(&info, &json), SR_ERR_INVALID);
  assert_null(json);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_defaults_and_unknown_members),
      cmocka_unit_test(test_rejected),
      cmocka_unit_test(test_writer_refuses_bad_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
