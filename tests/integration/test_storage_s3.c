/* The `s3` storage plugin against a real S3-compatible server on loopback
 * (s3rver from tests/s3, which checks SigV4 signatures), loaded through the
 * loader as a service would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "instance.h"
#include "loader.h"
#include "memory_source.h"
#include "peer.h"
#include "storage_client.h"

#define SECRET "S3RVER"
#define WRONG_SECRET "not-the-secret-4711"
#define DOC_SIZE (3u << 20)

typedef struct fixture {
  char dir[64];
  sr_peer server;
  sr_loader *loader;
  sr_config *cfg;
  sr_instance *good, *wrong_secret, *no_bucket;
  uint8_t *doc;
  char err[512];
} fixture;

/* Collects a downloaded object into a buffer of `cap` bytes. */
typedef struct sink {
  uint8_t *data;
  size_t len, cap;
} sink;

static int sink_write(void *ctx, const void *p, size_t len) {
  sink *s = ctx;
  if (s->len + len > s->cap)
    return SR_ERR_INVALID;
  memcpy(s->data + s->len, p, len);
  s->len += len;
  return SR_OK;
}

static char listed[4096];
static int list_key(void *ctx, const char *key) {
  (void)ctx;
  strcat(listed, key);
  strcat(listed, ";");
  return SR_OK;
}

static sr_instance *instance(fixture *f, const char *section) {
  sr_instance *inst = NULL;
  if (sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                         sr_config_get(sr_config_root(f->cfg), section), &inst, f->err,
                         sizeof f->err) != SR_OK)
    print_message("%s: %s\n", section, f->err);
  return inst;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!sr_test_tmpdir("s3", f->dir))
    return -1;
  int port = sr_test_free_port();
  char port_s[16], data[96], log[96];
  snprintf(port_s, sizeof port_s, "%d", port);
  snprintf(data, sizeof data, "%s/data", f->dir);
  snprintf(log, sizeof log, "%s/s3rver.log", f->dir);
  /* s3rver makes its continuation tokens with DES, which Node's OpenSSL 3
   * keeps in the legacy provider */
  char *const argv[] = {
      "node", "--openssl-legacy-provider", SR_TEST_SOURCE_DIR "/tests/s3/server.js", port_s, data,
      NULL};
  if (!sr_peer_start(&f->server, "s3rver", argv, NULL, log) ||
      !sr_peer_wait_listening(&f->server, port, false, 20000)) {
    print_message("s3rver did not start (scripts/deps.sh installs tests/s3); see %s\n", log);
    return -1;
  }
  /* the secret comes from the environment, as a deployment would pass it */
  setenv("SR_TEST_S3_SECRET", SECRET, 1);
  char yaml[2048];
#define SECTION                                                                                    \
  "%s:\n  plugin: s3\n  name: %s\n  config:\n"                                                     \
  "    endpoint: http://127.0.0.1:%d/\n    region: us-east-1\n"                                    \
  "    bucket: %s\n    prefix: site-1\n    access_key: S3RVER\n"                                   \
  "    secret_key: %s\n    timeout_ms: 20000\n"
  int n =
      snprintf(yaml, sizeof yaml, SECTION, "good", "jobs", port, "jobs", "${SR_TEST_S3_SECRET}");
  n += snprintf(yaml + n, sizeof yaml - n, SECTION, "wrong", "wrong", port, "jobs", WRONG_SECRET);
  snprintf(yaml + n, sizeof yaml - n, SECTION, "nobucket", "nobucket", port, "missing-bucket",
           "${SR_TEST_S3_SECRET}");
  f->cfg = sr_config_load_string("test.yaml", yaml, strlen(yaml));
  f->loader = sr_loader_new(NULL);
  sr_loader_add_path(f->loader, SR_TEST_PLUGIN_DIR);
  f->good = instance(f, "good");
  f->wrong_secret = instance(f, "wrong");
  f->no_bucket = instance(f, "nobucket");
  if (!f->good || !f->wrong_secret || !f->no_bucket)
    return -1;
  f->doc = malloc(DOC_SIZE);
  uint32_t x = 2463534242u; /* xorshift: no run of equal bytes to hide an offset error */
  for (size_t i = 0; i < DOC_SIZE; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    f->doc[i] = (uint8_t)x;
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  sr_instance_destroy(f->good);
  sr_instance_destroy(f->wrong_secret);
  sr_instance_destroy(f->no_bucket);
  sr_loader_free(f->loader);
  sr_config_free(f->cfg);
  sr_peer_stop(&f->server);
  sr_test_rmtree(f->dir);
  free(f->doc);
  free(f);
  return 0;
}

