/*
 * The `s3` storage plugin: objects in a bucket of any S3-compatible store
 * (AWS S3, MinIO, Ceph RGW, ...), signed with libcurl's SigV4.
 *
 * Configuration:
 *   endpoint: https://s3.eu-west-1.amazonaws.com  # required, http(s)://host[:port]
 *   region: eu-west-1                            # required (signing scope)
 *   bucket: securerelease-jobs                   # required
 *   prefix: site-1/                              # optional namespace inside the bucket
 *   access_key: ${S3_ACCESS_KEY}                 # required; ${ENV} keeps it out of the file
 *   secret_key: ${S3_SECRET_KEY}                 # required; never logged
 *   timeout_ms: 60000                            # optional, per request (connect: 10 s at most)
 *
 * Addressing is path-style (ENDPOINT/BUCKET/PREFIX+KEY). A put is one PUT:
 * S3 needs the length and a single PUT is atomic, so the stream is first
 * spooled to an unlinked temporary file (constant memory; the data is an
 * encrypted job file already) while its SHA-256 is computed, and that hash
 * is signed as x-amz-content-sha256 (libcurl 7.88 does not add it).
 * Every call uses its own curl handle: instances are thread-safe.
 */
#include <curl/curl.h>
#include <openssl/evp.h>
#include <sr/storage.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ERROR_BODY_MAX 4096      /* the XML error document we keep */
#define LIST_BODY_MAX (8u << 20) /* one ListObjectsV2 page (1000 keys) */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct s3_store {
  sr_plugin *self;
  char *endpoint; /* without a trailing '/' */
  char *bucket;
  char *prefix;  /* "" or ends with '/' */
  char *sigv4;   /* "aws:amz:REGION:s3" */
  char *userpwd; /* "ACCESS:SECRET": secret, never logged */
  long timeout_ms;
} s3_store;

static const char *const known_keys[] = {"endpoint",   "region",     "bucket",     "prefix",
                                         "access_key", "secret_key", "timeout_ms", NULL};

/* ---- configuration ---- */

static bool name_ok(const char *s, const char *extra) {
  if (!*s)
    return false;
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(extra, *p)))
      return false;
  return true;
}

static int s3_check_config(sr_plugin *self, const sr_config_node *config) {
  if (!config) {
    sr_host->set_error(self, SR_ERR_CONFIG,
                       "needs a config map with 'endpoint', 'region', 'bucket', 'access_key' and "
                       "'secret_key'");
    return SR_ERR_CONFIG;
  }
  int status = sr_host->config_only_keys(config, known_keys);
  const char *endpoint, *region, *bucket, *prefix, *key;
  int64_t timeout;
  if (sr_host->config_string(config, "endpoint", NULL, &endpoint) != SR_OK ||
      sr_host->config_string(config, "region", NULL, &region) != SR_OK ||
      sr_host->config_string(config, "bucket", NULL, &bucket) != SR_OK ||
      sr_host->config_string(config, "prefix", "", &prefix) != SR_OK ||
      sr_host->config_string(config, "access_key", NULL, &key) != SR_OK ||
      sr_host->config_string(config, "secret_key", NULL, &key) != SR_OK ||
      sr_host->config_int(config, "timeout_ms", 60000, 100, 3600000, &timeout) != SR_OK)
    return SR_ERR_CONFIG;
  if (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) {
    sr_host->config_error(sr_host->config_child(config, "endpoint"),
                          "expected an http:// or https:// URL of the S3 service");
    status = SR_ERR_CONFIG;
  }
  if (!name_ok(region, "-")) {
    sr_host->config_error(sr_host->config_child(config, "region"),
                          "expected a region name such as eu-west-1");
    status = SR_ERR_CONFIG;
  }
  if (!name_ok(bucket, "-.") || strlen(bucket) < 3 || strlen(bucket) > 63) {
    sr_host->config_error(sr_host->config_child(config, "bucket"),
                          "expected an S3 bucket name (3-63 of a-z, 0-9, '-', '.')");
    status = SR_ERR_CONFIG;
  }
  if (*prefix && (!sr_storage_key_check(prefix, true) || strlen(prefix) > 200)) {
    sr_host->config_error(sr_host->config_child(config, "prefix"),
                          "expected key segments of [A-Za-z0-9._-] joined by '/'");
    status = SR_ERR_CONFIG;
  }
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
  sr_host->free(s);
  curl_global_cleanup(); /* reference-counted, paired with create's init */
}

