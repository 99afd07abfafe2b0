/* The `raw` transport against a real RAW sink (socat on 127.0.0.1, one
 * file per connection, as a port-9100 printer would print it). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "instance.h"
#include "peer.h"

typedef struct fixture {
  char dir[64], spool[96];
  int port;
  sr_peer sink;
  sr_loader *loader;
  sr_config *cfg;
  sr_instance *raw;
  const sr_transport_ops *ops;
} fixture;

typedef struct source {
  const uint8_t *data;
  size_t len, off;
} source;

static int64_t source_read(void *ctx, void *buf, size_t len) {
  source *s = ctx;
  size_t n = s->len - s->off < len ? s->len - s->off : len;
  memcpy(buf, s->data + s->off, n);
  s->off += n;
  return (int64_t)n;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!sr_test_tmpdir("raw", f->dir))
    return -1;
  snprintf(f->spool, sizeof f->spool, "%s/spool", f->dir);
  char cmd[256], listen[128], log[128];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", f->spool);
  if (system(cmd) != 0)
    return -1;
  f->port = sr_test_free_port();
  snprintf(listen, sizeof listen, "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork", f->port);
  snprintf(cmd, sizeof cmd, "SYSTEM:cat > %s/job-$(date +%%s%%N).prn", f->spool);
  snprintf(log, sizeof log, "%s/socat.log", f->dir);
  char *argv[] = {"socat", "-u", listen, cmd, NULL};
  if (!sr_peer_start(&f->sink, "socat", argv, NULL, log) ||
      !sr_peer_wait_listening(&f->sink, f->port, false, 5000))
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
  sr_peer_stop(&f->sink);
  sr_test_rmtree(f->dir);
  free(f);
  return 0;
}

/* The one file in the spool directory, or "" if there is not exactly one. */
static void only_file(const char *dir, char *path, size_t size) {
  DIR *d = opendir(dir);
  int n = 0;
  path[0] = '\0';
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    if ((size_t)snprintf(path, size, "%s/%s", dir, e->d_name) < size)
      n++;
  }
  if (d)
    closedir(d);
  if (n != 1)
    path[0] = '\0';
}

static void test_document_arrives_byte_identical(void **state) {
  fixture *f = *state;
  size_t len = 3 * 1024 * 1024 + 7;
  uint8_t *doc = malloc(len);
  for (size_t i = 0; i < len; i++)
    doc[i] = (uint8_t)(i * 131 + (i >> 9));
  char uri[64];
  snprintf(uri, sizeof uri, "socket://127.0.0.1:%d", f->port);
  void *conn = NULL;
  assert_int_equal(f->ops->open(f->raw->state, uri, &conn), SR_OK);
  sr_job_attrs attrs = {.struct_size = sizeof attrs, .job_name = "doc", .copies = 1, .size = -1};
  source s = {doc, len, 0};
  assert_int_equal(f->ops->send(conn, &attrs, source_read, &s), SR_OK);
  sr_transport_status st = {.struct_size = sizeof st};
  assert_int_equal(f->ops->job_state(conn, &st), SR_OK);
  assert_int_equal(st.state, SR_PRINT_UNKNOWN);
  f->ops->close(conn);

  char path[256] = "";
  for (int i = 0; i < 500 && !path[0]; i++) {
    only_file(f->spool, path, sizeof path);
    if (!path[0])
      usleep(10000);
  }
  assert_true(path[0]);
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
