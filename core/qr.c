#include "qr.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

bool sr_qr_encode(const char *text, sr_qr_matrix *out) {
  memset(out, 0, sizeof(*out));
  QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr)
    return false;
  size_t n = (size_t)qr->width * (size_t)qr->width;
  out->dark = malloc(n);
  if (!out->dark) {
    QRcode_free(qr);
    return false;
  }
  for (size_t i = 0; i < n; i++)
    out->dark[i] = qr->data[i] & 1; /* bit 0 is the module; the rest is libqrencode's */
  out->width = qr->width;
  QRcode_free(qr);
  return true;
}

void sr_qr_matrix_free(sr_qr_matrix *m) {
  free(m->dark);
  m->dark = NULL;
  m->width = 0;
}

/* A growing string for the SVG; `failed` sticks once memory runs out. */
typedef struct svg_buf {
  char *s;
  size_t len, cap;
  bool failed;
} svg_buf;

static void put(svg_buf *b, const char *text, size_t n) {
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->failed = true;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, text, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void puts_svg(svg_buf *b, const char *text) { put(b, text, strlen(text)); }

static void put_escaped(svg_buf *b, const char *text) {
  for (const char *p = text; *p; p++) {
    switch (*p) {
    case '&': puts_svg(b, "&amp;"); break;
    case '<': puts_svg(b, "&lt;"); break;
    case '>': puts_svg(b, "&gt;"); break;
    case '"': puts_svg(b, "&quot;"); break;
    default: put(b, p, 1);
    }
  }
}

char *sr_qr_svg(const char *text, const char *title) {
  sr_qr_matrix m;
  if (!sr_qr_encode(text, &m))
    return NULL;
  int side = m.width + 2 * SR_QR_QUIET_ZONE;
  svg_buf b = {0};
  char num[192];
  snprintf(num, sizeof(num),
           "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
           "shape-rendering=\"crispEdges\" role=\"img\">",
           side, side);
  puts_svg(&b, num);
  if (title) {
    puts_svg(&b, "<title>");
    put_escaped(&b, title);
    puts_svg(&b, "</title>");
  }
  snprintf(num, sizeof(num), "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"", side,
           side);
  puts_svg(&b, num);
  /* one horizontal run of dark modules per subpath keeps the path short */
  for (int y = 0; y < m.width; y++) {
    for (int x = 0; x < m.width;) {
      if (!m.dark[y * m.width + x]) {
        x++;
        continue;
      }
      int run = 1;
      while (x + run < m.width && m.dark[y * m.width + x + run])
        run++;
      snprintf(num, sizeof(num), "M%d %dh%dv1h-%dz", x + SR_QR_QUIET_ZONE, y + SR_QR_QUIET_ZONE,
               run, run);
      puts_svg(&b, num);
      x += run;
    }
  }
  puts_svg(&b, "\" fill=\"#000\"/></svg>\n");
  sr_qr_matrix_free(&m);
  if (b.failed) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

static bool dark_at(const sr_qr_matrix *m, int x, int y) {
  return x >= 0 && y >= 0 && x < m->width && y < m->width && m->dark[y * m->width + x];
}

bool sr_qr_print_terminal(const char *text, FILE *out) {
  sr_qr_matrix m;
  if (!sr_qr_encode(text, &m))
    return false;
  /* two modules of quiet zone are enough on a terminal, whose background
   * the full blocks replace */
  int quiet = 2;
  for (int y = -quiet; y < m.width + quiet; y += 2) {
    for (int x = -quiet; x < m.width + quiet; x++) {
      bool top = dark_at(&m, x, y), bottom = dark_at(&m, x, y + 1);
      fputs(top && bottom ? " " : top ? "\u2584" : bottom ? "\u2580" : "\u2588", out);
    }
    fputc('\n', out);
  }
  sr_qr_matrix_free(&m);
  return true;
}
