/*
 * Cloud copies of held jobs (the tenant setting cloud_copy): the job file
 * goes to the cloud as it is in the job store, encrypted with the site key,
 * so that another deliverer can print it while this workstation is off.
 *
 * The uploader runs on a thread of its own (uploads take long and block:
 * never the loop, never the announcer's thread) with a cloud client of its
 * own, so announcements never wait behind an upload. It learns the
 * tenant's setting from the cloud's answers to job announcements
 * (scout_copy_uploader_announced): `immediate` uploads each job once it is
 * announced, `deferred` the jobs still held `copy_after` seconds after they
 * were printed, `off` nothing. A failed upload is tried again after 15 s,
 * doubling to 10 minutes, each wait varied by a quarter; the local job is
 * only read, never changed, whatever the cloud answers.
 */
#ifndef SCOUT_COPY_UPLOADER_H
#define SCOUT_COPY_UPLOADER_H

#include <jansson.h>
#include <stdbool.h>

#include "cloud_client.h"
#include "instance.h"
#include "job_table.h"

typedef struct scout_copy_uploader scout_copy_uploader;

/* Starts the uploader's thread. `storage` (the job store) and `jobs` are
 * borrowed and must outlive it; `cloud` is its own client (taken: freed
 * with the uploader). NULL if the thread cannot start (then `cloud` is
 * still the caller's). */
scout_copy_uploader *scout_copy_uploader_new(sr_instance *storage, scout_job_table *jobs,
                                             sr_cloud_client *cloud);

/* scout_store.announced: the cloud's answer to announcing job `uuid`
 * (borrowed): records the tenant's setting and whether the cloud has the
 * copy, and wakes the thread. Any thread; never blocks for long. */
void scout_copy_uploader_announced(void *uploader, const char *uuid, const json_t *reply);

/* The computer is about to sleep or shut down: uploads now every held job
 * the cloud knows and has no copy of (also deferred ones not due yet, and
 * without waiting out a retry's backoff), and returns once that pass ended
 * (true) or after `timeout_s` (false; the uploads go on). Blocks: from the
 * sleep guard's thread (sleep_guard.h). */
bool scout_copy_uploader_flush(scout_copy_uploader *u, double timeout_s);

/* Stops the thread (an upload in progress is abandoned) and frees the
 * uploader and its cloud client. Before `storage` and `jobs` are freed.
 * NULL is fine. */
void scout_copy_uploader_free(scout_copy_uploader *u);

#endif
