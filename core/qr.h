/*
 * QR codes (libqrencode) drawn three ways: as a module matrix for callers
 * that draw it themselves (label sheets), as an SVG document (the panel
 * app's rotating code), and with block characters on a terminal.
 *
 * Every function encodes the text as 8-bit data at error correction level
 * M (a code stuck on a printer gets scratched), the smallest version that
 * holds it. The quiet zone (4 modules, as ISO/IEC 18004 asks) is not in
 * the matrix: drawers add it.
 */
#ifndef SR_QR_H
#define SR_QR_H

#include <stdbool.h>
#include <stdio.h>

/* A square of width x width modules, row by row. Owned by the caller:
 * sr_qr_matrix_free(). */
typedef struct sr_qr_matrix {
  int width;
  unsigned char *dark; /* width*width bytes, 1 = dark module */
} sr_qr_matrix;

#define SR_QR_QUIET_ZONE 4

/* Encodes `text`: true and *out filled, or false (text too long for a QR
 * code, or out of memory). */
bool sr_qr_encode(const char *text, sr_qr_matrix *out);
void sr_qr_matrix_free(sr_qr_matrix *m);

/* An SVG document of `text`'s code with its quiet zone, one user unit per
 * module, scaled by the viewer (viewBox set, no width or height), dark
 * modules as one path. `title` (or NULL) becomes its accessible name and
 * is XML-escaped. malloc'd, owned by the caller; NULL on failure. */
char *sr_qr_svg(const char *text, const char *title);

/* Prints `text`'s code to `out` with Unicode half blocks, two module rows
 * per line, light modules as full blocks so it reads on dark and light
 * terminals alike. False if it cannot be encoded. */
bool sr_qr_print_terminal(const char *text, FILE *out);

#endif
