/*
 * Telling the cloud about held jobs off the loop and off the queue's
 * connection threads. Announcing blocks (a directory lookup in directory
 * mode, then an HTTPS call to the cloud), so it runs on a worker thread of
 * its own: the loop keeps taking release and delete commands meanwhile,
 * releases never wait behind announcements, and a Print-Job is answered as
 * soon as its job is stored, however slow the cloud.
 *
 * A job that becomes held is announced at once (scout_announcer_soon).
 * After each (re)connect to the broker every held job is announced again
 * (the cloud may have missed them); jobs that still are not announced
 * (cloud or directory unreachable, or refused) are retried by a timer, 15 s
 * after the first failure, doubling up to 5 minutes, reset by a batch that
 * announced everything.
 */
#ifndef SCOUT_ANNOUNCER_H
#define SCOUT_ANNOUNCER_H

#include <ev.h>

#include "job_table.h"
#include "scout_store.h"

typedef struct scout_announcer scout_announcer;

/* Starts the announcer on `loop` (call on its thread). `store` and `jobs`
 * are borrowed and must outlive it; the store's cloud client and identity
 * providers are used from the announcer's thread (both serialise their
 * calls). Held jobs the cloud did not take are tried again `retry_first`
 * seconds later, then at doubling intervals up to 5 min (config
 * announce_retry). The caller owns the result (scout_announcer_free); NULL
 * if its thread cannot start. */
scout_announcer *scout_announcer_new(struct ev_loop *loop, scout_store *store,
                                     scout_job_table *jobs, double retry_first);

/* Announces every held job (after a (re)connect). On the loop's thread. A
 * call while a batch runs does not queue another: the batch runs once more
 * when it ends. */
void scout_announcer_all(scout_announcer *a);

/* A job has just become held: announces the held jobs not announced yet,
 * now, or right after the batch in progress. Returns at once; safe from any
 * thread (scout_store.announce_soon). */
void scout_announcer_soon(void *announcer);

/* Stops the retries, lets the batch in progress end after its current job
 * (bounded by the cloud client's timeout) and frees the announcer. On the
 * loop's thread, before `store` and `jobs` are freed, after nothing calls
 * scout_announcer_soon any more (the queue is stopped). NULL is fine. */
void scout_announcer_free(scout_announcer *a);

#endif
