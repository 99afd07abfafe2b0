#include "label_sheet.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"

/* Everything is laid out in millimetres; cairo's unit is the point. */
#define MM (72.0 / 25.4)

/* A label: 90 x 62 mm, two columns of four rows, which fits both A4 and
 * Letter with margins a desktop printer can print to. The QR code's box
 * (quiet zone included) is 46 mm, so its modules span 32 mm or more for any
 * URL that fits (a phone's camera reads that from an arm's length). */
#define CELL_W 90.0
#define CELL_H 62.0
#define COLUMNS 2
#define ROWS 4
#define QR_BOX 46.0
#define QR_INSET 2.0
#define TEXT_X (QR_INSET + QR_BOX + 1.0)
#define TEXT_W (CELL_W - TEXT_X - 4.0)
#define URL_BASELINE (CELL_H - 5.5)

#define SANS "DejaVu Sans"
#define MONO "DejaVu Sans Mono"
#define HINT "Scan with your phone's camera to release your print jobs here."

static void paper_size(label_paper paper, double *w, double *h) {
  if (paper == LABEL_LETTER) {
    *w = 8.5 * 72;
    *h = 11 * 72;
  } else {
    *w = 210 * MM;
    *h = 297 * MM;
  }
}

size_t label_sheets(size_t n) { return (n + LABELS_PER_SHEET - 1) / LABELS_PER_SHEET; }

void label_sheet_path(const char *path, label_format format, size_t page, size_t pages, char *out,
                      size_t out_size) {
  if (format == LABEL_PDF || pages <= 1) {
    snprintf(out, out_size, "%s", path);
    return;
  }
  const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
  if (!dot || (slash && dot < slash))
    dot = path + strlen(path);
  snprintf(out, out_size, "%.*s-%zu%s", (int)(dot - path), path, page + 1, dot);
}

/* The length of the UTF-8 character at s (1 for a stray byte). */
static size_t char_len(const char *s) {
  size_t n = 1;
  while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
    n++;
  return n;
}

static double text_width(cairo_t *cr, const char *text, size_t len) {
  char buf[512];
  cairo_text_extents_t e;
  snprintf(buf, sizeof buf, "%.*s", (int)len, text);
  cairo_text_extents(cr, buf, &e);
  return e.x_advance;
}

static void show(cairo_t *cr, double x, double y, const char *text, size_t len) {
  char buf[512];
  snprintf(buf, sizeof buf, "%.*s", (int)len, text);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, buf);
}

/* How much of `text` starts a line `width` wide: whole words when the
 * first fits, else as many characters as fit (at least one). */
static size_t line_fit(cairo_t *cr, const char *text, double width) {
  size_t best = 0, end = 0;
  while (text[end]) {
    size_t next = end;
    while (text[next] == ' ')
      next++;
    while (text[next] && text[next] != ' ')
      next += char_len(text + next);
    if (text_width(cr, text, next) > width)
      break;
    best = end = next;
  }
  if (best)
    return best;
  for (end = char_len(text); text[end]; end += char_len(text + end))
    if (text_width(cr, text, end + char_len(text + end)) > width)
      break;
  return end;
}

/* Draws `text` from baseline y in lines `width` wide, at most `max_lines`
 * (the last one ends in an ellipsis when text is left); returns the
 * baseline after the last line. */
static double wrapped(cairo_t *cr, const char *text, double x, double y, double width,
                      int max_lines, double leading) {
  for (int line = 0; *text && line < max_lines; line++) {
    while (*text == ' ')
      text++;
    size_t n = line_fit(cr, text, width);
    if (line == max_lines - 1 && text[n]) {
      char cut[512];
      while (n > 0 && text_width(cr, text, n) + text_width(cr, "\u2026", 3) > width)
        n -= 1;
      while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) /* not inside a character */
        n--;
      snprintf(cut, sizeof cut, "%.*s\u2026", (int)n, text);
      show(cr, x, y, cut, strlen(cut));
    } else {
      show(cr, x, y, text, n);
    }
    text += n;
    y += leading;
  }
  return y;
}

static void font(cairo_t *cr, const char *family, bool bold, double points) {
  cairo_select_font_face(cr, family, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, points);
}

/* The QR code's modules as one black path in a white box of side `box`
 * (quiet zone included) at x, y. */
