/*
 * The `s3` storage plugin: objects in a bucket of any S3-compatible store
 * (AWS S3, MinIO, Ceph RGW, ...), signed with libcurl's SigV4.
 *
 * Configuration (docs/plugins.md):
 *   endpoint: https://s3.eu-west-1.amazonaws.com  # required, http(s)://host[:port]
 *   region: eu-west-1                            # required (signing scope)
 *   bucket: securerelease-jobs                   # required
 *   prefix: site-1/                              # optional namespace inside the bucket
 *   access_key: ${S3_ACCESS_KEY}                 # required; ${ENV} keeps it out of the file
 *   secret_key: ${S3_SECRET_KEY}                 # required; never logged
 *   addressing: path                             # path (default) | virtual
 *   sse: aws:kms                                 # none (default) | AES256 | aws:kms
 *   kms_key_id: alias/securerelease              # optional, with aws:kms only
 *   timeout_ms: 60000                            # per attempt (connect: 10 s at most)
 *   retries: 4                                   # 0-10 more attempts on 5xx/SlowDown/network
 *   retry_base_ms: 200                           # first backoff ceiling, doubled each time
 *   multipart_threshold: 64MiB                   # objects this big go in parts
 *   part_size: 16MiB                             # at least 5MiB
 *
 * A put first spools the host's stream to an unlinked temporary file
 * (constant memory; the data is an encrypted job file already) while
 * hashing it: S3 needs the length and the SHA-256 before the body, and a
 * retry or a part is re-read from that file by offset. Every call uses its
 * own curl handles: instances are thread-safe.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_multipart.h"
#include "s3_request.h"

#define LIST_BODY_MAX (8u << 20) /* one ListObjectsV2 page (1000 keys) */
#define MIB (1024LL * 1024)
#define PART_MIN (5 * MIB)          /* S3's smallest part (but the last) */
#define SINGLE_PUT_MAX (5120 * MIB) /* S3's largest single PUT and part */

static const char *const known_keys[] = {"endpoint",
                                         "region",
                                         "bucket",
                                         "prefix",
                                         "access_key",
                                         "secret_key",
                                         "addressing",
                                         "sse",
                                         "kms_key_id",
                                         "retries",
                                         "retry_base_ms",
                                         "timeout_ms",
                                         "part_size",
                                         "multipart_threshold",
                                         NULL};

/* ---- configuration ---- */

static bool name_ok(const char *s, const char *extra) {
  if (!*s)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
      return false;
  return true;
}

/* "16MiB", "5242880", "1GiB" (binary units) -> bytes; -1 if malformed. */
static long long parse_size(const char *text) {
  char *end;
  long long n = strtoll(text, &end, 10);
  if (end == text || n < 0)
    return -1;
  static const struct {
    const char *unit;
    long long factor;
  } units[] = {{"", 1}, {"B", 1}, {"KiB", 1024}, {"MiB", MIB}, {"GiB", 1024 * MIB}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0)
      return n <= (1LL << 40) ? n * units[i].factor : -1;
  return -1;
}

/* A size setting within [PART_MIN, SINGLE_PUT_MAX]; SR_ERR_CONFIG if not. */
static int config_size(const sr_config_node *config, const char *key, const char *def,
                       long long *out) {
  const char *text;
  if (sr_host->config_string(config, key, def, &text) != SR_OK)
    return SR_ERR_CONFIG;
  *out = parse_size(text);
  if (*out < PART_MIN || *out > SINGLE_PUT_MAX) {
    sr_host->config_error(sr_host->config_child(config, key),
                          "expected a size from 5MiB to 5GiB, such as 16MiB");
    return SR_ERR_CONFIG;
  }
  return SR_OK;
}

/* The settings that are plain values, read once by check and create. */
typedef struct settings {
  const char *endpoint, *region, *bucket, *prefix, *access, *secret, *addressing, *sse, *kms;
  int64_t timeout, retries, retry_base;
  long long threshold, part_size;
} settings;

