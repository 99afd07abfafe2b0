/* The `ipp` and `ipps` transports against ippeveprinter: byte-identical
 * documents with the requested copies, sides and colour; job state; the
 * printer's certificate checked by CA or fingerprint; and the errors that
 * decide whether the host may fall back to the next transport. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memory_source.h"

#include "instance.h"
#include "printer.h"

static sr_test_printer printer;
static sr_loader *loader;

static int group_setup(void **state) {
  (void)state;
  if (!sr_test_printer_start(&printer))
    return -1;
  loader = sr_loader_new(NULL);
  sr_loader_add_path(loader, SR_TEST_PLUGIN_DIR);
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  sr_loader_free(loader);
  sr_test_printer_stop(&printer);
  return 0;
}

/* A transport instance from YAML text; the document stays alive in *cfg. */
static sr_instance *transport(const char *yaml, sr_config **cfg) {
  *cfg = sr_config_load_string("t.yaml", yaml, strlen(yaml));
  sr_instance *inst = NULL;
  char err[512];
  if (sr_instance_create(loader, SR_PLUGIN_TRANSPORT, sr_config_get(sr_config_root(*cfg), "t"),
                         &inst, err, sizeof err) != SR_OK)
    fail_msg("%s", err);
  return inst;
}

static uint8_t *make_document(size_t len) {
  uint8_t *doc = malloc(len);
  memcpy(doc, "%PDF-1.7\n", 9);
  for (size_t i = 9; i < len; i++)
    doc[i] = (uint8_t)(i * 7 + (i >> 11));
  return doc;
}

/* Sends a document and returns the printer's job id (asserting success). */
static int print_document(sr_instance *t, const char *scheme, const uint8_t *doc, size_t len,
                          const sr_job_attrs *attrs) {
  const sr_transport_ops *ops = &sr_instance_ops_of(t)->transport;
  char uri[128];
  snprintf(uri, sizeof uri, "%s://localhost:%d/ipp/print", scheme, printer.port);
  void *conn = NULL;
  int status = ops->open(t->state, uri, &conn);
  if (status != SR_OK)
    fail_msg("open %s: %s", uri, sr_plugin_last_error(t->plugin));
  sr_test_source s = {.data = doc, .len = len};
  status = ops->send(conn, attrs, sr_test_source_read, &s);
  if (status != SR_OK)
    fail_msg("send: %s", sr_plugin_last_error(t->plugin));
  /* the printer's job finishes */
  sr_transport_status st = {.struct_size = sizeof st};
  for (int i = 0; i < 500; i++) {
    assert_int_equal(ops->job_state(conn, &st), SR_OK);
    if (st.state == SR_PRINT_COMPLETED)
      break;
    usleep(10000);
  }
  assert_int_equal(st.state, SR_PRINT_COMPLETED);
  int job_id = 0;
  /* the job id is in the log line; ask the printer for it the plain way */
  ops->close(conn);
  for (int id = 1; id < 1000 && !job_id; id++) {
    char d[256], e[256];
    if (!sr_test_printer_wait_job(&printer, id, d, sizeof d, e, sizeof e, 0))
      continue;
    size_t got_len = 0;
    char *got = sr_test_read_file(d, &got_len);
    if (got && got_len == len && memcmp(got, doc, len) == 0)
      job_id = id;
    free(got);
  }
  return job_id;
}

static void assert_env_has(int job_id, const char *line) {
  char d[256], e[256];
  assert_true(sr_test_printer_wait_job(&printer, job_id, d, sizeof d, e, sizeof e, 5000));
  size_t n;
  char *env = sr_test_read_file(e, &n);
  assert_non_null(env);
  char needle[256];
  snprintf(needle, sizeof needle, "%s\n", line);
  if (!strstr(env, needle))
    fail_msg("job %d attributes lack %s:\n%s", job_id, line, env);
  free(env);
}

static void test_ipp_delivers_with_settings(void **state) {
  (void)state;
  sr_config *cfg;
  sr_instance *t = transport("t:\n  plugin: ipp\n", &cfg);
  size_t len = 2 * 1024 * 1024 + 3;
  uint8_t *doc = make_document(len);
  sr_job_attrs attrs = {.struct_size = sizeof attrs,
                        .job_name = "quarterly",
                        .user_name = "alice",
                        .document_format = "application/pdf",
                        .copies = 2,
                        .sides = "two-sided-long-edge",
                        .color_mode = "monochrome",
                        .size = (int64_t)len};
  int job = print_document(t, "ipp", doc, len, &attrs);
  assert_true(job > 0); /* found byte-identical in the spool */
  assert_env_has(job, "IPP_COPIES=2");
  assert_env_has(job, "IPP_SIDES=two-sided-long-edge");
  assert_env_has(job, "IPP_PRINT_COLOR_MODE=monochrome");
  assert_env_has(job, "IPP_JOB_NAME=quarterly");
  free(doc);
  sr_instance_destroy(t);
  sr_config_free(cfg);
}

