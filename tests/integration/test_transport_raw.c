/* The `raw` transport against a real RAW sink (socat on 127.0.0.1, one
 * file per connection, as a port-9100 printer would print it). */
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
#include "raw_sink.h"

typedef struct fixture {
  sr_test_raw_sink sink;
  sr_loader *loader;
  sr_config *cfg;
  sr_instance *raw;
  const sr_transport_ops *ops;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!sr_test_raw_sink_start(&f->sink))
    return -1;

  const char *yaml = "raw:\n  plugin: raw\n  config:\n    connect_timeout_ms: 2000\n";
  f->cfg = sr_config_load_string("test.yaml", yaml, strlen(yaml));
  f->loader = sr_loader_new(NULL);
  sr_loader_add_path(f->loader, SR_TEST_PLUGIN_DIR);
  char err[512];
  if (sr_instance_create(f->loader, SR_PLUGIN_TRANSPORT,
                         sr_config_get(sr_config_root(f->cfg), "raw"), &f->raw, err,
                         sizeof err) != SR_OK) {
    print_message("%s\n", err);
    return -1;
  }
  f->ops = &sr_instance_ops_of(f->raw)->transport;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  sr_instance_destroy(f->raw);
  sr_loader_free(f->loader);
  sr_config_free(f->cfg);
  sr_test_raw_sink_stop(&f->sink);
  free(f);
  return 0;
}

static void test_document_arrives_byte_identical(void **state) {
  fixture *f = *state;
  size_t len = 3 * 1024 * 1024 + 7;
  uint8_t *doc = malloc(len);
  for (size_t i = 0; i < len; i++)
    doc[i] = (uint8_t)(i * 131 + (i >> 9));
  char uri[64];
  snprintf(uri, sizeof uri, "socket://127.0.0.1:%d", f->sink.port);
  void *conn = NULL;
  assert_int_equal(f->ops->open(f->raw->state, uri, &conn), SR_OK);
  sr_job_attrs attrs = {.struct_size = sizeof attrs, .job_name = "doc", .copies = 1, .size = -1};
  sr_test_source s = {.data = doc, .len = len};
  assert_int_equal(f->ops->send(conn, &attrs, sr_test_source_read, &s), SR_OK);
  sr_transport_status st = {.struct_size = sizeof st};
  assert_int_equal(f->ops->job_state(conn, &st), SR_OK);
  assert_int_equal(st.state, SR_PRINT_UNKNOWN);
  f->ops->close(conn);

  char path[256] = "";
  for (int i = 0; i < 500 && sr_test_raw_sink_files(&f->sink, path, sizeof path) == 0; i++)
    usleep(10000);
  assert_int_equal(sr_test_raw_sink_files(&f->sink, path, sizeof path), 1);
  if (!sr_test_wait_file_size(path, len, 5000)) {
    size_t n = 0;
    free(sr_test_read_file(path, &n));
    fail_msg("%s has %zu bytes, %zu sent", path, n, len);
  }
  size_t got_len = 0;
  char *got = sr_test_read_file(path, &got_len);
  assert_int_equal(got_len, len);
  assert_memory_equal(got, doc, len);
  free(got);
  free(doc);
}

static void test_connection_refused_names_the_peer(void **state) {
  fixture *f = *state;
  int port = sr_test_free_port(); /* nothing listens there */
  char uri[64], expected[128];
  snprintf(uri, sizeof uri, "raw://127.0.0.1:%d", port);
  void *conn = NULL;
  sr_plugin_clear_error(f->raw->plugin);
  assert_int_equal(f->ops->open(f->raw->state, uri, &conn), SR_ERR_CONNECT);
  assert_null(conn);
  snprintf(expected, sizeof expected, "cannot connect to 127.0.0.1:%d: Connection refused", port);
  assert_string_equal(sr_plugin_last_error(f->raw->plugin), expected);
}

static void test_bad_uris(void **state) {
  fixture *f = *state;
  void *conn = NULL;
  assert_int_equal(f->ops->open(f->raw->state, "ipp://127.0.0.1/ipp/print", &conn), SR_ERR_INVALID);
  assert_int_equal(f->ops->open(f->raw->state, "socket://", &conn), SR_ERR_INVALID);
  assert_int_equal(f->ops->open(f->raw->state, "not a uri", &conn), SR_ERR_INVALID);
  assert_int_equal(f->ops->open(f->raw->state, "socket://no-such-host.invalid:9100", &conn),
                   SR_ERR_CONNECT);
  assert_non_null(
      strstr(sr_plugin_last_error(f->raw->plugin), "cannot resolve no-such-host.invalid"));
  assert_true(f->ops->claims(f->raw->state, "socket"));
  assert_false(f->ops->claims(f->raw->state, "ipps"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_document_arrives_byte_identical),
      cmocka_unit_test(test_connection_refused_names_the_peer),
      cmocka_unit_test(test_bad_uris),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
