/*
 * Page counting (core/page_count.c) of a document as the queue received it:
 * PDF through qpdf, PWG raster through libcups, Apple raster, DSC
 * PostScript. The format is what the client claimed or what the queue
 * sniffed, so it comes from the input too: the first byte picks it, the
 * rest is the document, in a memory file as the queue keeps it.
 * Seed names start with the format (pdf-, pwg-, urf-, ps-, jpeg-).
 */
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "page_count.h"

static const char *const formats[] = {"application/pdf", "image/pwg-raster", "image/urf",
                                      "application/postscript", "image/jpeg"};

FUZZ_INIT_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const char *format = formats[data[0] % (sizeof formats / sizeof *formats)];
  int fd = memfd_create("fuzz-document", MFD_CLOEXEC);
  if (fd < 0)
    abort();
  for (size_t off = 1; off < size;) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0)
      abort();
    off += (size_t)n;
  }
  char why[256];
  (void)sr_page_count(fd, format, why, sizeof why);
  close(fd);
  return 0;
}