/* Returns "a" + "b" in host memory (NULL on no memory). */
static char *join(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *out = sr_host->alloc(la + lb + 1);
  if (out) {
    memcpy(out, a, la);
    memcpy(out + la, b, lb + 1);
  }
  return out;
}

static int s3_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  int status = s3_check_config(self, config);
  if (status != SR_OK)
    return status;
  const char *endpoint, *region, *bucket, *prefix, *access, *secret;
  int64_t timeout;
  sr_host->config_string(config, "endpoint", NULL, &endpoint);
  sr_host->config_string(config, "region", NULL, &region);
  sr_host->config_string(config, "bucket", NULL, &bucket);
  sr_host->config_string(config, "prefix", "", &prefix);
  sr_host->config_string(config, "access_key", NULL, &access);
  sr_host->config_string(config, "secret_key", NULL, &secret);
  sr_host->config_int(config, "timeout_ms", 60000, 100, 3600000, &timeout);
  /* here, on the main thread: curl_global_init is not thread-safe */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return SR_ERR_NOMEM;
  s3_store *s = sr_host->alloc(sizeof *s);
  if (!s) {
    curl_global_cleanup();
    return SR_ERR_NOMEM;
  }
  s->self = self;
  s->timeout_ms = (long)timeout;
  s->endpoint = sr_host->strdup(endpoint);
  if (s->endpoint && *s->endpoint && s->endpoint[strlen(s->endpoint) - 1] == '/')
    s->endpoint[strlen(s->endpoint) - 1] = '\0';
  s->bucket = sr_host->strdup(bucket);
  size_t plen = strlen(prefix);
  s->prefix = join(prefix, plen && prefix[plen - 1] != '/' ? "/" : "");
  s->sigv4 = join("aws:amz:", region);
  char *scope = s->sigv4 ? join(s->sigv4, ":s3") : NULL;
  sr_host->free(s->sigv4);
  s->sigv4 = scope;
  char *user = join(access, ":");
  s->userpwd = user ? join(user, secret) : NULL;
  sr_host->free(user);
  if (!s->endpoint || !s->bucket || !s->prefix || !s->sigv4 || !s->userpwd) {
    s3_destroy(s);
    return SR_ERR_NOMEM;
  }
  *instance = s;
  return SR_OK;
}

/* ---- one signed request ---- */

typedef struct s3_call {
  s3_store *s;
  const char *method; /* "GET", "PUT", "HEAD", "DELETE" */
  const char *key;    /* the caller's key, for messages ("" for the bucket) */
  CURL *curl;
  long http_status;
  sr_write_fn write; /* 2xx body goes here, else to `body` */
  void *write_ctx;
  int write_status; /* what `write` returned, if it stopped the transfer */
  char *body;       /* error document or list page, host memory */
  size_t body_len, body_max;
  bool body_overflow;
} s3_call;

static size_t on_body(char *data, size_t size, size_t n, void *userdata) {
  s3_call *c = userdata;
  size_t len = size * n;
  if (c->http_status == 0)
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->http_status);
  if (c->http_status / 100 == 2 && c->write) {
    c->write_status = c->write(c->write_ctx, data, len);
    return c->write_status == SR_OK ? len : 0;
  }
  if (c->body_len + len + 1 > c->body_max) {
    c->body_overflow = true;
    len = c->body_max - c->body_len - 1; /* keep the start: the code is there */
  }
  char *grown = sr_host->realloc(c->body, c->body_len + len + 1);
  if (!grown)
    return 0;
  c->body = grown;
  memcpy(c->body + c->body_len, data, len);
  c->body_len += len;
  c->body[c->body_len] = '\0';
  return size * n;
}

/* Copies the text of the first <tag>...</tag> of `xml` into out (empty if none). */
static void xml_text(const char *xml, const char *tag, char *out, size_t size) {
  char open[64], close[64];
  snprintf(open, sizeof open, "<%s>", tag);
  snprintf(close, sizeof close, "</%s>", tag);
  out[0] = '\0';
  const char *start = xml ? strstr(xml, open) : NULL;
  const char *end = start ? strstr(start, close) : NULL;
  if (!end)
    return;
  start += strlen(open);
  snprintf(out, size, "%.*s", (int)(end - start), start);
}