static int read_settings(const sr_config_node *config, settings *v) {
  int status = SR_OK;
  if (sr_host->config_string(config, "endpoint", NULL, &v->endpoint) != SR_OK ||
      sr_host->config_string(config, "region", NULL, &v->region) != SR_OK ||
      sr_host->config_string(config, "bucket", NULL, &v->bucket) != SR_OK ||
      sr_host->config_string(config, "prefix", "", &v->prefix) != SR_OK ||
      sr_host->config_string(config, "access_key", NULL, &v->access) != SR_OK ||
      sr_host->config_string(config, "secret_key", NULL, &v->secret) != SR_OK ||
      sr_host->config_string(config, "addressing", "path", &v->addressing) != SR_OK ||
      sr_host->config_string(config, "sse", "none", &v->sse) != SR_OK ||
      sr_host->config_string(config, "kms_key_id", "", &v->kms) != SR_OK ||
      sr_host->config_int(config, "timeout_ms", 60000, 100, 3600000, &v->timeout) != SR_OK ||
      sr_host->config_int(config, "retries", 4, 0, 10, &v->retries) != SR_OK ||
      sr_host->config_int(config, "retry_base_ms", 200, 1, 10000, &v->retry_base) != SR_OK)
    status = SR_ERR_CONFIG;
  if (config_size(config, "multipart_threshold", "64MiB", &v->threshold) != SR_OK ||
      config_size(config, "part_size", "16MiB", &v->part_size) != SR_OK)
    status = SR_ERR_CONFIG;
  return status;
}

static void reject(const sr_config_node *config, const char *key, const char *why, int *status) {
  sr_host->config_error(sr_host->config_child(config, key), "%s", why);
  *status = SR_ERR_CONFIG;
}

static int s3_check_config(sr_plugin *self, const sr_config_node *config) {
  if (!config) {
    sr_host->set_error(self, SR_ERR_CONFIG,
                       "needs a config map with 'endpoint', 'region', 'bucket', 'access_key' and "
                       "'secret_key'");
    return SR_ERR_CONFIG;
  }
  int status = sr_host->config_only_keys(config, known_keys);
  settings v;
  if (read_settings(config, &v) != SR_OK)
    return SR_ERR_CONFIG;
  bool https = strncmp(v.endpoint, "https://", 8) == 0;
  const char *host = https ? v.endpoint + 8 : v.endpoint + 7;
  bool virtual_host = strcmp(v.addressing, "virtual") == 0;
  if (!https && strncmp(v.endpoint, "http://", 7) != 0)
    reject(config, "endpoint", "expected an http:// or https:// URL of the S3 service", &status);
  else if (virtual_host && strchr(host, '/') && strchr(host, '/')[1])
    reject(config, "endpoint", "with 'addressing: virtual' the endpoint cannot have a path",
           &status);
  if (!name_ok(v.region, "-"))
    reject(config, "region", "expected a region name such as eu-west-1", &status);
  if (!name_ok(v.bucket, "-.") || strlen(v.bucket) < 3 || strlen(v.bucket) > 63)
    reject(config, "bucket", "expected an S3 bucket name (3-63 of a-z, 0-9, '-', '.')", &status);
  else if (virtual_host && https && strchr(v.bucket, '.'))
    reject(config, "bucket",
           "a bucket name with '.' does not match the store's TLS certificate with "
           "'addressing: virtual': use 'addressing: path'",
           &status);
  if (*v.prefix && (!sr_storage_key_check(v.prefix, true) || strlen(v.prefix) > 200))
    reject(config, "prefix", "expected key segments of [A-Za-z0-9._-] joined by '/'", &status);
  if (!virtual_host && strcmp(v.addressing, "path") != 0)
    reject(config, "addressing", "expected 'path' or 'virtual'", &status);
  if (strcmp(v.sse, "none") != 0 && strcmp(v.sse, "AES256") != 0 && strcmp(v.sse, "aws:kms") != 0)
    reject(config, "sse", "expected 'none', 'AES256' or 'aws:kms'", &status);
  if (*v.kms && strcmp(v.sse, "aws:kms") != 0)
    reject(config, "kms_key_id", "only used with 'sse: aws:kms'", &status);
  else if (*v.kms && (!name_ok(v.kms, "ABCDEFGHIJKLMNOPQRSTUVWXYZ:/_-") || strlen(v.kms) > 2048))
    reject(config, "kms_key_id", "expected a KMS key id, ARN or alias/NAME", &status);
  return status;
}

