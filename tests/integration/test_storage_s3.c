/* The `s3` storage plugin against a real S3-compatible server on loopback
 * (s3rver from tests/s3, which checks SigV4 signatures), loaded through the
 * loader as a service would. tests/s3/server.js also logs each request it
 * got (what the client sent) and fails chosen requests (retry tests). */
#include <dirent.h>
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
#include "instance.h"
#include "loader.h"
#include "memory_source.h"
#include "peer.h"
#include "storage_client.h"

#define SECRET "S3RVER"
#define WRONG_SECRET "not-the-secret-4711"
#define DOC_SIZE (12u << 20)  /* over multipart_threshold: three parts of 5, 5 and 2 MiB */
#define SMALL_SIZE (1u << 20) /* one PUT */

typedef struct fixture {
  char dir[64];
  sr_peer server;
  sr_loader *loader;
  sr_config *cfg;
  int port;
  sr_instance *good, *wrong_secret, *no_bucket, *no_retry, *virtual_host, *virtual_wrong;
  uint8_t *doc;
  char request_log[96];
  char err[512];
} fixture;

/* Checks a download against the bytes expected, as they arrive (no copy:
 * the memory test measures the plugin, not a buffer of ours). */
typedef struct sink {
  const uint8_t *expect;
  size_t len, cap;
  bool differs;
} sink;

static int sink_write(void *ctx, const void *p, size_t len) {
  sink *s = ctx;
  if (s->len + len > s->cap)
    return SR_ERR_INVALID;
  if (memcmp(s->expect + s->len, p, len) != 0)
    s->differs = true;
  s->len += len;
  return SR_OK;
}

/* Downloads KEY and says whether it is exactly data[0..len). */
static bool get_equals(sr_instance *inst, const char *key, const uint8_t *data, size_t len,
                       char *err, size_t err_size) {
  sink got = {.expect = data, .cap = len};
  int status = sr_store_get(inst, key, sink_write, &got, err, err_size);
  if (status != SR_OK)
    print_message("get %s: %s\n", key, err);
  return status == SR_OK && got.len == len && !got.differs;
}

/* The process's peak resident memory (VmHWM), in KiB. */
static long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  if (f)
    fclose(f);
  return kib;
}

