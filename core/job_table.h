/*
 * The print scout's jobs as its IPP queue shows them: a thread-safe table
 * of held jobs and of finished ones (kept a while for Get-Jobs). Documents
 * are not here: they are in the encrypted job store. The releaser
 * (release.h) keeps a second table of the jobs it fetched from their cloud
 * copy to print for others (failover), which no queue shows.
 */
#ifndef SCOUT_JOB_TABLE_H
#define SCOUT_JOB_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum scout_job_state {
  SCOUT_JOB_INCOMING = 0, /* created, document not (fully) received */
  SCOUT_JOB_HELD = 1,     /* stored encrypted, waiting for release */
  SCOUT_JOB_RELEASING = 2,
  SCOUT_JOB_PRINTED = 3,
  SCOUT_JOB_CANCELED = 4, /* deleted by its owner or root */
  SCOUT_JOB_ABORTED = 5,  /* could not be received or stored */
  SCOUT_JOB_EXPIRED = 6,
} scout_job_state;

typedef struct scout_job {
  int id;
  int state;       /* scout_job_state */
  char name[256];  /* job-name */
  char user[256];  /* its owner as the OS named them (queue_access.h); job-originating-user-name */
  char format[64]; /* document-format */
  int copies;
  char sides[32];
  char color_mode[16];
  int64_t size;  /* document bytes */
  int64_t pages; /* -1: unknown */
  time_t created, processing, completed;
  char reason[256];    /* why it was aborted, or "" */
  char store_key[96];  /* key of its job file in the job store */
  char release_id[64]; /* the release printing it (or that printed it), else "" */
  bool receiving;      /* incoming with its document being read now: does not expire */
  bool announced;      /* the cloud has been told it is held (scout_store_announce) */
  char pin_hash[65];   /* keyed hash of its job-password (hash_pin hook), or "": no PIN */
  /* when the cloud said the held job expires (the scout's clock), kept in
   * a sidecar beside its file; 0: not said yet, the scout's own hold time
   * from `created` applies (scout_job_expiry) */
  time_t expires;
} scout_job;

typedef struct scout_job_table scout_job_table;

scout_job_table *scout_job_table_new(void);
void scout_job_table_free(scout_job_table *t);

/* Adds a job (id assigned here, from 1) and returns a copy in *out. */
int scout_job_add(scout_job_table *t, const scout_job *job, scout_job *out);

/* As scout_job_add, unless job->user already has `max_per_user` unfinished
 * jobs (0: no cap): then SR_ERR_EXISTS and nothing is added. The count and
 * the add are one step, so parallel requests cannot pass the cap. */
int scout_job_add_for_user(scout_job_table *t, const scout_job *job, int max_per_user,
                           scout_job *out);

/* Marks incoming job `id` as receiving its document (it then does not
 * expire); false if it is not incoming (e.g. it has just expired). */
bool scout_job_begin_receiving(scout_job_table *t, int id);

/* Expires the incoming jobs created before `before` that are not receiving a
 * document (a Create-Job never followed by Send-Document). Returns how many. */
int scout_job_expire_incoming(scout_job_table *t, time_t before);

/* Copies job `id` into *out; false if there is none. */
bool scout_job_get(scout_job_table *t, int id, scout_job *out);

/* Replaces job `id` with *job (same id) if its state in the table is
 * still `from` (compare-and-set under the table's lock); false if it moved
 * meanwhile (another thread canceled, released or expired it) or there is
 * no such job: then nothing is written and the caller acts on the table's
 * state, not on its older copy. `announced` and `expires` are kept as the
 * table has them (only scout_job_mark_announced and scout_job_set_expiry
 * set them). */
bool scout_job_transition(scout_job_table *t, const scout_job *job, scout_job_state from);

/* Sets job `id`'s `expires` alone (the cloud's answer to its announcement),
 * like scout_job_mark_announced. */
void scout_job_set_expiry(scout_job_table *t, int id, time_t expires);

/* When `job` expires: what the cloud said, else `hold_time` seconds after
 * it was created. */
time_t scout_job_expiry(const scout_job *job, int64_t hold_time);

/* Sets job `id`'s `announced` alone, so an announcement finishing on another
 * thread cannot overwrite a state change made meanwhile. */
void scout_job_mark_announced(scout_job_table *t, int id);

/* Copies up to `max` jobs, newest first, that `filter` accepts (NULL: all).
 * Returns how many. */
size_t scout_job_list(scout_job_table *t, bool (*filter)(const scout_job *, void *), void *ctx,
                      scout_job *out, size_t max);

/* Removes job `id` from the table (a job fetched for one release, done
 * with); nothing if there is none. */
void scout_job_forget(scout_job_table *t, int id);

/* Copies the job whose store key is "<folder>/<uuid>.srjob" ("jobs/" for
 * a scout's own jobs, "fetched/" for cloud copies) into *out. */
bool scout_job_find_uuid(scout_job_table *t, const char *uuid, scout_job *out);

/* Counts jobs not yet finished (incoming, held, releasing). */
int scout_job_count_active(scout_job_table *t);

/* Counts jobs in `state` (scout_job_state). */
int scout_job_count_state(scout_job_table *t, int state);

/* True for the states IPP calls finished. */
bool scout_job_is_finished(const scout_job *job);

#endif
