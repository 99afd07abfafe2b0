/*
 * One S3 operation of the `s3` storage plugin: a SigV4-signed HTTP request
 * (libcurl), retried with exponential backoff and full jitter when the
 * store is busy or unreachable, and a failure turned into a clear reason.
 */
#ifndef S3_REQUEST_H
#define S3_REQUEST_H

#include <curl/curl.h>
#include <sr/storage.h>
#include <stdbool.h>

#define S3_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_REASON_MAX 480 /* the host keeps 511 bytes of a reason */

/* An instance's configuration, read-only after create (so shared by threads). */
typedef struct s3_store {
  sr_plugin *self;
  char *endpoint; /* scheme://host[:port], without a trailing '/' */
  char *bucket;
  char *prefix;       /* "" or ends with '/' */
  char *sigv4;        /* "aws:amz:REGION:s3" */
  char *userpwd;      /* "ACCESS:SECRET": secret, never logged */
  bool virtual_host;  /* BUCKET.host/KEY rather than host/BUCKET/KEY */
  char *sse_header;   /* NULL or "x-amz-server-side-encryption: ..." */
  char *kms_header;   /* NULL or "x-amz-server-side-encryption-aws-kms-key-id: ..." */
  long timeout_ms;    /* per attempt */
  int retries;        /* attempts after the first */
  long retry_base_ms; /* first backoff ceiling, doubled per attempt */
  curl_off_t multipart_threshold, part_size;
} s3_store;

typedef struct s3_request {
  /* ---- what to send (set by the caller) ---- */
  const char *operation; /* S3's name for it, for messages: "PutObject" ... */
  const char *method;    /* "GET", "PUT", "POST", "HEAD", "DELETE" */
  const char *key;       /* the caller's key, or NULL for the bucket itself */
  const char *scope;     /* for messages when key is NULL: the listed prefix */
  const char *query;     /* NULL or canonical (sorted, percent-encoded) */
  bool sse;              /* send the configured encryption headers */
  /* request body: `body_len` bytes of `body_fd` from `body_offset`, whose
   * SHA-256 is `body_sha256` (hex); or `body_mem`; or none */
  int body_fd;
  curl_off_t body_offset, body_len;
  const char *body_sha256;
  const char *body_mem;
  /* response body of a 2xx answer: streamed to `write`, or kept (up to
   * `keep_max` bytes) in `answer` for the caller to parse */
  sr_write_fn write;
  void *write_ctx;
  size_t keep_max;
  bool want_stat; /* fill `stat` from the answer's headers */

  /* ---- what came back (set by s3_perform; free with s3_request_done) ---- */
  long http_status;
  char *answer; /* kept 2xx body or error document (host memory) */
  size_t answer_len;
  bool answer_overflow;
  char etag[128]; /* the ETag header, quotes included */
  sr_storage_stat stat;
  int attempts;
  char reason[S3_REASON_MAX]; /* why it failed; names no secret */

  /* ---- per attempt (private) ---- */
  CURL *curl;
  curl_off_t sent;    /* request body bytes handed to curl */
  uint64_t delivered; /* response bytes handed to `write` */
  int write_status;   /* what `write` returned if it stopped us */
} s3_request;

/* Runs the request with retries. Returns SR_OK, or a status with `reason`
 * filled (the caller passes it to set_error). The caller frees with
 * s3_request_done whatever the result. */
int s3_perform(const s3_store *s, s3_request *r);
void s3_request_done(s3_request *r);

/* "bucket 'B', namespace 'PREFIX+DIR/'" of `key` (its directory only: a
 * message names where an object lives, not which one). */
void s3_where(const s3_store *s, const char *key, char *out, size_t size);

/* Copies the text of the first <tag>...</tag> of `xml` into out (empty if none). */
void s3_xml_text(const char *xml, const char *tag, char *out, size_t size);
/* Undoes the five XML entities in place. */
void s3_xml_unescape(char *s);

/* Percent-encodes `in` (every byte but A-Z a-z 0-9 - . _ ~) into out; false if too long. */
bool s3_uri_encode(const char *in, char *out, size_t size);

#endif