/* Lines of the server's request log holding every one of the strings. */
static int logged(fixture *f, const char *a, const char *b, const char *c) {
  size_t len = 0;
  char *text = sr_test_read_file(f->request_log, &len);
  int count = 0;
  for (char *line = text, *end; line && *line; line = end + 1) {
    end = strchr(line, '\n');
    if (!end)
      break;
    *end = '\0';
    if (strstr(line, a) && (!b || strstr(line, b)) && (!c || strstr(line, c)))
      count++;
  }
  free(text);
  return count;
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
  int port = f->port = sr_test_free_port();
  char port_s[16], data[96], log[96];
  snprintf(port_s, sizeof port_s, "%d", port);
  snprintf(data, sizeof data, "%s/data", f->dir);
  snprintf(log, sizeof log, "%s/s3rver.log", f->dir);
  snprintf(f->request_log, sizeof f->request_log, "%s/requests.log", f->dir);
  /* s3rver makes its continuation tokens with DES, which Node's OpenSSL 3
   * keeps in the legacy provider */
  char *const argv[] = {"node",
                        "--openssl-legacy-provider",
                        SR_TEST_SOURCE_DIR "/tests/s3/server.js",
                        port_s,
                        data,
                        f->request_log,
                        NULL};
  if (!sr_peer_start(&f->server, "s3rver", argv, NULL, log) ||
      !sr_peer_wait_listening(&f->server, port, false, 20000)) {
    print_message("s3rver did not start (scripts/deps.sh installs tests/s3); see %s\n", log);
    return -1;
  }
  /* the secret comes from the environment, as a deployment would pass it */
  setenv("SR_TEST_S3_SECRET", SECRET, 1);
  char yaml[4096];
  /* small parts and short backoffs keep the test quick; the limits are S3's */
#define SECTION                                                                                    \
  "%s:\n  plugin: s3\n  name: %s\n  config:\n"                                                     \
  "    endpoint: http://%s:%d/\n    region: us-east-1\n"                                           \
  "    bucket: %s\n    prefix: site-1\n    access_key: S3RVER\n"                                   \
  "    secret_key: %s\n    timeout_ms: 20000\n    multipart_threshold: 8MiB\n"                     \
  "    part_size: 5MiB\n    retries: %d\n    retry_base_ms: 10\n%s"
  const char *ip = "127.0.0.1", *good = "${SR_TEST_S3_SECRET}";
  /* s3.localhost: curl resolves *.localhost to 127.0.0.1 without DNS, so
   * the virtual host jobs.s3.localhost stays on loopback */
  const char *virtual_opts = "    addressing: virtual\n    sse: aws:kms\n"
                             "    kms_key_id: alias/sr-test-key\n";
  int n = snprintf(yaml, sizeof yaml, SECTION, "good", "jobs", ip, port, "jobs", good, 3,
                   "    sse: AES256\n");
  n += snprintf(yaml + n, sizeof yaml - n, SECTION, "wrong", "wrong", ip, port, "jobs",
                WRONG_SECRET, 3, "");
  n += snprintf(yaml + n, sizeof yaml - n, SECTION, "nobucket", "nobucket", ip, port,
                "missing-bucket", good, 3, "");
  n += snprintf(yaml + n, sizeof yaml - n, SECTION, "noretry", "noretry", ip, port, "jobs", good, 0,
                "");
  n += snprintf(yaml + n, sizeof yaml - n, SECTION, "virtual", "virtual", "s3.localhost", port,
                "jobs", good, 3, virtual_opts);
  snprintf(yaml + n, sizeof yaml - n, SECTION, "vwrong", "vwrong", "s3.localhost", port, "jobs",
           WRONG_SECRET, 3, virtual_opts);
  f->cfg = sr_config_load_string("test.yaml", yaml, strlen(yaml));
  f->loader = sr_loader_new(NULL);
  sr_loader_add_path(f->loader, SR_TEST_PLUGIN_DIR);
  f->good = instance(f, "good");
  f->wrong_secret = instance(f, "wrong");
  f->no_bucket = instance(f, "nobucket");
  f->no_retry = instance(f, "noretry");
  f->virtual_host = instance(f, "virtual");
  f->virtual_wrong = instance(f, "vwrong");
  if (!f->good || !f->wrong_secret || !f->no_bucket || !f->no_retry || !f->virtual_host ||
      !f->virtual_wrong)
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
  sr_instance_destroy(f->no_retry);
  sr_instance_destroy(f->virtual_host);
  sr_instance_destroy(f->virtual_wrong);
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

/* A multipart round trip: 12 MiB of random bytes in three parts, read back
 * byte-identical, with the process's memory growing by far less than the
 * object (both directions stream). */
static void test_put_get_stat_remove(void **state) {
  fixture *f = *state;
  const char *key = "tenant-1/jobs/big.job";
  long rss_before = peak_rss_kib();
  assert_int_equal(put(f, f->good, key, f->doc, DOC_SIZE), SR_OK);
  assert_true(get_equals(f->good, key, f->doc, DOC_SIZE, f->err, sizeof f->err));
  long rss_growth = peak_rss_kib() - rss_before;
  print_message("peak memory growth over a 12 MiB put and get: %ld KiB\n", rss_growth);
  assert_true(rss_before > 0 && rss_growth < 4096);

  /* it went up in three signed parts, the encryption header only on Create */
  assert_int_equal(logged(f, "\"PUT\"", "/jobs/site-1/tenant-1/jobs/big.job", "partNumber"), 3);
  assert_int_equal(logged(f, "\"POST\"", "big.job", "\"uploads\""), 1);
  assert_int_equal(logged(f, "\"uploads\"", "\"sse\":\"AES256\"", "x-amz-server-side-encryption\""),
                   1);
  assert_int_equal(logged(f, "partNumber", "\"sse\":null", "\"status\":200"), 3);
  assert_int_equal(logged(f, "\"POST\"", "big.job", "\"uploadId\""), 1);

  /* the object sits under the configured prefix, in the bucket's directory */
  char path[256];
  snprintf(path, sizeof path, "%s/data/jobs/site-1/tenant-1/jobs/big.job._S3rver_object", f->dir);
  size_t on_disk = 0;
  free(sr_test_read_file(path, &on_disk));
  assert_int_equal(on_disk, DOC_SIZE);

  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, key, &st, f->err, sizeof f->err), SR_OK);
  assert_int_equal(st.size, DOC_SIZE);
  assert_true(st.modified > 1700000000);

  /* replacing keeps one object, with the new content, in one PUT */
  assert_int_equal(put(f, f->good, key, (const uint8_t *)"short", 5), SR_OK);
  assert_int_equal(logged(f, "\"PUT\"", "big.job\",\"query\":[]", "\"sse\":\"AES256\""), 1);
  assert_true(get_equals(f->good, key, (const uint8_t *)"short", 5, f->err, sizeof f->err));

  assert_int_equal(sr_store_remove(f->good, key, f->err, sizeof f->err), SR_OK);
  sink got = {.expect = f->doc, .cap = DOC_SIZE};
  assert_int_equal(sr_store_get(f->good, key, sink_write, &got, f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
  /* the reason names the bucket, the key's namespace and the S3 code */
  assert_non_null(strstr(f->err, "NoSuchKey"));
  assert_non_null(strstr(f->err, "bucket 'jobs', namespace 'site-1/tenant-1/jobs/'"));
  assert_int_equal(sr_store_stat(f->good, key, &st, f->err, sizeof f->err), SR_ERR_NOT_FOUND);
  assert_int_equal(sr_store_remove(f->good, key, f->err, sizeof f->err), SR_ERR_NOT_FOUND);
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

/* The server fails the first PUT and the first GET (500 InternalError):
 * both are retried, and the retried PUT sends the whole body again. */
static void test_retry_after_server_error(void **state) {
  fixture *f = *state;
  const char *key = "once-500/r.job";
  assert_int_equal(put(f, f->good, key, f->doc, SMALL_SIZE), SR_OK);
  assert_int_equal(logged(f, "\"PUT\"", "/once-500/r.job", "\"status\":500"), 1);
  assert_int_equal(logged(f, "\"PUT\"", "/once-500/r.job", "\"status\":200"), 1);
  assert_true(get_equals(f->good, key, f->doc, SMALL_SIZE, f->err, sizeof f->err));
  assert_int_equal(logged(f, "\"GET\"", "/once-500/r.job", "\"status\":500"), 1);
}

/* 503 SlowDown is retried after a backoff; with `retries: 0` it is
 * reported with its S3 code. */
static void test_slowdown(void **state) {
  fixture *f = *state;
  assert_int_equal(put(f, f->good, "once-503/s.job", f->doc, SMALL_SIZE), SR_OK);
  assert_int_equal(logged(f, "/once-503/s.job", "\"status\":503", NULL), 1);
  assert_true(get_equals(f->good, "once-503/s.job", f->doc, SMALL_SIZE, f->err, sizeof f->err));

  assert_int_equal(put(f, f->no_retry, "once-503/t.job", f->doc, 10), SR_ERR_BUSY);
  assert_non_null(strstr(f->err, "HTTP 503 SlowDown"));
  assert_non_null(strstr(f->err, "bucket 'jobs', namespace 'site-1/once-503/'"));
  assert_int_equal(logged(f, "/once-503/t.job", NULL, NULL), 1); /* one attempt */
}

/* Multipart uploads s3rver still holds (its store's uploads directory:
 * s3rver 5.0.0 answers ListMultipartUploads with NotImplemented); -1 if
 * the directory is missing, which it is not once an upload was created. */
static int uploads_left(fixture *f) {
  char uploads[128];
  snprintf(uploads, sizeof uploads, "%s/data/jobs/._S3rver_uploads", f->dir);
  DIR *d = opendir(uploads);
  if (!d)
    return -1;
  int entries = 0;
  for (struct dirent *e; (e = readdir(d));)
    entries += e->d_name[0] != '.';
  closedir(d);
  return entries;
}

/* The connection closes in the middle of a download: the bytes already
 * passed to the caller cannot be taken back, so the get fails (saying so)
 * rather than start over and hand the caller the object's start twice. */
static void test_broken_download_is_not_retried(void **state) {
  fixture *f = *state;
  const char *key = "cut-body/c.job";
  assert_int_equal(put(f, f->good, key, f->doc, SMALL_SIZE), SR_OK);
  sink got = {.expect = f->doc, .cap = SMALL_SIZE};
  assert_int_equal(sr_store_get(f->good, key, sink_write, &got, f->err, sizeof f->err),
                   SR_ERR_CONNECT);
  print_message("%s\n", f->err);
  assert_true(got.len > 0 && got.len < SMALL_SIZE);
  assert_false(got.differs);
  char passed_on[64];
  snprintf(passed_on, sizeof passed_on, "not retried: %zu bytes of the object", got.len);
  assert_non_null(strstr(f->err, passed_on));
  assert_non_null(strstr(f->err, "GetObject failed after 1 attempt"));
  assert_non_null(strstr(f->err, "the connection broke during the answer"));
  assert_int_equal(logged(f, "\"GET\"", "/cut-body/c.job", NULL), 1);
}

/* A part that keeps failing: the upload is aborted, s3rver's store keeps
 * no part and no object. */
static void test_failed_part_aborts_upload(void **state) {
  fixture *f = *state;
  const char *key = "part2-fails/big.job";
  assert_int_equal(put(f, f->good, key, f->doc, DOC_SIZE), SR_ERR_PEER);
  assert_non_null(strstr(f->err, "UploadPart 2 of 3"));
  assert_non_null(strstr(f->err, "InternalError (after 4 attempts)"));
  assert_non_null(strstr(f->err, "namespace 'site-1/part2-fails/'"));
  assert_int_equal(logged(f, "/part2-fails/big.job", "partNumber", "\"status\":200"), 1);
  assert_int_equal(logged(f, "\"DELETE\"", "/part2-fails/big.job", "\"status\":204"), 1);
  assert_int_equal(uploads_left(f), 0);
  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, key, &st, f->err, sizeof f->err), SR_ERR_NOT_FOUND);
}