static void s3_destroy(void *instance) {
  s3_store *s = instance;
  if (!s)
    return;
  if (s->userpwd) /* do not leave the secret in freed memory */
    memset(s->userpwd, 0, strlen(s->userpwd));
  sr_host->free(s->endpoint);
  sr_host->free(s->bucket);
  sr_host->free(s->prefix);
  sr_host->free(s->sigv4);
  sr_host->free(s->userpwd);
  sr_host->free(s->sse_header);
  sr_host->free(s->kms_header);
  sr_host->free(s);
  curl_global_cleanup(); /* reference-counted, paired with create's init */
}

/* "a" + "b" + "c" in host memory (NULL on no memory). */
static char *join3(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *out = sr_host->alloc(la + lb + lc + 1);
  if (out) {
    memcpy(out, a, la);
    memcpy(out + la, b, lb);
    memcpy(out + la + lb, c, lc + 1);
  }
  return out;
}

static int s3_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  int status = s3_check_config(self, config);
  if (status != SR_OK)
    return status;
  settings v;
  read_settings(config, &v);
  /* here, on the main thread: curl_global_init is not thread-safe */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return SR_ERR_NOMEM;
  s3_store *s = sr_host->alloc(sizeof *s);
  if (!s) {
    curl_global_cleanup();
    return SR_ERR_NOMEM;
  }
  s->self = self;
  s->timeout_ms = (long)v.timeout;
  s->retries = (int)v.retries;
  s->retry_base_ms = (long)v.retry_base;
  s->multipart_threshold = v.threshold;
  s->part_size = v.part_size;
  s->virtual_host = strcmp(v.addressing, "virtual") == 0;
  s->endpoint = sr_host->strdup(v.endpoint);
  if (s->endpoint && s->endpoint[strlen(s->endpoint) - 1] == '/')
    s->endpoint[strlen(s->endpoint) - 1] = '\0';
  s->bucket = sr_host->strdup(v.bucket);
  size_t plen = strlen(v.prefix);
  s->prefix = join3(v.prefix, plen && v.prefix[plen - 1] != '/' ? "/" : "", "");
  s->sigv4 = join3("aws:amz:", v.region, ":s3");
  s->userpwd = join3(v.access, ":", v.secret);
  bool sse = strcmp(v.sse, "none") != 0;
  s->sse_header = sse ? join3("x-amz-server-side-encryption: ", v.sse, "") : NULL;
  s->kms_header = *v.kms ? join3("x-amz-server-side-encryption-aws-kms-key-id: ", v.kms, "") : NULL;
  if (!s->endpoint || !s->bucket || !s->prefix || !s->sigv4 || !s->userpwd ||
      (sse && !s->sse_header) || (*v.kms && !s->kms_header)) {
    s3_destroy(s);
    return SR_ERR_NOMEM;
  }
  *instance = s;
  return SR_OK;
}

/* ---- get, stat, remove ---- */

static bool key_ok(s3_store *s, const char *key) {
  if (sr_storage_key_valid(key))
    return true;
  sr_host->set_error(s->self, SR_ERR_INVALID, "invalid storage key '%.100s'", key ? key : "");
  return false;
}

/* Runs `r` and hands its reason to the host on failure. */
static int run(s3_store *s, s3_request *r) {
  int status = s3_perform(s, r);
  if (status != SR_OK)
    sr_host->set_error(s->self, status, "%s", r->reason);
  return status;
}

static int s3_get(void *instance, const char *key, sr_write_fn write, void *write_ctx) {
  s3_store *s = instance;
  if (!key_ok(s, key))
    return SR_ERR_INVALID;
  s3_request r = {.operation = "GetObject",
                  .method = "GET",
                  .key = key,
                  .write = write,
                  .write_ctx = write_ctx};
  int status = run(s, &r);
  s3_request_done(&r);
  return status;
}

