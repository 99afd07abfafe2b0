#include "memory_source.h"

#include <string.h>

int64_t sr_test_source_read(void *source, void *buf, size_t len) {
  sr_test_source *s = source;
  size_t n = s->len - s->off < len ? s->len - s->off : len;
  memcpy(buf, s->data + s->off, n);
  s->off += n;
  return (int64_t)n;
}

int sr_test_source_rewind(void *source) {
  sr_test_source *s = source;
  s->off = 0;
  s->rewinds++;
  return 0;
}
