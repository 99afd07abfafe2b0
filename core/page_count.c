#include "page_count.h"

#include "sr/abi.h"

#include <cups/raster.h>
#include <qpdf/qpdf-c.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t unknown(char *why, size_t size, const char *fmt, ...) SR_PRINTF(3, 4);
static int64_t unknown(char *why, size_t size, const char *fmt, ...) {
  if (why && size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int64_t count_pdf(int fd, char *why, size_t why_size) {
  char path[64];
  /* qpdf reads by name; the descriptor's /proc name keeps the document
   * wherever the caller has it (a memfd never touches the disk). */
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  qpdf_data q = qpdf_init();
  qpdf_set_suppress_warnings(q, QPDF_TRUE);
  qpdf_set_attempt_recovery(q, QPDF_FALSE); /* a repaired file may count wrong */
  int64_t pages = -1;
  if (qpdf_read(q, path, "") & QPDF_ERRORS) {
    qpdf_error e = qpdf_get_error(q);
    unknown(why, why_size, "PDF not readable: %s", e ? qpdf_get_error_full_text(q, e) : "error");
  } else {
    int n = qpdf_get_num_pages(q);
    if (n < 0 || qpdf_has_error(q)) {
      /* taking the error marks it handled: otherwise qpdf_cleanup prints
       * "application did not handle error" on stderr, a line outside the
       * log's format for every such document (found by fuzz_page_count) */
      qpdf_error e = qpdf_get_error(q);
      unknown(why, why_size, "PDF page tree not readable: %s",
              e ? qpdf_get_error_full_text(q, e) : "error");
    } else {
      pages = n;
    }
  }
  qpdf_cleanup(&q);
  return pages;
}

static int64_t count_pwg(int fd, char *why, size_t why_size) {
  cups_raster_t *r = cupsRasterOpen(fd, CUPS_RASTER_READ);
  if (!r)
    return unknown(why, why_size, "not PWG raster");
  cups_page_header2_t h;
  int64_t pages = 0;
  unsigned char *line = NULL;
  size_t line_size = 0;
  while (cupsRasterReadHeader2(r, &h)) {
    if (h.cupsBytesPerLine == 0 || h.cupsBytesPerLine > (1u << 24) || h.cupsHeight > (1u << 20)) {
      pages = unknown(why, why_size, "PWG raster page header out of range");
      break;
    }
    if (h.cupsBytesPerLine > line_size) {
      unsigned char *grown = realloc(line, h.cupsBytesPerLine);
      if (!grown) {
        pages = unknown(why, why_size, "out of memory");
        break;
      }
      line = grown;
      line_size = h.cupsBytesPerLine;
    }
    /* a page counts only once all its lines were read */
    unsigned y = 0;
    while (y < h.cupsHeight && cupsRasterReadPixels(r, line, h.cupsBytesPerLine))
      y++;
    if (y < h.cupsHeight) {
      pages = unknown(why, why_size, "PWG raster ends inside a page");
      break;
    }
    pages++;
  }
  free(line);
  cupsRasterClose(r);
  if (pages == 0)
    return unknown(why, why_size, "PWG raster without pages");
  return pages;
}

static int64_t count_urf(int fd, char *why, size_t why_size) {
  unsigned char h[12];
  if (pread(fd, h, sizeof h, 0) != (ssize_t)sizeof h || memcmp(h, "UNIRAST", 8) != 0)
    return unknown(why, why_size, "not Apple raster");
  int64_t pages = (int64_t)h[8] << 24 | h[9] << 16 | h[10] << 8 | h[11];
  return pages > 0 ? pages : unknown(why, why_size, "Apple raster without a page count");
}

/* PostScript: "%%Pages: N" in the header or trailer ("(atend)" defers it),
 * else the number of "%%Page:" comments, if the file says it follows DSC. */
static int64_t count_postscript(int fd, char *why, size_t why_size) {
  FILE *f = fdopen(dup(fd), "r");
  if (!f)
    return unknown(why, why_size, "cannot read");
  rewind(f);
  char line[512];
  int64_t declared = -1, page_comments = 0;
  bool dsc = false, first = true;
  while (fgets(line, sizeof line, f)) {
    if (first) {
      dsc = strncmp(line, "%!PS-Adobe-", 11) == 0;
      first = false;
    }
    if (strncmp(line, "%%Pages:", 8) == 0) {
      char *end;
      long long n = strtoll(line + 8, &end, 10);
      if (end != line + 8 && n >= 0)
        declared = n; /* the trailer's value wins over the header's */
    } else if (strncmp(line, "%%Page:", 7) == 0) {
      page_comments++;
    }
  }
  fclose(f);
  if (!dsc)
    return unknown(why, why_size, "PostScript without DSC comments");
  if (declared >= 0)
    return declared;
  if (page_comments > 0)
    return page_comments;
  return unknown(why, why_size, "PostScript without page comments");
}

int64_t sr_page_count(int fd, const char *format, char *why, size_t why_size) {
  if (why && why_size)
    why[0] = '\0';
  if (!format)
    return unknown(why, why_size, "no document format");
  if (strcmp(format, "application/pdf") == 0)
    return count_pdf(fd, why, why_size);
  if (strcmp(format, "image/pwg-raster") == 0)
    return count_pwg(fd, why, why_size);
  if (strcmp(format, "image/urf") == 0)
    return count_urf(fd, why, why_size);
  if (strcmp(format, "application/postscript") == 0)
    return count_postscript(fd, why, why_size);
  if (strcmp(format, "image/jpeg") == 0 || strcmp(format, "image/png") == 0)
    return 1;
  return unknown(why, why_size, "pages of %s cannot be counted", format);
}