static int put(fixture *f, sr_instance *inst, const char *key, const uint8_t *data, size_t len) {
  sr_test_source src = {.data = data, .len = len};
  int status = sr_store_put(inst, key, sr_test_source_read, &src, f->err, sizeof f->err);
  if (status != SR_OK)
    print_message("put %s: %s\n", key, f->err); /* the reason, when a check below fails */
  return status;
}

static void test_put_get_stat_remove(void **state) {
  fixture *f = *state;
  assert_int_equal(put(f, f->good, "tenant-1/jobs/big.job", f->doc, DOC_SIZE), SR_OK);

  sink got = {.data = malloc(DOC_SIZE + 1), .cap = DOC_SIZE + 1};
  assert_int_equal(
      sr_store_get(f->good, "tenant-1/jobs/big.job", sink_write, &got, f->err, sizeof f->err),
      SR_OK);
  assert_int_equal(got.len, DOC_SIZE);
  assert_memory_equal(got.data, f->doc, DOC_SIZE);

  /* the object sits under the configured prefix, in the bucket's directory */
  char path[256];
  snprintf(path, sizeof path, "%s/data/jobs/site-1/tenant-1/jobs/big.job._S3rver_object", f->dir);
  size_t on_disk = 0;
  free(sr_test_read_file(path, &on_disk));
  assert_int_equal(on_disk, DOC_SIZE);

  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, "tenant-1/jobs/big.job", &st, f->err, sizeof f->err),
                   SR_OK);
  assert_int_equal(st.size, DOC_SIZE);
  assert_true(st.modified > 1700000000);

  /* replacing keeps one object, with the new content */
  assert_int_equal(put(f, f->good, "tenant-1/jobs/big.job", (const uint8_t *)"short", 5), SR_OK);
  got.len = 0;
  assert_int_equal(
      sr_store_get(f->good, "tenant-1/jobs/big.job", sink_write, &got, f->err, sizeof f->err),
      SR_OK);
  assert_int_equal(got.len, 5);
  assert_memory_equal(got.data, "short", 5);

  assert_int_equal(sr_store_remove(f->good, "tenant-1/jobs/big.job", f->err, sizeof f->err), SR_OK);
  got.len = 0;
  assert_int_equal(
      sr_store_get(f->good, "tenant-1/jobs/big.job", sink_write, &got, f->err, sizeof f->err),
      SR_ERR_NOT_FOUND);
  assert_non_null(strstr(f->err, "NoSuchKey"));
  assert_non_null(strstr(f->err, "bucket 'jobs' prefix 'site-1/'"));
  assert_non_null(strstr(f->err, "tenant-1/jobs/big.job"));
  assert_int_equal(sr_store_stat(f->good, "tenant-1/jobs/big.job", &st, f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
  assert_int_equal(sr_store_remove(f->good, "tenant-1/jobs/big.job", f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
  free(got.data);
}

static void test_list_by_prefix(void **state) {
  fixture *f = *state;
  assert_int_equal(put(f, f->good, "t-1/a.job", (const uint8_t *)"a", 1), SR_OK);
  assert_int_equal(put(f, f->good, "t-1/sub/b.job", (const uint8_t *)"b", 1), SR_OK);
  assert_int_equal(put(f, f->good, "t-2/c.job", (const uint8_t *)"c", 1), SR_OK);
  listed[0] = '\0';
  assert_int_equal(sr_store_list(f->good, "t-1/", list_key, NULL, f->err, sizeof f->err), SR_OK);
  /* keys come back relative to the namespace; order is unspecified */
  assert_non_null(strstr(listed, "t-1/a.job;"));
  assert_non_null(strstr(listed, "t-1/sub/b.job;"));
  assert_null(strstr(listed, "t-2"));
  assert_null(strstr(listed, "site-1"));
  listed[0] = '\0';
  assert_int_equal(sr_store_list(f->good, "", list_key, NULL, f->err, sizeof f->err), SR_OK);
  assert_non_null(strstr(listed, "t-2/c.job;"));
}

static int count_key(void *ctx, const char *key) {
  (void)key;
  (*(size_t *)ctx)++;
  return SR_OK;
}

/* More keys than one ListObjectsV2 page (1000): the listing follows the
 * continuation token and sees each key once. */
static void test_list_follows_continuation(void **state) {
  fixture *f = *state;
  enum { KEYS = 1003 };
  for (int i = 0; i < KEYS; i++) {
    char key[32];
    snprintf(key, sizeof key, "many/k%04d.job", i);
    assert_int_equal(put(f, f->good, key, (const uint8_t *)"x", 1), SR_OK);
  }
  size_t count = 0;
  int status = sr_store_list(f->good, "many/", count_key, &count, f->err, sizeof f->err);
  if (status != SR_OK)
    print_message("list: %s\n", f->err);
  assert_int_equal(status, SR_OK);
  assert_int_equal(count, KEYS);
}

static void test_wrong_secret_is_refused(void **state) {
  fixture *f = *state;
  /* s3rver accepts unsigned requests: a refused wrong secret proves signing */
  assert_int_equal(put(f, f->wrong_secret, "k/doc.job", (const uint8_t *)"x", 1), SR_ERR_AUTH);
  assert_non_null(strstr(f->err, "SignatureDoesNotMatch"));
  assert_non_null(strstr(f->err, "bucket 'jobs'"));
  assert_non_null(strstr(f->err, "check access_key and secret_key"));
  assert_null(strstr(f->err, WRONG_SECRET));
  sink got = {.data = malloc(16), .cap = 16};
  assert_int_equal(
      sr_store_get(f->wrong_secret, "k/doc.job", sink_write, &got, f->err, sizeof f->err),
      SR_ERR_AUTH);
  assert_non_null(strstr(f->err, "SignatureDoesNotMatch"));
  assert_null(strstr(f->err, WRONG_SECRET));
  free(got.data);
  /* and nothing was stored by the refused put */
  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, "k/doc.job", &st, f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
}

static void test_missing_bucket(void **state) {
  fixture *f = *state;
  assert_int_not_equal(put(f, f->no_bucket, "k/doc.job", (const uint8_t *)"x", 1), SR_OK);
  assert_non_null(strstr(f->err, "NoSuchBucket"));
  assert_non_null(strstr(f->err, "bucket 'missing-bucket'"));
  assert_null(strstr(f->err, SECRET)); /* neither the secret nor the key id */
  listed[0] = '\0';
  assert_int_not_equal(sr_store_list(f->no_bucket, "", list_key, NULL, f->err, sizeof f->err),
                       SR_OK);
  assert_non_null(strstr(f->err, "NoSuchBucket"));
}

static void test_unreachable_endpoint(void **state) {
  fixture *f = *state;
  int port = sr_test_free_port(); /* nothing listens there */
  char yaml[512];
  snprintf(yaml, sizeof yaml,
           "s:\n  plugin: s3\n  name: down\n  config:\n    endpoint: http://127.0.0.1:%d\n"
           "    region: us-east-1\n    bucket: jobs\n    access_key: S3RVER\n"
           "    secret_key: S3RVER\n    timeout_ms: 5000\n",
           port);
  sr_config *cfg = sr_config_load_string("down.yaml", yaml, strlen(yaml));
  sr_instance *down = NULL;
  assert_int_equal(sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                                      sr_config_get(sr_config_root(cfg), "s"), &down, f->err,
                                      sizeof f->err),
                   SR_OK);
  assert_int_equal(put(f, down, "k/doc.job", (const uint8_t *)"x", 1), SR_ERR_CONNECT);
  char where[64];
  snprintf(where, sizeof where, "http://127.0.0.1:%d", port);
  assert_non_null(strstr(f->err, where));
  assert_non_null(strstr(f->err, "the store is up"));
  sr_instance_destroy(down);
  sr_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_stat_remove),
      cmocka_unit_test(test_list_by_prefix),
      cmocka_unit_test(test_list_follows_continuation),
      cmocka_unit_test(test_wrong_secret_is_refused),
      cmocka_unit_test(test_missing_bucket),
      cmocka_unit_test(test_unreachable_endpoint),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
