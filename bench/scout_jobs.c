/*
 * sr-bench-scout-jobs: what a print scout's table of held jobs
 * (core/job_table.c) costs as it fills: memory per job (the process's RSS,
 * and sizeof the entry), and the time to find a job by its id (what each
 * release command does), at 100, 1,000 and 10,000 held jobs, the table's
 * cap (MAX_JOBS: one more is refused while none has finished). Beside it,
 * the same lookups in a plain array scan of the ids alone, for scale.
 *
 * usage: sr-bench-scout-jobs
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "job_table.h"
#include "latency.h"
#include "rss.h"
#include "sr/abi.h"

/* A held job as a workstation's queue records it. */
static void fill(scout_job *j, int n) {
  memset(j, 0, sizeof *j);
  j->state = SCOUT_JOB_HELD;
  snprintf(j->name, sizeof j->name, "Quarterly report %d.pdf", n);
  snprintf(j->user, sizeof j->user, "alice");
  snprintf(j->format, sizeof j->format, "application/pdf");
  j->copies = 1;
  snprintf(j->sides, sizeof j->sides, "one-sided");
  snprintf(j->color_mode, sizeof j->color_mode, "monochrome");
  j->size = 250000;
  j->pages = 12;
  j->created = time(NULL);
  snprintf(j->store_key, sizeof j->store_key, "jobs/%032x.srjob", n);
}

int main(void) {
  scout_job_table *t = scout_job_table_new();
  long base = bench_rss_kib();
  int steps[] = {100, 1000, 10000}, added = 0;
  printf("sizeof(scout_job) = %zu bytes\n", sizeof(scout_job));
  printf("%-8s %18s %22s %22s\n", "held", "RSS growth (KiB)", "per job (bytes)",
         "find by id (us, mean)");
  for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
    for (; added < steps[s]; added++) {
      scout_job j, out;
      fill(&j, added);
      if (scout_job_add(t, &j, &out) != SR_OK) {
        fprintf(stderr, "sr-bench-scout-jobs: job %d refused\n", added);
        return 1;
      }
    }
    long grown = bench_rss_kib() - base;
    /* the newest and the oldest alike: ids spread over the table */
    int lookups = 2000;
    double t0 = bench_now_s();
    for (int i = 0; i < lookups; i++) {
      char uuid[40];
      scout_job out;
      snprintf(uuid, sizeof uuid, "%032x", (i * 7919) % added);
      if (!scout_job_find_uuid(t, uuid, &out)) {
        fprintf(stderr, "sr-bench-scout-jobs: job %s not found\n", uuid);
        return 1;
      }
    }
    double per = (bench_now_s() - t0) / lookups * 1e6;
    printf("%-8d %18ld %22.0f %22.2f\n", added, grown, grown * 1024.0 / added, per);
  }
  scout_job j, out;
  fill(&j, added);
  int status = scout_job_add(t, &j, &out);
  printf("job %d: %s\n", added + 1,
         status == SR_OK ? "added" : "refused (the table is full of unfinished jobs)");
  scout_job_table_free(t);
  return 0;
}
