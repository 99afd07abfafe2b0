/*
 * The print scout enforces each held job's expiry itself, so a workstation
 * that was off, asleep or cut off from the cloud when its job expired
 * deletes the file all the same, without a word from the cloud. The
 * expiry is the cloud's (its answer to the job's announcement, kept beside
 * the job file so it survives a restart); until the cloud has answered,
 * the scout's own `hold_time` from the job's creation.
 */
#ifndef SCOUT_EXPIRER_H
#define SCOUT_EXPIRER_H

#include <ev.h>
#include <stdint.h>

#include "instance.h"
#include "job_table.h"

typedef struct scout_expirer scout_expirer;

/* Starts checking the held jobs of `jobs` every second on `loop` (call on
 * its thread); an expired one is marked expired at once (no release can
 * start on it) and its file removed from `storage` on a worker thread.
 * `jobs` and `storage` are borrowed and must outlive it. NULL if its
 * worker cannot start. */
scout_expirer *scout_expirer_new(struct ev_loop *loop, scout_job_table *jobs, sr_instance *storage,
                                 int64_t hold_time);

/* Stops the timer and waits for the removals in progress. On the loop's
 * thread, before `jobs` and `storage` are freed. NULL is fine. */
void scout_expirer_free(scout_expirer *e);

#endif
