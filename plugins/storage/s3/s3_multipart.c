/*
 * Multipart upload: S3 takes at most 5 GiB in one PUT, and a failed part
 * is retried alone rather than the whole object. Each part is hashed from
 * the spooled file and signed with its own x-amz-content-sha256.
 */
#include "s3_multipart.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_PARTS 10000        /* S3's limit */
#define ANSWER_MAX (64u << 10) /* Create and Complete answer in a few hundred bytes */
#define UPLOAD_ID_MAX 1024

static void hex(const unsigned char *digest, unsigned int len, char *out) {
  for (unsigned int i = 0; i < len; i++)
    snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* SHA-256 (hex) of `len` bytes of fd from `offset`; false if it cannot read them. */
static bool hash_region(int fd, curl_off_t offset, curl_off_t len, char *out) {
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
  char buf[65536];
  while (ok && len > 0) {
    ssize_t got = pread(fd, buf, len < (curl_off_t)sizeof buf ? (size_t)len : sizeof buf, offset);
    if (got < 0 && errno == EINTR)
      continue;
    ok = got > 0 && EVP_DigestUpdate(md, buf, (size_t)got) == 1;
    offset += got;
    len -= got;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  ok = ok && EVP_DigestFinal_ex(md, digest, &digest_len) == 1;
  EVP_MD_CTX_free(md);
  if (ok)
    hex(digest, digest_len, out);
  return ok;
}

/* Appends text to a growing host string; false on no memory. */
static bool append(char **doc, size_t *len, const char *text) {
  size_t add = strlen(text);
  char *grown = sr_host->realloc(*doc, *len + add + 1);
  if (!grown)
    return false;
  memcpy(grown + *len, text, add + 1);
  *doc = grown;
  *len += add;
  return true;
}

/* One request of the upload; on failure its reason goes to `reason`. */
static int step(const s3_store *s, s3_request *r, char *reason) {
  int status = s3_perform(s, r);
  if (status != SR_OK)
    snprintf(reason, S3_REASON_MAX, "%s", r->reason);
  return status;
}

/* Starts the upload; fills upload_id (raw) and id_q (percent-encoded). */
static int create(const s3_store *s, const char *key, char *upload_id, char *id_q, char *reason) {
  s3_request r = {.operation = "CreateMultipartUpload",
                  .method = "POST",
                  .key = key,
                  .query = "uploads=",
                  .sse = true,
                  .keep_max = ANSWER_MAX};
  int status = step(s, &r, reason);
  if (status == SR_OK) {
    s3_xml_text(r.answer, "UploadId", upload_id, UPLOAD_ID_MAX);
    s3_xml_unescape(upload_id);
    if (!*upload_id || !s3_uri_encode(upload_id, id_q, 3 * UPLOAD_ID_MAX)) {
      char where[400];
      s3_where(s, key, where, sizeof where);
      snprintf(reason, S3_REASON_MAX, "S3 %s: CreateMultipartUpload answered without an UploadId",
               where);
      status = SR_ERR_PEER;
    }
  }
  s3_request_done(&r);
  return status;
}

/* Sends every part, collecting the CompleteMultipartUpload document. */
static int upload_parts(const s3_store *s, const char *key, const char *id_q, int fd,
                        curl_off_t size, curl_off_t part, char **doc, size_t *doc_len,
                        char *reason) {
  int parts = (int)((size + part - 1) / part);
  if (!append(doc, doc_len, "<CompleteMultipartUpload>"))
    return SR_ERR_NOMEM;
  for (int i = 1; i <= parts; i++) {
    curl_off_t offset = (curl_off_t)(i - 1) * part;
    curl_off_t len = size - offset < part ? size - offset : part;
    char sha[2 * EVP_MAX_MD_SIZE + 1];
    if (!hash_region(fd, offset, len, sha)) {
      snprintf(reason, S3_REASON_MAX, "cannot read back the staged upload for part %d", i);
      return SR_ERR_IO;
    }
    char query[64 + 3 * UPLOAD_ID_MAX], operation[48];
    snprintf(query, sizeof query, "partNumber=%d&uploadId=%s", i, id_q);
    snprintf(operation, sizeof operation, "UploadPart %d of %d", i, parts);
    s3_request r = {.operation = operation,
                    .method = "PUT",
                    .key = key,
                    .query = query,
                    .body_fd = fd,
                    .body_offset = offset,
                    .body_len = len,
                    .body_sha256 = sha};
    int status = step(s, &r, reason);
    if (status == SR_OK && !*r.etag) {
      char where[400];
      s3_where(s, key, where, sizeof where);
      snprintf(reason, S3_REASON_MAX, "S3 %s: %s answered without an ETag", where, operation);
      status = SR_ERR_PEER;
    }
    char entry[256];
    snprintf(entry, sizeof entry, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i,
             r.etag);
    s3_request_done(&r);
    if (status != SR_OK)
      return status;
    if (!append(doc, doc_len, entry))
      return SR_ERR_NOMEM;
  }
  return append(doc, doc_len, "</CompleteMultipartUpload>") ? SR_OK : SR_ERR_NOMEM;
}

static int complete(const s3_store *s, const char *key, const char *id_q, const char *doc,
                    char *reason) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  char sha[2 * EVP_MAX_MD_SIZE + 1], query[16 + 3 * UPLOAD_ID_MAX];
  if (EVP_Digest(doc, strlen(doc), digest, &digest_len, EVP_sha256(), NULL) != 1)
    return SR_ERR_NOMEM;
  hex(digest, digest_len, sha);
  snprintf(query, sizeof query, "uploadId=%s", id_q);
  /* the answer is kept so an <Error> inside a 200 is seen (s3_perform) */
  s3_request r = {.operation = "CompleteMultipartUpload",
                  .method = "POST",
                  .key = key,
                  .query = query,
                  .body_mem = doc,
                  .body_sha256 = sha,
                  .keep_max = ANSWER_MAX};
  int status = step(s, &r, reason);
  s3_request_done(&r);
  return status;
}

/* Removes the parts already stored; on failure says so after `reason`. */
static void abort_upload(const s3_store *s, const char *key, const char *upload_id,
                         const char *id_q, char *reason) {
  char query[16 + 3 * UPLOAD_ID_MAX];
  snprintf(query, sizeof query, "uploadId=%s", id_q);
  s3_request r = {
      .operation = "AbortMultipartUpload", .method = "DELETE", .key = key, .query = query};
  if (s3_perform(s, &r) != SR_OK) {
    size_t n = strlen(reason);
    snprintf(reason + n, S3_REASON_MAX - n,
             "; and the upload %.64s could not be aborted (%s): its parts stay until a bucket "
             "lifecycle rule for incomplete multipart uploads removes them",
             upload_id, r.reason);
    sr_host->log(s->self, SR_LOG_WARN, "multipart upload %.64s left in bucket '%s': %s", upload_id,
                 s->bucket, r.reason);
  }
  s3_request_done(&r);
}

int s3_multipart_put(const s3_store *s, const char *key, int fd, curl_off_t size, char *reason) {
  curl_off_t part = s->part_size;
  if ((size + part - 1) / part > MAX_PARTS)
    part = (size + MAX_PARTS - 1) / MAX_PARTS;
  char upload_id[UPLOAD_ID_MAX], id_q[3 * UPLOAD_ID_MAX];
  int status = create(s, key, upload_id, id_q, reason);
  if (status != SR_OK)
    return status;
  char *doc = NULL;
  size_t doc_len = 0;
  status = upload_parts(s, key, id_q, fd, size, part, &doc, &doc_len, reason);
  if (status == SR_OK)
    status = complete(s, key, id_q, doc, reason);
  sr_host->free(doc);
  if (status == SR_ERR_NOMEM)
    snprintf(reason, S3_REASON_MAX, "out of memory during a multipart upload");
  if (status != SR_OK)
    abort_upload(s, key, upload_id, id_q, reason);
  return status;
}
