/* A document in memory as an sr_read_fn stream, for transport tests. */
#ifndef SR_TEST_MEMORY_SOURCE_H
#define SR_TEST_MEMORY_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sr_test_source {
  const uint8_t *data;
  size_t len, off;
  int rewinds; /* times sr_test_source_rewind() was called */
} sr_test_source;

/* sr_read_fn over an sr_test_source. */
int64_t sr_test_source_read(void *source, void *buf, size_t len);

/* Back to the first byte (sr_delivery_source.rewind). */
int sr_test_source_rewind(void *source);

#endif
