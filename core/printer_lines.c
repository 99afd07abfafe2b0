#include "printer_lines.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A line is its places in order; the front one is being served. Lines are
 * few (one per printer with releases under way), so a list will do. */
typedef struct line {
  printer_place *front;
  struct line *next;
} line;

struct printer_lines {
  line *lines;
};

printer_lines *printer_lines_new(void) { return calloc(1, sizeof(printer_lines)); }

void printer_lines_free(printer_lines *lines) {
  if (!lines)
    return;
  while (lines->lines) {
    line *l = lines->lines;
    lines->lines = l->next;
    free(l);
  }
  free(lines);
}

static line **find_line(printer_lines *lines, const char *printer) {
  line **l = &lines->lines;
  while (*l && strcmp((*l)->front->printer, printer) != 0)
    l = &(*l)->next;
  return l;
}

static bool before(const printer_place *a, const printer_place *b) {
  return a->submitted != b->submitted ? a->submitted < b->submitted : a->job_id < b->job_id;
}

/* Tells each waiting place of `l`, from the `from`th on, how many are
 * ahead of it. */
static void tell_places(line *l, size_t from) {
  size_t ahead = 0;
  for (printer_place *p = l->front; p; p = p->next, ahead++)
    if (ahead >= from && ahead > 0 && p->moved)
      p->moved(p, ahead);
}

void printer_lines_join(printer_lines *lines, printer_place *place) {
  place->next = NULL;
  line **found = find_line(lines, place->printer);
  if (!*found) {
    line *l = calloc(1, sizeof *l);
    if (!l) { /* no line to wait in: served at once, as before lines */
      place->start(place);
      return;
    }
    l->front = place;
    *found = l;
    place->start(place);
    return;
  }
  /* after the front (it is being served) and those submitted before */
  printer_place *after = (*found)->front;
  size_t at = 1;
  while (after->next && !before(place, after->next)) {
    after = after->next;
    at++;
  }
  place->next = after->next;
  after->next = place;
  tell_places(*found, at);
}

void printer_lines_leave(printer_lines *lines, printer_place *place) {
  line **found = find_line(lines, place->printer);
  line *l = *found;
  if (!l || l->front != place)
    return; /* not served (a caller's mistake): nothing to move */
  l->front = place->next;
  place->next = NULL;
  if (!l->front) {
    *found = l->next;
    free(l);
    return;
  }
  tell_places(l, 1);
  l->front->start(l->front);
}

void printer_lines_drain(printer_lines *lines, void (*each)(printer_place *place, void *ctx),
                         void *ctx) {
  while (lines->lines) {
    line *l = lines->lines;
    lines->lines = l->next;
    while (l->front) {
      printer_place *p = l->front;
      l->front = p->next;
      p->next = NULL;
      each(p, ctx);
    }
    free(l);
  }
}

void printer_lines_drain_line(printer_lines *lines, const char *printer,
                              void (*each)(printer_place *place, void *ctx), void *ctx) {
  line *l = *find_line(lines, printer);
  while (l && l->front->next) {
    printer_place *p = l->front->next;
    l->front->next = p->next;
    p->next = NULL;
    each(p, ctx);
  }
}