/* Turns a finished request into a status and, on failure, a reason naming
 * the bucket, the namespace, the key and the S3 error code. */
static int call_result(s3_call *c, CURLcode rc, const char *curl_error) {
  s3_store *s = c->s;
  if (rc != CURLE_OK && c->write_status != SR_OK)
    return c->write_status; /* the host's writer stopped us; its reason stands */
  if (rc != CURLE_OK) {
    int status = rc == CURLE_OPERATION_TIMEDOUT                                    ? SR_ERR_TIMEOUT
                 : rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ? SR_ERR_CONNECT
                 : rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR       ? SR_ERR_IO
                                                                                   : SR_ERR_CONNECT;
    sr_host->set_error(s->self, status,
                       "S3 endpoint %s (bucket '%s', prefix '%s'): %s %s failed: %s; check that "
                       "the endpoint is right and the store is up",
                       s->endpoint, s->bucket, s->prefix, c->method, c->key,
                       *curl_error ? curl_error : curl_easy_strerror(rc));
    return status;
  }
  curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->http_status);
  if (c->http_status / 100 == 2)
    return SR_OK;
  char code[64], message[200];
  xml_text(c->body, "Code", code, sizeof code);
  xml_text(c->body, "Message", message, sizeof message);
  if (!*code) /* HEAD answers carry no body */
    snprintf(code, sizeof code, "%s",
             c->http_status == 404   ? "NotFound"
             : c->http_status == 403 ? "Forbidden (AccessDenied or SignatureDoesNotMatch)"
                                     : "no error code");
  int status = strcmp(code, "NoSuchKey") == 0 || (c->http_status == 404 && !c->body)
                   ? SR_ERR_NOT_FOUND
               : c->http_status == 403 || c->http_status == 401 ? SR_ERR_AUTH
               : c->http_status == 503                          ? SR_ERR_BUSY
                                                                : SR_ERR_PEER;
  const char *hint =
      strcmp(code, "SignatureDoesNotMatch") == 0 || strcmp(code, "InvalidAccessKeyId") == 0
          ? "; check access_key and secret_key"
      : strcmp(code, "NoSuchBucket") == 0 ? "; check 'bucket' (it must exist)"
      : strcmp(code, "AccessDenied") == 0 ? "; the credentials lack the permission"
                                          : "";
  sr_host->set_error(s->self, status, "S3 bucket '%s' prefix '%s': %s %s: HTTP %ld %s%s%s%s",
                     s->bucket, s->prefix, c->method, c->key, c->http_status, code,
                     *message ? ": " : "", message, hint);
  return status;
}

/* Prepares c->curl for METHOD on ENDPOINT/BUCKET/PREFIX+KEY (or the bucket
 * itself with `query` when key is NULL). Returns SR_OK or SR_ERR_NOMEM. */
static int call_open(s3_call *c, const char *key, const char *query, struct curl_slist **headers,
                     const char *payload_sha256, char *errbuf) {
  s3_store *s = c->s;
  c->curl = curl_easy_init();
  if (!c->curl)
    return SR_ERR_NOMEM;
  size_t url_len = strlen(s->endpoint) + strlen(s->bucket) + strlen(s->prefix) +
                   (key ? strlen(key) : 0) + (query ? strlen(query) : 0) + 8;
  char *url = sr_host->alloc(url_len);
  if (!url)
    return SR_ERR_NOMEM;
  if (key)
    snprintf(url, url_len, "%s/%s/%s%s", s->endpoint, s->bucket, s->prefix, key);
  else
    snprintf(url, url_len, "%s/%s?%s", s->endpoint, s->bucket, query ? query : "");
  char sha_header[128];
  snprintf(sha_header, sizeof sha_header, "x-amz-content-sha256: %s", payload_sha256);
  /* Only this header: libcurl 7.88 signs every header of the list, even
   * one that only removes a default (such as "Expect:"), which would then
   * not match what the server sees. */
  *headers = curl_slist_append(NULL, sha_header);
  CURL *k = c->curl;
  curl_easy_setopt(k, CURLOPT_URL, url);
  sr_host->free(url); /* curl keeps its own copy */
  if (!*headers)
    return SR_ERR_NOMEM;
  curl_easy_setopt(k, CURLOPT_HTTPHEADER, *headers);
  curl_easy_setopt(k, CURLOPT_AWS_SIGV4, s->sigv4);
  curl_easy_setopt(k, CURLOPT_USERPWD, s->userpwd);
  curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L); /* worker threads */
  curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, s->timeout_ms);
  curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
  curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(k, CURLOPT_WRITEDATA, c);
  if (strcmp(c->method, "HEAD") == 0)
    curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
  else if (strcmp(c->method, "DELETE") == 0)
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, "DELETE");
  c->body_max = c->body_max ? c->body_max : ERROR_BODY_MAX;
  return SR_OK;
}