static int s3_stat(void *instance, const char *key, sr_storage_stat *out) {
  s3_store *s = instance;
  if (!key_ok(s, key))
    return SR_ERR_INVALID;
  s3_request r = {.operation = "HeadObject", .method = "HEAD", .key = key, .want_stat = true};
  int status = run(s, &r);
  if (status == SR_OK) {
    out->size = r.stat.size;
    out->modified = r.stat.modified;
  }
  s3_request_done(&r);
  return status;
}

/* S3 answers a DELETE of a missing object with success; the ABI wants
 * SR_ERR_NOT_FOUND, so a HEAD asks first (an object deleted in between by
 * someone else still reads as deleted, which is what the caller wanted). */
static int s3_remove(void *instance, const char *key) {
  s3_store *s = instance;
  sr_storage_stat st = {.struct_size = sizeof st};
  int status = s3_stat(s, key, &st);
  if (status != SR_OK)
    return status;
  s3_request r = {.operation = "DeleteObject", .method = "DELETE", .key = key};
  status = run(s, &r);
  s3_request_done(&r);
  return status;
}

/* ---- put: spool, hash, one PUT or a multipart upload ---- */

/* Copies the host's stream into an unlinked temporary file, hashing it.
 * Returns SR_OK with *out holding it, sha256_hex and *size filled. */
static int spool(s3_store *s, sr_read_fn read, void *read_ctx, FILE **out, char *sha256_hex,
                 curl_off_t *size) {
  FILE *f = tmpfile();
  if (!f) {
    sr_host->set_error(s->self, SR_ERR_IO, "cannot create a temporary file to stage the upload");
    return SR_ERR_IO;
  }
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(md);
    fclose(f);
    return SR_ERR_NOMEM;
  }
  int status = SR_OK;
  char buf[65536];
  *size = 0;
  for (;;) {
    int64_t got = read(read_ctx, buf, sizeof buf);
    if (got < 0) {
      status = got < SR_ERR_TIMEOUT ? SR_ERR_IO : (int)got; /* never 0 from a bad reader */
      break;
    }
    if (got == 0)
      break;
    EVP_DigestUpdate(md, buf, (size_t)got);
    if (fwrite(buf, 1, (size_t)got, f) != (size_t)got) {
      sr_host->set_error(s->self, SR_ERR_IO, "cannot stage the upload in a temporary file");
      status = SR_ERR_IO;
      break;
    }
    *size += got;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(md, digest, &digest_len);
  EVP_MD_CTX_free(md);
  for (unsigned int i = 0; i < digest_len; i++)
    snprintf(sha256_hex + 2 * i, 3, "%02x", digest[i]);
  if (status == SR_OK && fflush(f) != 0) { /* the upload reads the file by offset */
    sr_host->set_error(s->self, SR_ERR_IO, "cannot stage the upload in a temporary file");
    status = SR_ERR_IO;
  }
  if (status != SR_OK) {
    fclose(f);
    return status;
  }
  *out = f;
  return SR_OK;
}

static int s3_put(void *instance, const char *key, sr_read_fn read, void *read_ctx) {
  s3_store *s = instance;
  if (!key_ok(s, key))
    return SR_ERR_INVALID;
  FILE *staged = NULL;
  char sha256_hex[2 * EVP_MAX_MD_SIZE + 1] = "";
  curl_off_t size = 0;
  int status = spool(s, read, read_ctx, &staged, sha256_hex, &size);
  if (status != SR_OK)
    return status;
  if (size >= s->multipart_threshold) {
    char reason[S3_REASON_MAX] = "";
    status = s3_multipart_put(s, key, fileno(staged), size, reason);
    if (status != SR_OK)
      sr_host->set_error(s->self, status, "%s", reason);
  } else {
    s3_request r = {.operation = "PutObject",
                    .method = "PUT",
                    .key = key,
                    .sse = true,
                    .body_fd = fileno(staged),
                    .body_len = size,
                    .body_sha256 = sha256_hex};
    status = run(s, &r);
    s3_request_done(&r);
  }
  fclose(staged);
  return status;
}

