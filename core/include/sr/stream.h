/*
 * securerelease plugin SDK: streaming callbacks used across the boundary.
 * Documents are never held whole in memory; they flow through these.
 */
#ifndef SR_STREAM_H
#define SR_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* Fills up to `len` bytes of `buf`. Returns the number of bytes written
 * (> 0), 0 at the end of the stream, or a negative sr_status on error. */
typedef int64_t (*sr_read_fn)(void *ctx, void *buf, size_t len);

/* Consumes `len` bytes of `buf` (the callee copies what it keeps). Returns
 * SR_OK, or a negative sr_status to stop the stream. */
typedef int (*sr_write_fn)(void *ctx, const void *buf, size_t len);

#endif
