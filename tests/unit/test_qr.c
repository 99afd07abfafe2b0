/* QR codes: what core/qr.c draws must decode, with a decoder that is not
 * libqrencode (zbarimg from Debian's zbar-tools), to the text encoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qr.h"

/* Writes the matrix as a greyscale PGM, `scale` pixels per module with the
 * quiet zone, and returns what zbarimg reads from it (malloc'd) or NULL. */
static char *decode_with_zbar(const sr_qr_matrix *m, int scale) {
  char path[] = "/tmp/sr-test-qr-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "wb");
  int side = (m->width + 2 * SR_QR_QUIET_ZONE) * scale;
  fprintf(f, "P5\n%d %d\n255\n", side, side);
  for (int py = 0; py < side; py++) {
    for (int px = 0; px < side; px++) {
      int x = px / scale - SR_QR_QUIET_ZONE, y = py / scale - SR_QR_QUIET_ZONE;
      int dark = x >= 0 && y >= 0 && x < m->width && y < m->width && m->dark[y * m->width + x];
      fputc(dark ? 0 : 255, f);
    }
  }
  fclose(f);
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "zbarimg --raw -q 'PGM:%s' 2>/dev/null", path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char buf[1024] = {0};
  size_t n = fread(buf, 1, sizeof(buf) - 1, p);
  int rc = pclose(p);
  unlink(path);
  if (rc != 0)
    return NULL;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
    buf[--n] = '\0';
  return strdup(buf);
}

static void encodes_what_zbar_reads(void **state) {
  (void)state;
  const char *texts[] = {"https://127.0.0.1:9443/r/printer-2nd-floor",
                         "https://print.example.com/r/demo/1767225600.k7Qm3V9cKp2rT8yW",
                         "https://[::1]:9443/panel/p1"};
  for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    sr_qr_matrix m;
    assert_true(sr_qr_encode(texts[i], &m));
    assert_true(m.width >= 21 && (m.width - 21) % 4 == 0); /* a QR version's size */
    char *read = decode_with_zbar(&m, 4);
    assert_non_null(read);
    assert_string_equal(read, texts[i]);
    free(read);
    sr_qr_matrix_free(&m);
  }
}

static void svg_has_a_title_and_escapes_it(void **state) {
  (void)state;
  char *svg = sr_qr_svg("https://127.0.0.1/r/a", "Printer <2nd> & \"floor\"");
  assert_non_null(svg);
  assert_non_null(strstr(svg, "<title>Printer &lt;2nd&gt; &amp; &quot;floor&quot;</title>"));
  assert_non_null(strstr(svg, "viewBox=\"0 0 "));
  assert_null(strstr(svg, "<2nd>"));
  free(svg);
}

static void too_long_is_refused(void **state) {
  (void)state;
  /* a version 40 code at level M holds 2331 bytes */
  char *text = malloc(4000);
  memset(text, 'a', 3999);
  text[3999] = '\0';
  sr_qr_matrix m;
  assert_false(sr_qr_encode(text, &m));
  assert_null(sr_qr_svg(text, NULL));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(encodes_what_zbar_reads),
      cmocka_unit_test(svg_has_a_title_and_escapes_it),
      cmocka_unit_test(too_long_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