/* CompleteMultipartUpload answers 200 with an <Error> inside: that is a
 * failure (retried, then reported), and the upload is aborted. */
static void test_error_inside_complete_answer(void **state) {
  fixture *f = *state;
  const char *key = "complete-fails/big.job";
  assert_int_equal(put(f, f->good, key, f->doc, DOC_SIZE), SR_ERR_PEER);
  assert_non_null(strstr(f->err, "CompleteMultipartUpload failed with HTTP 200 InternalError"));
  assert_int_equal(logged(f, "\"POST\"", "/complete-fails/big.job", "\"uploadId\""), 4);
  assert_int_equal(logged(f, "\"DELETE\"", "/complete-fails/big.job", "\"status\":204"), 1);
  assert_int_equal(uploads_left(f), 0);
  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, key, &st, f->err, sizeof f->err), SR_ERR_NOT_FOUND);
}

/* Virtual-hosted addressing (jobs.s3.localhost) with SSE-KMS headers: the
 * bucket is in the host name, the headers are sent and signed. */
static void test_virtual_hosted_with_kms(void **state) {
  fixture *f = *state;
  const char *key = "v/doc.job";
  assert_int_equal(put(f, f->virtual_host, key, f->doc, SMALL_SIZE), SR_OK);
  assert_true(get_equals(f->virtual_host, key, f->doc, SMALL_SIZE, f->err, sizeof f->err));
  assert_true(
      get_equals(f->good, key, f->doc, SMALL_SIZE, f->err, sizeof f->err)); /* same bucket */
  char host[64];
  snprintf(host, sizeof host, "\"host\":\"jobs.s3.localhost:%d\"", f->port);
  assert_int_equal(logged(f, host, "\"path\":\"/site-1/v/doc.job\"", "\"status\":200"), 2);
  assert_int_equal(logged(f, host, "\"sse\":\"aws:kms\",\"kms_key_id\":\"alias/sr-test-key\"",
                          "x-amz-server-side-encryption-aws-kms-key-id\""),
                   1);
  listed[0] = '\0';
  assert_int_equal(sr_store_list(f->virtual_host, "v/", list_key, NULL, f->err, sizeof f->err),
                   SR_OK);
  assert_string_equal(listed, "v/doc.job;");
  assert_int_equal(sr_store_remove(f->virtual_host, key, f->err, sizeof f->err), SR_OK);
  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, key, &st, f->err, sizeof f->err), SR_ERR_NOT_FOUND);
  /* the server checks virtual-hosted signatures too */
  assert_int_equal(put(f, f->virtual_wrong, key, f->doc, 10), SR_ERR_AUTH);
  assert_non_null(strstr(f->err, "SignatureDoesNotMatch"));
}

