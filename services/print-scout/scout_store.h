/*
 * The print scout's encrypted job store: what the IPP queue's hooks do with
 * a received document (count pages, encrypt with the site key, store) and
 * with a deleted job.
 */
#ifndef SCOUT_STORE_H
#define SCOUT_STORE_H

#include "cloud_client.h"
#include "instance.h"
#include "job_table.h"
#include "site_key.h"

typedef struct scout_store {
  sr_instance *storage;   /* borrowed */
  const sr_site_key *key; /* borrowed */
  const char *owner;      /* the user jobs belong to */
  sr_cloud_client *cloud; /* borrowed; NULL: no cloud (jobs stay local) */
  /* directory mode: each job's owner is its login's directory entry */
  sr_instance *const *idps; /* borrowed; n_idps 0: the registered user owns jobs */
  size_t n_idps;
  /* called on a queue connection's thread when a job has just become held,
   * so that the announcer tells the cloud (scout_announcer_soon); must not
   * block; NULL: jobs are not announced */
  void (*announce_soon)(void *ctx);
  void *announce_soon_ctx;
  /* called on the announcer's thread with the cloud's answer to each job
   * announced (its cloud_copy setting, whether a copy is stored), so the
   * copy uploader learns what to do (scout_copy_uploader_announced); must
   * not block; NULL: no cloud copies */
  void (*announced)(void *ctx, const char *uuid, const json_t *reply);
  void *announced_ctx;
} scout_store;

/* Puts the job files found in the store back into `jobs` as held jobs, so
 * a restarted scout loses nothing: each file is authenticated and its
 * encrypted job information read. Files that fail are left alone (logged).
 * Returns how many jobs were recovered. */
int scout_store_recover(scout_store *store, scout_job_table *jobs);

/* The job's id as the cloud knows it: the hex name of its job file. */
void scout_job_uuid(const scout_job *job, char out[64]);

/* Tells the cloud a job is held (metadata only: title, pages, settings;
 * never the document). Idempotent; blocks on the directory and the cloud,
 * so never call it on the loop. SR_OK when announced, with *expires set to
 * when the cloud says the job expires (now for a job it has expired or
 * deleted already; on the scout's clock), 0 if the answer did not say. Otherwise logged and the job
 * is announced again later: SR_ERR_CONNECT or SR_ERR_TIMEOUT when the cloud or the directory was
 * not reached (the next job would wait as long), another error when this job alone was refused or
 * has no owner. */
int scout_store_announce(scout_store *store, const scout_job *job, time_t *expires);

/* Keeps `when`, the job's expiry, in a sidecar beside its file
 * ("jobs/<id>.expiry"), read back by scout_store_recover; a failure is
 * logged (the scout's own hold time applies after a restart until the
 * cloud answers again). Blocks on the store: never on the loop. */
void scout_store_save_expiry(scout_store *store, const scout_job *job, time_t when);

/* Removes the job's sidecar, if any (a job that ended while its expiry
 * was being saved). Blocks on the store. */
void scout_store_drop_expiry(scout_store *store, const scout_job *job);

/* scout_queue_hooks.store: page count, job information, encrypted job file
 * under "jobs/<random>.srjob". Never calls the cloud: the job is announced
 * once it is held (scout_store_held). */
int scout_store_document(void *store, scout_job *job, int fd, char *reason, size_t reason_size);

/* scout_queue_hooks.held: hands the announcement of the job just held to
 * the announcer (announce_soon) and returns at once, so the Print-Job's
 * answer never waits for the cloud. */
void scout_store_held(void *store, const scout_job *job);

/* scout_queue_hooks.hash_pin: the keyed hash of a job PIN's SHA-256 under
 * the site key (SR_ID_JOB_PIN), as the site service makes it at the panel. */
int scout_store_hash_pin(void *store, const unsigned char digest[32], char out[65]);

/* scout_queue_hooks.discard: removes the job file. */
void scout_store_discard(void *store, const scout_job *job);

#endif