static void draw_qr(cairo_t *cr, const sr_qr_matrix *m, double x, double y, double box) {
  double module = box / (m->width + 2 * SR_QR_QUIET_ZONE);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, box, box);
  cairo_fill(cr);
  x += SR_QR_QUIET_ZONE * module;
  y += SR_QR_QUIET_ZONE * module;
  for (int r = 0; r < m->width; r++)
    for (int c = 0; c < m->width; c++)
      if (m->dark[r * m->width + c]) {
        /* runs of dark modules in a row as one rectangle: no hairline seams */
        int run = c;
        while (run + 1 < m->width && m->dark[r * m->width + run + 1])
          run++;
        cairo_rectangle(cr, x + c * module, y + r * module, (run - c + 1) * module, module);
        c = run;
      }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_fill(cr);
}

/* The URL across the foot of the label: on one line as large as fits
 * (7.5 pt down to 6 pt), else on two, broken after a '/' when one fits. */
static void draw_url(cairo_t *cr, const char *url, double x, double width) {
  size_t len = strlen(url);
  double size = 7.5;
  font(cr, MONO, false, size);
  while (size > 6 && text_width(cr, url, len) > width)
    font(cr, MONO, false, size -= 0.25);
  cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
  double w = text_width(cr, url, len);
  if (w <= width) {
    show(cr, x + (width - w) / 2, URL_BASELINE * MM, url, len);
    return;
  }
  size = 6.5; /* two lines: the longer one sets the size */
  font(cr, MONO, false, size);
  while (size > 4 && text_width(cr, url, len) > 2 * width)
    font(cr, MONO, false, size -= 0.25);
  size_t first = line_fit(cr, url, width);
  for (size_t i = first; i > len / 3; i--)
    if (url[i - 1] == '/') {
      first = i;
      break;
    }
  show(cr, x, (URL_BASELINE - size / MM * 1.25) * MM, url, first);
  wrapped(cr, url + first, x, URL_BASELINE * MM, width, 1, 0);
}

static void draw_label(cairo_t *cr, const label *l, const sr_qr_matrix *qr, double x, double y) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  /* the cut line: dashed and light, so a slightly off cut does not show;
   * each edge drawn left to right or top to bottom, so that an edge two
   * labels share gets the same dashes from both */
  static const double dash[] = {2.0 * MM, 1.5 * MM};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_set_line_width(cr, 0.4);
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  double w = CELL_W * MM, h = CELL_H * MM;
  cairo_move_to(cr, 0, 0), cairo_line_to(cr, w, 0);
  cairo_move_to(cr, 0, h), cairo_line_to(cr, w, h);
  cairo_move_to(cr, 0, 0), cairo_line_to(cr, 0, h);
  cairo_move_to(cr, w, 0), cairo_line_to(cr, w, h);
  cairo_stroke(cr);
  cairo_set_dash(cr, NULL, 0, 0);

  draw_qr(cr, qr, QR_INSET * MM, QR_INSET * MM, QR_BOX * MM);

  double tx = TEXT_X * MM, tw = TEXT_W * MM;
  cairo_set_source_rgb(cr, 0, 0, 0);
  font(cr, SANS, true, 15);
  double y_text = wrapped(cr, l->name, tx, 9.5 * MM, tw, 3, 6.2 * MM);
  if (l->location && *l->location) {
    font(cr, SANS, false, 10);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    y_text = wrapped(cr, l->location, tx, y_text + 0.5 * MM, tw, 3, 4.4 * MM);
  }
  /* the hint, in the lines left above the QR code's foot (none when a
   * long name and location took them: the code speaks for itself) */
  font(cr, SANS, false, 7.5);
  cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
  int hint_lines = (int)((QR_INSET + QR_BOX - 1.0 - (y_text / MM + 2.5)) / 3.4) + 1;
  if (hint_lines >= 2)
    wrapped(cr, HINT, tx, y_text + 2.5 * MM, tw, hint_lines < 4 ? hint_lines : 4, 3.4 * MM);

  draw_url(cr, l->url, 4 * MM, (CELL_W - 8) * MM);
  cairo_restore(cr);
}