static void test_ipps_with_ca(void **state) {
  (void)state;
  char yaml[256];
  snprintf(yaml, sizeof yaml, "t:\n  plugin: ipps\n  config:\n    ca_file: %s/ca.crt\n",
           printer.ssl);
  sr_config *cfg;
  sr_instance *t = transport(yaml, &cfg);
  uint8_t *doc = make_document(100000);
  sr_job_attrs attrs = {.struct_size = sizeof attrs,
                        .job_name = "secure",
                        .document_format = "application/pdf",
                        .copies = 1,
                        .color_mode = "color"};
  int job = print_document(t, "ipps", doc, 100000, &attrs);
  assert_true(job > 0);
  assert_env_has(job, "IPP_PRINT_COLOR_MODE=color");
  free(doc);
  sr_instance_destroy(t);
  sr_config_free(cfg);
}

static void test_ipps_refuses_an_untrusted_printer(void **state) {
  (void)state;
  char yaml[256], uri[128];
  snprintf(yaml, sizeof yaml, "t:\n  plugin: ipps\n  config:\n    ca_file: %s/other-ca.crt\n",
           printer.ssl);
  snprintf(uri, sizeof uri, "ipps://localhost:%d/ipp/print", printer.port);
  sr_config *cfg;
  sr_instance *t = transport(yaml, &cfg);
  void *conn = NULL;
  /* SR_ERR_PEER, not SR_ERR_CONNECT: no fallback to plain IPP */
  assert_int_equal(sr_instance_ops_of(t)->transport.open(t->state, uri, &conn), SR_ERR_PEER);
  assert_null(conn);
  assert_non_null(strstr(sr_plugin_last_error(t->plugin), "certificate not trusted"));
  sr_instance_destroy(t);
  sr_config_free(cfg);

  snprintf(yaml, sizeof yaml, "t:\n  plugin: ipps\n  config:\n    fingerprint: \"00:11\"\n");
  t = transport(yaml, &cfg);
  assert_int_equal(sr_instance_ops_of(t)->transport.open(t->state, uri, &conn), SR_ERR_PEER);
  assert_non_null(strstr(sr_plugin_last_error(t->plugin), "is not the configured one"));
  sr_instance_destroy(t);
  sr_config_free(cfg);
}

static void test_ipps_with_pinned_fingerprint(void **state) {
  (void)state;
  char cmd[256], yaml[256];
  snprintf(cmd, sizeof cmd,
           "openssl x509 -in %s/localhost.crt -noout -fingerprint -sha256 | cut -d= -f2",
           printer.ssl);
  FILE *p = popen(cmd, "r");
  char fp[128] = "";
  assert_non_null(fgets(fp, sizeof fp, p));
  pclose(p);
  fp[strcspn(fp, "\n")] = '\0';
  snprintf(yaml, sizeof yaml, "t:\n  plugin: ipps\n  config:\n    fingerprint: \"%s\"\n", fp);
  sr_config *cfg;
  sr_instance *t = transport(yaml, &cfg);
  uint8_t *doc = make_document(5000);
  sr_job_attrs attrs = {
      .struct_size = sizeof attrs, .document_format = "application/pdf", .copies = 1};
  assert_true(print_document(t, "ipps", doc, 5000, &attrs) > 0);
  free(doc);
  sr_instance_destroy(t);
  sr_config_free(cfg);
}

static void test_errors_that_allow_fallback(void **state) {
  (void)state;
  sr_config *cfg;
  sr_instance *t = transport("t:\n  plugin: ipp\n", &cfg);
  const sr_transport_ops *ops = &sr_instance_ops_of(t)->transport;
  char uri[128], expected[128];
  int port = sr_test_free_port();
  snprintf(uri, sizeof uri, "ipp://127.0.0.1:%d/ipp/print", port);
  void *conn = NULL;
  assert_int_equal(ops->open(t->state, uri, &conn), SR_ERR_CONNECT);
  snprintf(expected, sizeof expected, "cannot connect to 127.0.0.1:%d", port);
  assert_non_null(strstr(sr_plugin_last_error(t->plugin), expected));
  assert_int_equal(ops->open(t->state, "ipps://localhost/x", &conn), SR_ERR_INVALID);

  /* a format the printer does not take: refused after the document went
   * out, so SR_ERR_PEER (no fallback: bytes were sent) */
  snprintf(uri, sizeof uri, "ipp://localhost:%d/ipp/print", printer.port);
  assert_int_equal(ops->open(t->state, uri, &conn), SR_OK);
  uint8_t doc[100] = "GIF89a";
  sr_test_source s = {.data = doc, .len = sizeof doc};
  sr_job_attrs attrs = {.struct_size = sizeof attrs, .document_format = "image/gif", .copies = 1};
  assert_int_equal(ops->send(conn, &attrs, sr_test_source_read, &s), SR_ERR_PEER);
  assert_non_null(strstr(sr_plugin_last_error(t->plugin), "did not accept the job"));
  ops->close(conn);
  sr_instance_destroy(t);
  sr_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipp_delivers_with_settings),
      cmocka_unit_test(test_ipps_with_ca),
      cmocka_unit_test(test_ipps_refuses_an_untrusted_printer),
      cmocka_unit_test(test_ipps_with_pinned_fingerprint),
      cmocka_unit_test(test_errors_that_allow_fallback),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
