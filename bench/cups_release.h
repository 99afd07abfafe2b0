/*
 * CUPS's own hold-and-release latency, as a yardstick for our release path:
 * a private cupsd with one RAW queue printing to an in-process TCP sink,
 * jobs held with job-hold-until=indefinite, then released with Release-Job.
 */
#ifndef SR_BENCH_CUPS_RELEASE_H
#define SR_BENCH_CUPS_RELEASE_H

#include <stddef.h>

#include "latency.h"

typedef struct cups_release_figures {
  int jobs;                 /* jobs released and seen complete at the sink */
  bench_latency first_byte; /* Release-Job sent -> first byte of the job at the sink */
  bench_latency complete;   /* Release-Job sent -> sink saw the connection closed */
  double releases_per_s;    /* jobs / wall_s */
  double wall_s;            /* first Release-Job sent -> last job complete at the sink */
} cups_release_figures;

/* Starts a private cupsd in a temporary directory on a free 127.0.0.1 port
 * with one RAW queue (socket://127.0.0.1:P) pointing at an in-process TCP
 * sink, submits `jobs` copies of `document` (path) held with
 * job-hold-until=indefinite, then sends Release-Job for all of them with up
 * to `concurrency` in flight, and measures per job the time from sending
 * Release-Job to the first byte arriving at the sink and to the sink seeing
 * the connection closed (the whole document). Each copy is preceded by one
 * line "%%SR-BENCH-JOB <n>\n" so the sink knows which job it receives.
 * Stops cupsd and removes its directory. Returns 0 with *out filled, or -1
 * with a message in err (always NUL-terminated when err_size > 0). Nothing
 * returned needs freeing. cupsd runs as the calling user (as root it runs the
 * backend as user lp). The caller should ignore SIGPIPE. Blocks for the whole
 * run: cupsd gets 10 s to start, the jobs 120 s from the first Release-Job
 * to arrive at the sink. */
int cups_release_run(const char *document, int jobs, int concurrency, cups_release_figures *out,
                     char *err, size_t err_size);

#endif
