#include "doc_sniff.h"

#include <string.h>
#include <unistd.h>

const char *sr_doc_sniff(int fd) {
  static const struct {
    const char *magic;
    size_t len;
    const char *type;
  } kinds[] = {{"%PDF-", 5, "application/pdf"},
               {"\xff\xd8\xff", 3, "image/jpeg"},
               {"\x89PNG\r\n\x1a\n", 8, "image/png"}};
  unsigned char head[8];
  ssize_t n = pread(fd, head, sizeof head, 0);
  for (size_t i = 0; n > 0 && i < sizeof kinds / sizeof *kinds; i++)
    if ((size_t)n >= kinds[i].len && memcmp(head, kinds[i].magic, kinds[i].len) == 0)
      return kinds[i].type;
  return NULL;
}