static void call_close(s3_call *c, struct curl_slist *headers) {
  if (c->curl)
    curl_easy_cleanup(c->curl);
  curl_slist_free_all(headers);
  sr_host->free(c->body);
}

static bool key_ok(s3_store *s, const char *key) {
  if (sr_storage_key_valid(key))
    return true;
  sr_host->set_error(s->self, SR_ERR_INVALID, "invalid storage key '%.100s'", key ? key : "");
  return false;
}

/* One request without a request body; `fill` lets stat read the headers. */
static int simple_call(s3_store *s, const char *method, const char *key, sr_write_fn write,
                       void *write_ctx, sr_storage_stat *stat_out) {
  if (!key_ok(s, key))
    return SR_ERR_INVALID;
  s3_call c = {.s = s, .method = method, .key = key, .write = write, .write_ctx = write_ctx};
  struct curl_slist *headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  int status = call_open(&c, key, NULL, &headers, EMPTY_SHA256, errbuf);
  if (status == SR_OK) {
    if (stat_out)
      curl_easy_setopt(c.curl, CURLOPT_FILETIME, 1L);
    status = call_result(&c, curl_easy_perform(c.curl), errbuf);
  }
  if (status == SR_OK && stat_out) {
    curl_off_t size = -1, modified = -1;
    curl_easy_getinfo(c.curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
    curl_easy_getinfo(c.curl, CURLINFO_FILETIME_T, &modified);
    stat_out->size = size > 0 ? (uint64_t)size : 0;
    stat_out->modified = modified >= 0 ? (int64_t)modified : 0;
  }
  call_close(&c, headers);
  return status;
}

static int s3_get(void *instance, const char *key, sr_write_fn write, void *write_ctx) {
  return simple_call(instance, "GET", key, write, write_ctx, NULL);
}

static int s3_stat(void *instance, const char *key, sr_storage_stat *out) {
  return simple_call(instance, "HEAD", key, NULL, NULL, out);
}

/* S3 answers a DELETE of a missing object with success; the ABI wants
 * SR_ERR_NOT_FOUND, so a HEAD asks first (an object deleted in between by
 * someone else still reads as deleted, which is what the caller wanted). */
static int s3_remove(void *instance, const char *key) {
  sr_storage_stat st = {.struct_size = sizeof st};
  int status = simple_call(instance, "HEAD", key, NULL, NULL, &st);
  return status == SR_OK ? simple_call(instance, "DELETE", key, NULL, NULL, NULL) : status;
}

/* ---- put: spool, hash, one PUT ---- */

/* Copies the host's stream into an unlinked temporary file, hashing it.
 * Returns SR_OK with *out open at its start and sha256_hex filled. */
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
  if (status == SR_OK && (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)) {
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
  s3_call c = {.s = s, .method = "PUT", .key = key};
  struct curl_slist *headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  status = call_open(&c, key, NULL, &headers, sha256_hex, errbuf);
  if (status == SR_OK) {
    curl_easy_setopt(c.curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c.curl, CURLOPT_READDATA, staged); /* curl's default fread */
    curl_easy_setopt(c.curl, CURLOPT_INFILESIZE_LARGE, size);
    status = call_result(&c, curl_easy_perform(c.curl), errbuf);
  }
  call_close(&c, headers);
  fclose(staged);
  return status;
}

/* ---- list: ListObjectsV2 pages ---- */

/* Undoes the five XML entities in place (tokens may hold '&' or '='). */
static void xml_unescape(char *s) {
  static const struct {
    const char *entity;
    char c;
  } map[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  char *out = s;
  for (const char *p = s; *p;) {
    size_t i = 0;
    for (; i < sizeof map / sizeof map[0]; i++)
      if (strncmp(p, map[i].entity, strlen(map[i].entity)) == 0)
        break;
    if (i < sizeof map / sizeof map[0]) {
      *out++ = map[i].c;
      p += strlen(map[i].entity);
    } else {
      *out++ = *p++;
    }
  }
  *out = '\0';
}

/* Calls fn for each <Key> of a page that lies in our namespace. */
static int list_page_keys(s3_store *s, const char *xml, sr_storage_list_fn fn, void *ctx) {
  size_t plen = strlen(s->prefix);
  for (const char *p = xml; (p = strstr(p, "<Key>"));) {
    char key[SR_STORAGE_KEY_MAX + 256];
    xml_text(p, "Key", key, sizeof key);
    p += 5;
    if (strncmp(key, s->prefix, plen) != 0 || !sr_storage_key_valid(key + plen))
      continue; /* not an object this plugin could have written */
    int status = fn(ctx, key + plen);
    if (status != SR_OK)
      return status;
  }
  return SR_OK;
}

/* "continuation-token=T&list-type=2&prefix=P" (host memory; NULL on no
 * memory), each value percent-encoded. */
static char *list_query(s3_store *s, const char *prefix, const char *token) {
  CURL *esc = curl_easy_init();
  char *full = join(s->prefix, prefix);
  char *prefix_q = esc && full ? curl_easy_escape(esc, full, 0) : NULL;
  char *token_q = esc ? curl_easy_escape(esc, token, 0) : NULL;
  char *query = NULL;
  if (prefix_q && token_q) {
    size_t len = strlen(prefix_q) + strlen(token_q) + 64;
    query = sr_host->alloc(len);
    if (query)
      snprintf(query, len, "%s%s%slist-type=2&prefix=%s", *token ? "continuation-token=" : "",
               token_q, *token ? "&" : "", prefix_q);
  }
  curl_free(prefix_q);
  curl_free(token_q);
  sr_host->free(full);
  if (esc)
    curl_easy_cleanup(esc);
  return query;
}

static int s3_list(void *instance, const char *prefix, sr_storage_list_fn fn, void *ctx) {
  s3_store *s = instance;
  if (!sr_storage_key_check(prefix, true)) {
    sr_host->set_error(s->self, SR_ERR_INVALID, "invalid storage prefix '%.100s'",
                       prefix ? prefix : "");
    return SR_ERR_INVALID;
  }
  char token[1024] = "";
  int status = SR_OK;
  do {
    /* libcurl 7.88 signs the query as written: the parameters go in sorted
     * order and fully percent-encoded ('/' too), as SigV4 canonicalises. */
    char *query = list_query(s, prefix, token);
    if (!query)
      return SR_ERR_NOMEM;
    s3_call c = {.s = s, .method = "GET", .key = "(list)", .body_max = LIST_BODY_MAX};
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    status = call_open(&c, NULL, query, &headers, EMPTY_SHA256, errbuf);
    sr_host->free(query);
    if (status == SR_OK) {
      /* the page is the body: collect it as an error body would be */
      status = call_result(&c, curl_easy_perform(c.curl), errbuf);
    }
    if (status == SR_OK && c.body_overflow) {
      sr_host->set_error(s->self, SR_ERR_PEER, "S3 bucket '%s': a list page is over %u bytes",
                         s->bucket, LIST_BODY_MAX);
      status = SR_ERR_PEER;
    }
    char truncated[16] = "";
    if (status == SR_OK && c.body) {
      status = list_page_keys(s, c.body, fn, ctx);
      xml_text(c.body, "IsTruncated", truncated, sizeof truncated);
      xml_text(c.body, "NextContinuationToken", token, sizeof token);
      xml_unescape(token);
    }
    call_close(&c, headers);
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
 * has its own curl handle and temporary file. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_STORAGE, "s3", "1.0.0",
                        "objects in an S3-compatible bucket (SigV4, path-style)", s3_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
