/*
 * The IPP message header of a request, read from the connection and trimmed
 * before libcups parses it. libcups' own handling of some repeated values
 * costs time quadratic in their number (requested-attributes "all" or a
 * group name sent thousands of times kept a core busy for minutes), so what
 * reaches it is bounded here: repeated requested-attributes values and
 * repeated attributes are dropped, an attribute keeps at most
 * SCOUT_INTAKE_MAX_VALUES values, and the header at most
 * SCOUT_INTAKE_MAX_BYTES bytes.
 */
#ifndef SCOUT_IPP_INTAKE_H
#define SCOUT_IPP_INTAKE_H

#include <cups/cups.h>
#include <stdbool.h>
#include <stddef.h>

#define SCOUT_INTAKE_MAX_BYTES (1024 * 1024)
#define SCOUT_INTAKE_MAX_VALUES 256     /* distinct values of one attribute */
#define SCOUT_INTAKE_MAX_ATTRIBUTES 512 /* attributes of one group */
#define SCOUT_INTAKE_MAX_DEPTH 8        /* nested collections */
#define SCOUT_INTAKE_MAX_REPEATED 8     /* names of repeated attributes recorded */

typedef enum scout_intake_status {
  SCOUT_INTAKE_OK = 0,
  SCOUT_INTAKE_MALFORMED, /* not IPP, or cut off, or the client went */
  SCOUT_INTAKE_TOO_LARGE, /* more than SCOUT_INTAKE_MAX_BYTES */
} scout_intake_status;

typedef struct scout_intake {
  unsigned char *data; /* the trimmed header, owned */
  size_t len, cap, pos;
  size_t raw;     /* bytes read from the client */
  size_t dropped; /* repeated values and attributes left out */
  /* the first distinct names of attributes left out as repeats (up to 63
   * bytes of each), for the checks that must refuse rather than pick one */
  char repeated[SCOUT_INTAKE_MAX_REPEATED][64];
  size_t n_repeated;
  char over_cap[128]; /* the first attribute over a cap, or "" */
} scout_intake;

/* Reads the header (up to and including end-of-attributes) from `http`,
 * leaving any document data unread. Free *in with scout_intake_free in every
 * case. */
scout_intake_status scout_intake_read(http_t *http, scout_intake *in);

/* Parses the trimmed header; NULL if libcups refuses it. The caller owns the
 * result. */
ipp_t *scout_intake_parse(scout_intake *in);

/* True if an attribute `name` came more than once in one group (and only
 * the first was kept). `in` may be NULL (false). */
bool scout_intake_repeated(const scout_intake *in, const char *name);

void scout_intake_free(scout_intake *in);

#endif
