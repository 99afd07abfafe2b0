/*
 * Multipart upload of a spooled object (CreateMultipartUpload, UploadPart,
 * CompleteMultipartUpload), aborted on any failure so no parts are left.
 */
#ifndef S3_MULTIPART_H
#define S3_MULTIPART_H

#include "s3_request.h"

/* Uploads the `size` bytes of the file `fd` (read by offset, not moved) as
 * KEY in parts of s->part_size (more when 10000 parts would not hold it).
 * Returns SR_OK, or a status with `reason` (S3_REASON_MAX bytes) filled. */
int s3_multipart_put(const s3_store *s, const char *key, int fd, curl_off_t size, char *reason);

#endif