static void test_wrong_secret_is_refused(void **state) {
  fixture *f = *state;
  /* s3rver accepts unsigned requests: a refused wrong secret proves signing */
  assert_int_equal(put(f, f->wrong_secret, "k/doc.job", (const uint8_t *)"x", 1), SR_ERR_AUTH);
  assert_non_null(strstr(f->err, "HTTP 403 SignatureDoesNotMatch"));
  assert_non_null(strstr(f->err, "bucket 'jobs', namespace 'site-1/k/'"));
  assert_non_null(strstr(f->err, "check access_key and secret_key"));
  assert_null(strstr(f->err, WRONG_SECRET));
  sink got = {.expect = f->doc, .cap = 16};
  assert_int_equal(
      sr_store_get(f->wrong_secret, "k/doc.job", sink_write, &got, f->err, sizeof f->err),
      SR_ERR_AUTH);
  assert_non_null(strstr(f->err, "SignatureDoesNotMatch"));
  assert_null(strstr(f->err, WRONG_SECRET));
  /* and nothing was stored by the refused put */
  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->good, "k/doc.job", &st, f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
}

static void test_missing_bucket(void **state) {
  fixture *f = *state;
  assert_int_equal(put(f, f->no_bucket, "k/doc.job", (const uint8_t *)"x", 1), SR_ERR_PEER);
  assert_non_null(strstr(f->err, "HTTP 404 NoSuchBucket"));
  assert_non_null(strstr(f->err, "bucket 'missing-bucket', namespace 'site-1/k/'"));
  assert_non_null(strstr(f->err, "check 'bucket'"));
  assert_null(strstr(f->err, SECRET)); /* neither the secret nor the key id */
  listed[0] = '\0';
  assert_int_equal(sr_store_list(f->no_bucket, "t/", list_key, NULL, f->err, sizeof f->err),
                   SR_ERR_PEER);
  assert_non_null(strstr(f->err, "NoSuchBucket"));
  assert_non_null(strstr(f->err, "namespace 'site-1/t/'"));
}

