/*
 * Sheets of printer labels (srctl device label): each label has the
 * printer's name, its location, a QR code of its release page URL (core/
 * qr.h) and that URL in text, inside a dashed cut line. Drawn with cairo
 * into a PDF (one file, a page per sheet) or SVG (a file per sheet), on A4
 * or US Letter, 8 labels a sheet. Nothing here touches the network.
 */
#ifndef SRCTL_LABEL_SHEET_H
#define SRCTL_LABEL_SHEET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct label {
  const char *name;     /* the printer's display name */
  const char *location; /* where it stands, or NULL */
  const char *url;      /* its release page, what the QR code encodes */
} label;

typedef enum label_format { LABEL_PDF, LABEL_SVG } label_format;
typedef enum label_paper { LABEL_A4, LABEL_LETTER } label_paper;

#define LABELS_PER_SHEET 8

/* How many sheets n labels take. */
size_t label_sheets(size_t n);

/* The file sheet `page` (0-based) of `pages` is written to: `path` itself
 * for a PDF or a single sheet, else an SVG's `path` with "-N" (1-based)
 * before its extension ("labels.svg" -> "labels-2.svg"). */
void label_sheet_path(const char *path, label_format format, size_t page, size_t pages, char *out,
                      size_t out_size);

/* Writes the n labels (borrowed) to `path` ("-": standard output, for a
 * PDF or a single SVG sheet). True when every file was written; false with
 * err filled (a URL too long for a QR code, a file that cannot be
 * written). */
bool label_sheet_write(const label *labels, size_t n, label_format format, label_paper paper,
                       const char *path, char *err, size_t err_size);

#endif
