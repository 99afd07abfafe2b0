/*
 * One S3 operation: a SigV4-signed request with retries, and its failure
 * as a reason naming the bucket, the key's namespace and the S3 error code.
 */
#include "s3_request.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ERROR_BODY_MAX 4096   /* the XML error document we keep */
#define RETRY_DELAY_MAX 20000 /* ms: no single backoff sleeps longer */

/* ---- small text helpers ---- */

void s3_xml_text(const char *xml, const char *tag, char *out, size_t size) {
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

void s3_xml_unescape(char *s) {
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

bool s3_uri_encode(const char *in, char *out, size_t size) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
    bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                 *p == '-' || *p == '.' || *p == '_' || *p == '~';
    if (n + (plain ? 1 : 3) >= size)
      return false;
    if (plain) {
      out[n++] = (char)*p;
    } else {
      out[n++] = '%';
      out[n++] = hex[*p >> 4];
      out[n++] = hex[*p & 15];
    }
  }
  out[n] = '\0';
  return true;
}

void s3_where(const s3_store *s, const char *key, char *out, size_t size) {
  const char *slash = key ? strrchr(key, '/') : NULL;
  int dir_len = slash ? (int)(slash - key + 1) : 0;
  snprintf(out, size, "bucket '%s', namespace '%s%.*s'", s->bucket, s->prefix, dir_len,
           key ? key : "");
}

/* Writes a reason; a long one is cut (the host keeps 511 bytes anyway). */
static void SR_PRINTF(2, 3) reason_set(s3_request *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason, sizeof r->reason, fmt, ap);
  va_end(ap);
}

/* ---- curl callbacks ---- */

/* The request body: a region of the spooled file, read by offset (pread),
 * so a retry or a curl rewind just starts over. */
static size_t on_read(char *buf, size_t size, size_t n, void *userdata) {
  s3_request *r = userdata;
  curl_off_t left = r->body_len - r->sent;
  size_t want = size * n < (size_t)left ? size * n : (size_t)left;
  if (want == 0)
    return 0;
  ssize_t got;
  do
    got = pread(r->body_fd, buf, want, (off_t)(r->body_offset + r->sent));
  while (got < 0 && errno == EINTR);
  if (got <= 0)
    return CURL_READFUNC_ABORT; /* the file shrank or failed: never send short */
  r->sent += got;
  return (size_t)got;
}

static int on_seek(void *userdata, curl_off_t offset, int origin) {
  s3_request *r = userdata;
  if (origin != SEEK_SET || offset < 0 || offset > r->body_len)
    return CURL_SEEKFUNC_CANTSEEK;
  r->sent = offset;
  return CURL_SEEKFUNC_OK;
}

static bool keep(s3_request *r, const char *data, size_t len, size_t max) {
  if (r->answer_len + len + 1 > max) {
    r->answer_overflow = true;
    len = max - r->answer_len - 1; /* keep the start: the code is there */
  }
  char *grown = sr_host->realloc(r->answer, r->answer_len + len + 1);
  if (!grown)
    return false;
  r->answer = grown;
  memcpy(r->answer + r->answer_len, data, len);
  r->answer_len += len;
  r->answer[r->answer_len] = '\0';
  return true;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata) {
  s3_request *r = userdata;
  size_t len = size * n;
  if (r->http_status == 0)
    curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &r->http_status);
  if (r->http_status / 100 == 2 && r->write) {
    r->write_status = r->write(r->write_ctx, data, len);
    if (r->write_status != SR_OK)
      return 0;
    r->delivered += len;
    return len;
  }
  size_t max = r->http_status / 100 == 2 && r->keep_max ? r->keep_max : ERROR_BODY_MAX;
  return keep(r, data, len, max) ? len : 0;
}