/* ---- list: ListObjectsV2 pages ---- */

/* Calls fn for each <Key> of a page that lies in our namespace. */
static int list_page_keys(s3_store *s, const char *xml, sr_storage_list_fn fn, void *ctx) {
  size_t plen = strlen(s->prefix);
  for (const char *p = xml; (p = strstr(p, "<Key>"));) {
    char key[SR_STORAGE_KEY_MAX + 256];
    s3_xml_text(p, "Key", key, sizeof key);
    p += 5;
    if (strncmp(key, s->prefix, plen) != 0 || !sr_storage_key_valid(key + plen))
      continue; /* not an object this plugin could have written */
    int status = fn(ctx, key + plen);
    if (status != SR_OK)
      return status;
  }
  return SR_OK;
}

/* "continuation-token=T&list-type=2&prefix=P", each value percent-encoded:
 * libcurl 7.88 signs the query as written, so the parameters go in sorted
 * order and fully encoded ('/' too), as SigV4 canonicalises. */
static bool list_query(s3_store *s, const char *prefix, const char *token, char *out, size_t size) {
  char full[SR_STORAGE_KEY_MAX + 256], prefix_q[3 * sizeof full], token_q[3 * 1024];
  snprintf(full, sizeof full, "%s%s", s->prefix, prefix);
  if (!s3_uri_encode(full, prefix_q, sizeof prefix_q) ||
      !s3_uri_encode(token, token_q, sizeof token_q))
    return false;
  return snprintf(out, size, "%s%s%slist-type=2&prefix=%s", *token ? "continuation-token=" : "",
                  token_q, *token ? "&" : "", prefix_q) < (int)size;
}

static int s3_list(void *instance, const char *prefix, sr_storage_list_fn fn, void *ctx) {
  s3_store *s = instance;
  if (!sr_storage_key_check(prefix, true)) {
    sr_host->set_error(s->self, SR_ERR_INVALID, "invalid storage prefix '%.100s'",
                       prefix ? prefix : "");
    return SR_ERR_INVALID;
  }
  char token[1024] = "", query[8192];
  int status = SR_OK;
  do {
    if (!list_query(s, prefix, token, query, sizeof query)) {
      sr_host->set_error(s->self, SR_ERR_PEER, "S3 bucket '%s': a continuation token is too long",
                         s->bucket);
      return SR_ERR_PEER;
    }
    s3_request r = {.operation = "ListObjectsV2",
                    .method = "GET",
                    .scope = prefix,
                    .query = query,
                    .keep_max = LIST_BODY_MAX};
    status = run(s, &r);
    if (status == SR_OK && r.answer_overflow) {
      sr_host->set_error(s->self, SR_ERR_PEER, "S3 bucket '%s': a list page is over %u bytes",
                         s->bucket, LIST_BODY_MAX);
      status = SR_ERR_PEER;
    }
    char truncated[16] = "";
    if (status == SR_OK && r.answer) {
      status = list_page_keys(s, r.answer, fn, ctx);
      s3_xml_text(r.answer, "IsTruncated", truncated, sizeof truncated);
      s3_xml_text(r.answer, "NextContinuationToken", token, sizeof token);
      s3_xml_unescape(token);
    }
    s3_request_done(&r);
    if (strcmp(truncated, "true") != 0)
      break;
  } while (status == SR_OK && *token);
  return status;
}

static const sr_storage_ops s3_ops = {
    .base = {.check_config = s3_check_config, .create = s3_create, .destroy = s3_destroy},
    .put = s3_put,
    .get = s3_get,
    .remove = s3_remove,
    .stat = s3_stat,
    .list = s3_list,
};

/* Instances hold only their configuration, read after create; each call
 * has its own curl handles and temporary file. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_STORAGE, "s3", "1.1.0",
                        "objects in an S3-compatible bucket (SigV4, multipart, retries)", s3_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