static void test_unreachable_endpoint(void **state) {
  fixture *f = *state;
  int port = sr_test_free_port(); /* nothing listens there */
  char yaml[512];
  snprintf(yaml, sizeof yaml,
           "s:\n  plugin: s3\n  name: down\n  config:\n    endpoint: http://127.0.0.1:%d\n"
           "    region: us-east-1\n    bucket: jobs\n    access_key: S3RVER\n"
           "    secret_key: S3RVER\n    timeout_ms: 5000\n    retries: 2\n"
           "    retry_base_ms: 20\n",
           port);
  sr_config *cfg = sr_config_load_string("down.yaml", yaml, strlen(yaml));
  sr_instance *down = NULL;
  assert_int_equal(sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                                      sr_config_get(sr_config_root(cfg), "s"), &down, f->err,
                                      sizeof f->err),
                   SR_OK);
  assert_int_equal(put(f, down, "k/doc.job", (const uint8_t *)"x", 1), SR_ERR_CONNECT);
  char where[64];
  snprintf(where, sizeof where, "S3 endpoint http://127.0.0.1:%d ", port);
  assert_non_null(strstr(f->err, where));
  assert_non_null(strstr(f->err, "PutObject failed after 3 attempts"));
  assert_non_null(strstr(f->err, "check that 'endpoint' is right and the store is up"));
  sr_instance_destroy(down);
  sr_config_free(cfg);
}

/* Settings that cannot work are refused when the instance is made. */
static void test_bad_settings(void **state) {
  fixture *f = *state;
  static const struct {
    const char *line, *expect;
  } cases[] = {
      {"part_size: 1MiB", "expected a size from 5MiB to 5GiB"},
      {"addressing: vhost", "expected 'path' or 'virtual'"},
      {"sse: aes", "expected 'none', 'AES256' or 'aws:kms'"},
      {"kms_key_id: alias/k", "only used with 'sse: aws:kms'"},
      {"retries: 11", "retries"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "s:\n  plugin: s3\n  name: bad\n  config:\n    endpoint: http://127.0.0.1:1\n"
             "    region: us-east-1\n    bucket: jobs\n    access_key: a\n    secret_key: b\n"
             "    %s\n",
             cases[i].line);
    sr_config *cfg = sr_config_load_string("bad.yaml", yaml, strlen(yaml));
    sr_instance *bad = NULL;
    assert_int_equal(sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                                        sr_config_get(sr_config_root(cfg), "s"), &bad, f->err,
                                        sizeof f->err),
                     SR_ERR_CONFIG);
    if (!strstr(f->err, cases[i].expect))
      print_message("%s: %s\n", cases[i].line, f->err);
    assert_non_null(strstr(f->err, cases[i].expect));
    sr_config_free(cfg);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      /* first: the memory check needs a peak no earlier test has raised */
      cmocka_unit_test(test_put_get_stat_remove),
      cmocka_unit_test(test_list_by_prefix),
      cmocka_unit_test(test_list_follows_continuation),
      cmocka_unit_test(test_retry_after_server_error),
      cmocka_unit_test(test_slowdown),
      cmocka_unit_test(test_broken_download_is_not_retried),
      cmocka_unit_test(test_failed_part_aborts_upload),
      cmocka_unit_test(test_error_inside_complete_answer),
      cmocka_unit_test(test_virtual_hosted_with_kms),
      cmocka_unit_test(test_wrong_secret_is_refused),
      cmocka_unit_test(test_missing_bucket),
      cmocka_unit_test(test_unreachable_endpoint),
      cmocka_unit_test(test_bad_settings),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