/* Keeps the ETag header (an UploadPart's receipt for CompleteMultipartUpload). */
static size_t on_header(char *data, size_t size, size_t n, void *userdata) {
  s3_request *r = userdata;
  size_t len = size * n;
  if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
    const char *v = data + 5;
    size_t vlen = len - 5;
    while (vlen && (*v == ' ' || *v == '\t'))
      v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
      vlen--;
    snprintf(r->etag, sizeof r->etag, "%.*s", (int)vlen, v);
  }
  return len;
}

/* ---- one attempt ---- */

/* ENDPOINT/BUCKET/PREFIX+KEY (path) or SCHEME://BUCKET.HOST/PREFIX+KEY
 * (virtual), then ?QUERY. Host memory; NULL on no memory. */
static char *request_url(const s3_store *s, const s3_request *r) {
  const char *host = strstr(s->endpoint, "://") + 3; /* checked by check_config */
  size_t len = strlen(s->endpoint) + strlen(s->bucket) + strlen(s->prefix) +
               (r->key ? strlen(r->key) : 0) + (r->query ? strlen(r->query) : 0) + 8;
  char *url = sr_host->alloc(len);
  if (!url)
    return NULL;
  int n;
  if (s->virtual_host)
    n = snprintf(url, len, "%.*s%s.%s/", (int)(host - s->endpoint), s->endpoint, s->bucket, host);
  else
    n = snprintf(url, len, "%s/%s%s", s->endpoint, s->bucket, r->key ? "/" : "");
  if (r->key)
    n += snprintf(url + n, len - n, "%s%s", s->prefix, r->key);
  if (r->query)
    snprintf(url + n, len - n, "?%s", r->query);
  return url;
}

/* The signed headers. libcurl 7.88 signs every header of the list, even one
 * that only removes a default (such as "Expect:"), which would then not
 * match what the server sees: so only headers that are sent go here. */
static struct curl_slist *request_headers(const s3_store *s, const s3_request *r) {
  char sha[128];
  snprintf(sha, sizeof sha, "x-amz-content-sha256: %s",
           r->body_sha256 ? r->body_sha256 : S3_EMPTY_SHA256);
  struct curl_slist *h = curl_slist_append(NULL, sha);
  if (h && r->sse && s->sse_header) {
    struct curl_slist *more = curl_slist_append(h, s->sse_header);
    if (more && s->kms_header)
      more = curl_slist_append(more, s->kms_header);
    if (!more) {
      curl_slist_free_all(h);
      return NULL;
    }
  }
  return h;
}

