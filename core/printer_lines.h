/*
 * The print scout's per-printer delivery queue: one line per printer. A
 * printer takes one job at a time and answers the rest "busy", so the
 * releases aimed at it wait in line and go one at a time, in the order
 * their jobs were submitted (what "print all" means to a person).
 *
 * Loop thread only. The lines own nothing: a place belongs to its caller
 * (embedded in its release), which must keep it alive from join until it
 * leaves or is handed back by printer_lines_drain.
 */
#ifndef SCOUT_PRINTER_LINES_H
#define SCOUT_PRINTER_LINES_H

#include <stddef.h>
#include <stdint.h>

typedef struct printer_place printer_place;
struct printer_place {
  char printer[640]; /* the line: one per printer (its URIs) */
  int64_t submitted; /* order: the job's submission time, then its id */
  int job_id;
  /* Its turn came (called from join or from the leave of the one before). */
  void (*start)(printer_place *place);
  /* Optional: how many places are ahead of it now (called when that
   * changed, for the waiting ones only). */
  void (*moved)(printer_place *place, size_t ahead);
  printer_place *next; /* the lines' own */
};

typedef struct printer_lines printer_lines;

/* NULL when memory is short. Free with printer_lines_free once empty. */
printer_lines *printer_lines_new(void);
void printer_lines_free(printer_lines *lines);

/* Puts `place` in its printer's line, after the place being served and
 * the places submitted before it. Starts it at once if the printer is
 * free; else tells it (moved) how many are ahead. */
void printer_lines_join(printer_lines *lines, printer_place *place);

/* `place`, at the front of its line, is done: the next one starts and the
 * others learn their new place. */
void printer_lines_leave(printer_lines *lines, printer_place *place);

/* Takes the waiting places of `printer`'s line out, in order, calling
 * `each` for each; the front one stays, to leave as usual (for a printer
 * that stayed busy past the deadline: those behind waited as long). */
void printer_lines_drain_line(printer_lines *lines, const char *printer,
                              void (*each)(printer_place *place, void *ctx), void *ctx);

/* Takes every place out of every line, front ones included, calling
 * `each` for each (for shutdown: tell their owners they will not run). */
void printer_lines_drain(printer_lines *lines, void (*each)(printer_place *place, void *ctx),
                         void *ctx);

#endif