/* Page N of M at the foot of the sheet, in the margin. */
static void draw_footer(cairo_t *cr, double page_w, double page_h, size_t page, size_t pages) {
  char text[160];
  snprintf(text, sizeof text,
           "securerelease printer labels: sheet %zu of %zu; cut along the dashes", page + 1, pages);
  font(cr, SANS, false, 7);
  cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
  double w = text_width(cr, text, strlen(text));
  double margin = (page_h - ROWS * CELL_H * MM) / 2;
  show(cr, (page_w - w) / 2, page_h - margin / 2, text, strlen(text));
}

static cairo_status_t write_file(void *closure, const unsigned char *data, unsigned int length) {
  return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS
                                                    : CAIRO_STATUS_WRITE_ERROR;
}

/* One file: sheets [first, last) of the labels. */
static bool write_sheets(const label *labels, const sr_qr_matrix *qrs, size_t n, size_t first,
                         size_t last, size_t pages, label_format format, label_paper paper,
                         const char *file, char *err, size_t err_size) {
  bool to_stdout = strcmp(file, "-") == 0;
  FILE *out = to_stdout ? stdout : fopen(file, "wb");
  if (!out) {
    snprintf(err, err_size, "%s: cannot write: %s", file, strerror(errno));
    return false;
  }
  double w, h;
  paper_size(paper, &w, &h);
  cairo_surface_t *surface = format == LABEL_PDF
                                 ? cairo_pdf_surface_create_for_stream(write_file, out, w, h)
                                 : cairo_svg_surface_create_for_stream(write_file, out, w, h);
  if (format == LABEL_PDF)
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "Printer labels");
  else /* width and height in points, so that a browser prints it at scale */
    cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT);
  cairo_t *cr = cairo_create(surface);
  double ox = (w - COLUMNS * CELL_W * MM) / 2, oy = (h - ROWS * CELL_H * MM) / 2;
  for (size_t page = first; page < last; page++) {
    for (size_t i = page * LABELS_PER_SHEET; i < n && i < (page + 1) * LABELS_PER_SHEET; i++) {
      size_t slot = i % LABELS_PER_SHEET;
      draw_label(cr, &labels[i], &qrs[i], ox + (double)(slot % COLUMNS) * CELL_W * MM,
                 oy + (double)(slot / COLUMNS) * CELL_H * MM);
    }
    draw_footer(cr, w, h, page, pages);
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_status_t status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  bool ok = status == CAIRO_STATUS_SUCCESS;
  if (to_stdout)
    ok = fflush(out) == 0 && ok;
  else
    ok = fclose(out) == 0 && ok;
  if (!ok)
    snprintf(err, err_size, "%s: writing failed: %s", file,
             status != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(status) : strerror(errno));
  return ok;
}

bool label_sheet_write(const label *labels, size_t n, label_format format, label_paper paper,
                       const char *path, char *err, size_t err_size) {
  size_t pages = label_sheets(n);
  if (format == LABEL_SVG && pages > 1 && strcmp(path, "-") == 0) {
    snprintf(err, err_size,
             "%zu labels take %zu SVG sheets, a file each: name the first with --out", n, pages);
    return false;
  }
  sr_qr_matrix *qrs = calloc(n ? n : 1, sizeof *qrs);
  bool ok = qrs != NULL;
  if (!ok)
    snprintf(err, err_size, "out of memory");
  for (size_t i = 0; ok && i < n; i++)
    if (!(ok = sr_qr_encode(labels[i].url, &qrs[i])))
      snprintf(err, err_size, "%s: the URL is too long for a QR code", labels[i].url);
  if (ok && format == LABEL_PDF)
    ok = write_sheets(labels, qrs, n, 0, pages, pages, format, paper, path, err, err_size);
  for (size_t page = 0; ok && format == LABEL_SVG && page < pages; page++) {
    char file[4096];
    label_sheet_path(path, format, page, pages, file, sizeof file);
    ok = write_sheets(labels, qrs, n, page, page + 1, pages, format, paper, file, err, err_size);
  }
  for (size_t i = 0; qrs && i < n; i++)
    sr_qr_matrix_free(&qrs[i]);
  free(qrs);
  /* cairo's font caches, then fontconfig's, which cairo loaded: srctl is
   * done drawing, and the sanitizers see no memory left behind */
  cairo_debug_reset_static_data();
  FcFini();
  return ok;
}
