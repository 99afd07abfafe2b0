/* Page counts: exact for PDF, PWG raster, Apple raster and DSC PostScript;
 * unknown (-1), never wrong, for anything damaged or uncountable. */
#include <cups/raster.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "doc_sniff.h"
#include "page_count.h"

static int memfd_with(const void *data, size_t len) {
  int fd = memfd_create("doc", 0);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, len), (ssize_t)len);
  lseek(fd, 0, SEEK_SET);
  return fd;
}

/* A valid PDF of `pages` empty pages, with a correct cross-reference table. */
static char *make_pdf(int pages, size_t *len) {
  size_t cap = 4096 + (size_t)pages * 200, n = 0;
  char *pdf = malloc(cap);
  long offsets[512];
  int objects = 2 + pages;
  n += (size_t)sprintf(pdf + n, "%%PDF-1.4\n");
  offsets[1] = (long)n;
  n += (size_t)sprintf(pdf + n, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
  offsets[2] = (long)n;
  n += (size_t)sprintf(pdf + n, "2 0 obj\n<< /Type /Pages /Count %d /Kids [", pages);
  for (int i = 0; i < pages; i++)
    n += (size_t)sprintf(pdf + n, " %d 0 R", 3 + i);
  n += (size_t)sprintf(pdf + n, " ] >>\nendobj\n");
  for (int i = 0; i < pages; i++) {
    offsets[3 + i] = (long)n;
    n += (size_t)sprintf(pdf + n,
                         "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>\n"
                         "endobj\n",
                         3 + i);
  }
  long xref = (long)n;
  n += (size_t)sprintf(pdf + n, "xref\n0 %d\n0000000000 65535 f \n", objects + 1);
  for (int i = 1; i <= objects; i++)
    n += (size_t)sprintf(pdf + n, "%010ld 00000 n \n", offsets[i]);
  n += (size_t)sprintf(pdf + n, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n",
                       objects + 1, xref);
  *len = n;
  return pdf;
}

static void test_pdf(void **state) {
  (void)state;
  char why[256];
  for (int pages = 1; pages <= 40; pages += 13) {
    size_t len;
    char *pdf = make_pdf(pages, &len);
    int fd = memfd_with(pdf, len);
    assert_int_equal(sr_page_count(fd, "application/pdf", why, sizeof why), pages);
    close(fd);
    free(pdf);
  }
  /* damaged cross-reference: qpdf could guess, we say unknown */
  size_t len;
  char *pdf = make_pdf(3, &len);
  char *xref = strstr(pdf, "startxref\n") + 10;
  xref[0] = xref[0] == '9' ? '1' : '9';
  int fd = memfd_with(pdf, len);
  assert_int_equal(sr_page_count(fd, "application/pdf", why, sizeof why), -1);
  assert_non_null(strstr(why, "PDF not readable"));
  close(fd);
  /* truncated */
  fd = memfd_with(pdf, len / 2);
  assert_int_equal(sr_page_count(fd, "application/pdf", why, sizeof why), -1);
  close(fd);
  free(pdf);
  fd = memfd_with("not a pdf at all", 16);
  assert_int_equal(sr_page_count(fd, "application/pdf", why, sizeof why), -1);
  close(fd);
}

static int write_pwg(int fd, int pages) {
  cups_raster_t *r = cupsRasterOpen(fd, CUPS_RASTER_WRITE_PWG);
  cups_page_header2_t h;
  unsigned char line[1024];
  memset(line, 0xff, sizeof line);
  for (int p = 0; p < pages; p++) {
    cupsRasterInitPWGHeader(&h, pwgMediaForPWG("iso_a6_105x148mm"), "sgray_8", 72, 72, "one-sided",
                            "normal");
    cupsRasterWriteHeader2(r, &h);
    for (unsigned y = 0; y < h.cupsHeight; y++)
      cupsRasterWritePixels(r, line, h.cupsBytesPerLine);
  }
  cupsRasterClose(r);
  return (int)lseek(fd, 0, SEEK_END);
}

static void test_pwg_raster(void **state) {
  (void)state;
  char why[256];
  int fd = memfd_create("pwg", 0);
  int size = write_pwg(fd, 3);
  assert_true(size > 0);
  lseek(fd, 0, SEEK_SET);
  assert_int_equal(sr_page_count(fd, "image/pwg-raster", why, sizeof why), 3);
  /* cut inside the last page */
  assert_int_equal(ftruncate(fd, size - 10), 0);
  lseek(fd, 0, SEEK_SET);
  assert_int_equal(sr_page_count(fd, "image/pwg-raster", why, sizeof why), -1);
  close(fd);
  fd = memfd_with("RaS2", 4);
  assert_int_equal(sr_page_count(fd, "image/pwg-raster", why, sizeof why), -1);
  close(fd);
}

static void test_urf_postscript_jpeg_other(void **state) {
  (void)state;
  char why[256];
  unsigned char urf[32] = "UNIRAST";
  urf[11] = 5;
  int fd = memfd_with(urf, sizeof urf);
  assert_int_equal(sr_page_count(fd, "image/urf", why, sizeof why), 5);
  close(fd);

  const char *ps = "%!PS-Adobe-3.0\n%%Pages: (atend)\n%%EndComments\n"
                   "%%Page: 1 1\nshowpage\n%%Page: 2 2\nshowpage\n%%Trailer\n%%Pages: 2\n%%EOF\n";
  fd = memfd_with(ps, strlen(ps));
  assert_int_equal(sr_page_count(fd, "application/postscript", why, sizeof why), 2);
  close(fd);
  const char *counted = "%!PS-Adobe-3.0\n%%Page: 1 1\n%%Page: 2 2\n%%Page: 3 3\n";
  fd = memfd_with(counted, strlen(counted));
  assert_int_equal(sr_page_count(fd, "application/postscript", why, sizeof why), 3);
  close(fd);
  const char *plain = "%!\n/Times findfont\nshowpage\nshowpage\n";
  fd = memfd_with(plain, strlen(plain));
  assert_int_equal(sr_page_count(fd, "application/postscript", why, sizeof why), -1);
  assert_string_equal(why, "PostScript without DSC comments");
  close(fd);

  fd = memfd_with("\xff\xd8\xff", 3);
  assert_int_equal(sr_page_count(fd, "image/jpeg", why, sizeof why), 1);
  assert_int_equal(sr_page_count(fd, "application/octet-stream", why, sizeof why), -1);
  assert_string_equal(why, "pages of application/octet-stream cannot be counted");
  close(fd);
}

/* A web upload's type comes from its first bytes (core/doc_sniff.c), never
 * from what the browser said: a zip named .pdf is not a PDF. */
static void test_sniff(void **state) {
  (void)state;
  char why[256];
  static const struct {
    const char *bytes;
    size_t len;
    const char *type;
  } cases[] = {{"%PDF-1.7\n", 9, "application/pdf"},
               {"\xff\xd8\xff\xe0", 4, "image/jpeg"},
               {"\x89PNG\r\n\x1a\n\0", 9, "image/png"},
               {"PK\x03\x04word", 8, NULL},  /* .docx, any zip */
               {"%PD", 3, NULL},             /* too short for a magic */
               {"\x89PNG\r\n\x1a", 7, NULL}, /* cut */
               {" %PDF-1.7", 9, NULL},       /* not at the start */
               {"", 0, NULL}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int fd = cases[i].len ? memfd_with(cases[i].bytes, cases[i].len) : memfd_create("e", 0);
    const char *got = sr_doc_sniff(fd);
    if (cases[i].type)
      assert_string_equal(got, cases[i].type);
    else
      assert_null(got);
    close(fd);
  }
  int fd = memfd_with("\x89PNG\r\n\x1a\n", 8);
  assert_int_equal(sr_page_count(fd, "image/png", why, sizeof why), 1);
  close(fd);
  assert_null(sr_doc_sniff(-1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sniff),
      cmocka_unit_test(test_pdf),
      cmocka_unit_test(test_pwg_raster),
      cmocka_unit_test(test_urf_postscript_jpeg_other),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