static void set_method(CURL *k, const s3_request *r) {
  if (strcmp(r->method, "HEAD") == 0) {
    curl_easy_setopt(k, CURLOPT_NOBODY, 1L);
  } else if (strcmp(r->method, "PUT") == 0) {
    curl_easy_setopt(k, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(k, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(k, CURLOPT_READDATA, r);
    curl_easy_setopt(k, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(k, CURLOPT_SEEKDATA, r);
    curl_easy_setopt(k, CURLOPT_INFILESIZE_LARGE, r->body_len);
  } else if (strcmp(r->method, "POST") == 0) {
    curl_easy_setopt(k, CURLOPT_POSTFIELDS, r->body_mem ? r->body_mem : "");
    curl_easy_setopt(k, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(r->body_mem ? strlen(r->body_mem) : 0));
  } else if (strcmp(r->method, "DELETE") == 0) {
    curl_easy_setopt(k, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
}

/* A 200 answer whose document is an <Error> (CompleteMultipartUpload may
 * fail that way after it has started answering). */
static bool error_document(const s3_request *r) {
  const char *p = r->answer;
  if (!p)
    return false;
  if (strncmp(p, "<?xml", 5) == 0 && (p = strstr(p, "?>")))
    p += 2;
  while (p && (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t'))
    p++;
  return p && strncmp(p, "<Error>", 7) == 0;
}

typedef enum { DONE, RETRY, FAIL } outcome;

static bool retryable_code(const char *code) {
  return strcmp(code, "SlowDown") == 0 || strcmp(code, "InternalError") == 0 ||
         strcmp(code, "ServiceUnavailable") == 0 || strcmp(code, "RequestTimeout") == 0;
}

static bool retryable_curl(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR: return true;
  default: return false;
  }
}

/* Writes the reason for a transfer that got no HTTP answer. */
static int transfer_failed(const s3_store *s, s3_request *r, CURLcode rc, const char *curl_error) {
  char where[400];
  s3_where(s, r->key ? r->key : r->scope, where, sizeof where);
  int status = rc == CURLE_OPERATION_TIMEDOUT                              ? SR_ERR_TIMEOUT
               : rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR ? SR_ERR_IO
                                                                           : SR_ERR_CONNECT;
  /* an answer that had begun says the endpoint was right */
  const char *hint = r->http_status ? "the connection broke during the answer; try again"
                                    : "check that 'endpoint' is right and the store is up and "
                                      "reachable from this host";
  reason_set(r, "S3 endpoint %s (%s): %s failed after %d attempt%s: %s; %s", s->endpoint, where,
             r->operation, r->attempts, r->attempts == 1 ? "" : "s",
             *curl_error ? curl_error : curl_easy_strerror(rc), hint);
  return status;
}

/* Writes the reason for an S3 error answer. */
static int answer_failed(const s3_store *s, s3_request *r, const char *code) {
  char where[400], message[200];
  s3_where(s, r->key ? r->key : r->scope, where, sizeof where);
  s3_xml_text(r->answer, "Message", message, sizeof message);
  s3_xml_unescape(message);
  int status = strcmp(code, "NoSuchKey") == 0 || (r->http_status == 404 && !r->answer)
                   ? SR_ERR_NOT_FOUND
               : r->http_status == 403 || r->http_status == 401 ? SR_ERR_AUTH
               : r->http_status == 503                          ? SR_ERR_BUSY
                                                                : SR_ERR_PEER;
  const char *hint =
      strcmp(code, "SignatureDoesNotMatch") == 0 || strcmp(code, "InvalidAccessKeyId") == 0
          ? ": check access_key and secret_key"
      : strcmp(code, "NoSuchBucket") == 0 ? ": check 'bucket' (it must exist)"
      : strcmp(code, "AccessDenied") == 0 ? ": the credentials lack the permission"
      : strcmp(code, "SlowDown") == 0     ? ": the store asks for fewer requests; try later"
                                          : "";
  char tries[32] = "";
  if (r->attempts > 1)
    snprintf(tries, sizeof tries, " (after %d attempts)", r->attempts);
  reason_set(r, "S3 %s: %s failed with HTTP %ld %s%s%s%s%s", where, r->operation, r->http_status,
             code, tries, hint, *message ? ". S3 says: " : "", message);
  return status;
}

/* One try. Returns its status; *next says whether another try may help. */
static int attempt(const s3_store *s, s3_request *r, outcome *next) {
  *next = FAIL;
  r->http_status = 0;
  r->sent = 0;
  r->write_status = SR_OK;
  r->etag[0] = '\0';
  sr_host->free(r->answer);
  r->answer = NULL;
  r->answer_len = 0;
  r->answer_overflow = false;
  r->attempts++;
  char *url = request_url(s, r);
  struct curl_slist *headers = request_headers(s, r);
  CURL *k = r->curl = curl_easy_init();
  if (!url || !headers || !k) {
    sr_host->free(url);
    curl_slist_free_all(headers);
    if (k)
      curl_easy_cleanup(k);
    r->curl = NULL;
    reason_set(r, "out of memory preparing an S3 request");
    return SR_ERR_NOMEM;
  }
  char errbuf[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(k, CURLOPT_URL, url);
  sr_host->free(url); /* curl keeps its own copy */
  curl_easy_setopt(k, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(k, CURLOPT_AWS_SIGV4, s->sigv4);
  curl_easy_setopt(k, CURLOPT_USERPWD, s->userpwd);
  curl_easy_setopt(k, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(k, CURLOPT_NOSIGNAL, 1L); /* worker threads */
  curl_easy_setopt(k, CURLOPT_TIMEOUT_MS, s->timeout_ms);
  curl_easy_setopt(k, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms < 10000 ? s->timeout_ms : 10000L);
  curl_easy_setopt(k, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(k, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(k, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(k, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(k, CURLOPT_HEADERDATA, r);
  if (r->want_stat)
    curl_easy_setopt(k, CURLOPT_FILETIME, 1L);
  set_method(k, r);

  CURLcode rc = curl_easy_perform(k);
  int status;
  if (rc != CURLE_OK && r->write_status != SR_OK) {
    status = r->write_status; /* the caller's writer stopped us */
    reason_set(r, "the reader of the S3 object stopped the download");
  } else if (rc != CURLE_OK) {
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &r->http_status);
    status = transfer_failed(s, r, rc, errbuf);
    *next = retryable_curl(rc) ? RETRY : FAIL;
  } else {
    curl_easy_getinfo(k, CURLINFO_RESPONSE_CODE, &r->http_status);
    char code[64];
    s3_xml_text(r->answer, "Code", code, sizeof code);
    if (r->http_status / 100 == 2 && !error_document(r)) {
      *next = DONE;
      status = SR_OK;
    } else {
      if (!*code) /* HEAD answers carry no body */
        snprintf(code, sizeof code, "%s",
                 r->http_status == 404   ? "NotFound"
                 : r->http_status == 403 ? "Forbidden (AccessDenied or SignatureDoesNotMatch)"
                 : r->http_status == 503 ? "SlowDown"
                                         : "(no error code)");
      status = answer_failed(s, r, code);
      *next = r->http_status / 100 == 5 || retryable_code(code) ? RETRY : FAIL;
    }
  }
  if (status == SR_OK && r->want_stat) {
    curl_off_t size = -1, modified = -1;
    curl_easy_getinfo(k, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &size);
    curl_easy_getinfo(k, CURLINFO_FILETIME_T, &modified);
    r->stat.size = size > 0 ? (uint64_t)size : 0;
    r->stat.modified = modified >= 0 ? (int64_t)modified : 0;
  }
  curl_easy_cleanup(k);
  r->curl = NULL;
  curl_slist_free_all(headers);
  return status;
}

/* Full jitter: a uniform delay in [0, min(cap, base * 2^n)] spreads the
 * retries of many clients that failed together instead of bunching them. */
static void backoff(const s3_store *s, int n) {
  long ceiling = s->retry_base_ms;
  for (int i = 0; i < n && ceiling < RETRY_DELAY_MAX; i++)
    ceiling *= 2;
  if (ceiling > RETRY_DELAY_MAX)
    ceiling = RETRY_DELAY_MAX;
  uint32_t random = 0;
  if (RAND_bytes((unsigned char *)&random, sizeof random) != 1)
    random = (uint32_t)time(NULL);
  long ms = (long)(random % (uint32_t)(ceiling + 1));
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

int s3_perform(const s3_store *s, s3_request *r) {
  for (;;) {
    outcome next;
    int status = attempt(s, r, &next);
    if (next != RETRY)
      return status;
    /* A get that already passed bytes to the caller's writer cannot start
     * over: the writer would get the start of the object twice, and the
     * SR ABI has no way to take bytes back. It fails, and the caller
     * (which knows what it did with the bytes) decides. */
    if (r->delivered > 0) {
      size_t n = strlen(r->reason);
      snprintf(r->reason + n, sizeof r->reason - n,
               "; not retried: %llu bytes of the object were already passed on",
               (unsigned long long)r->delivered);
      return status;
    }
    if (r->attempts > s->retries)
      return status;
    backoff(s, r->attempts - 1);
  }
}

void s3_request_done(s3_request *r) {
  sr_host->free(r->answer);
  r->answer = NULL;
}
