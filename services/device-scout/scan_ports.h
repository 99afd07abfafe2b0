/*
 * TCP port checks for the printers a scan found: a non-blocking connect to
 * each configured IPP and RAW port, on the loop, all at once (a printer
 * has a handful of ports, a site a few hundred printers), each bounded by
 * the scan's timeout. An open port becomes a URI of the printer.
 */
#ifndef SR_SCAN_PORTS_H
#define SR_SCAN_PORTS_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "scan_targets.h"

typedef struct scan_port_check {
  scan_address address;
  int port;
  bool open; /* filled when the checks are done */
} scan_port_check;

typedef void (*scan_ports_done_fn)(void *ctx);

/* Checks every item of `checks` (borrowed until `done` runs, which is
 * called once, from the loop, even for an empty list). Returns false only
 * when out of memory (then `done` is not called). */
bool scan_ports_check(struct ev_loop *loop, scan_port_check *checks, size_t n, double timeout,
                      scan_ports_done_fn done, void *ctx);

#endif
