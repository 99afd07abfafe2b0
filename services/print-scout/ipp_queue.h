/*
 * The print scout's local IPP Everywhere queue at ipp://ADDRESS:PORT/ipp/print.
 * Any OS adds it without a driver; what it receives is held, encrypted, for
 * release at a printer. HTTP and IPP are libcups' (chunked bodies and
 * `Expect: 100-continue` as CUPS and ipptool send them); one thread per
 * connection, at most max_connections of them, all joined when it stops. Who is printing comes from
 * the OS, not from the client (queue_access.h).
 */
#ifndef SCOUT_IPP_QUEUE_H
#define SCOUT_IPP_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job_table.h"

typedef struct scout_queue_hooks {
  /* Stores the whole document of `job` (plaintext in the memory file `fd`,
   * offset 0; never written to disk) in the encrypted job store and fills
   * job->pages and job->store_key. SR_OK: the job is held. Otherwise
   * `reason` says why and the job is aborted. Runs on the connection's
   * thread; must be thread-safe. */
  int (*store)(void *ctx, scout_job *job, int fd, char *reason, size_t reason_size);
  /* The owner (or root) canceled a held job: its job file goes. */
  void (*discard)(void *ctx, const scout_job *job);
  /* `job` has just become held in the table (after `store`). Runs on the
   * connection's thread before the answer, so it must not block (the cloud
   * is told on another thread). NULL: nothing to do. */
  void (*held)(void *ctx, const scout_job *job);
  /* Writes the keyed hash (64 hex digits and NUL) of a job PIN given as
   * SHA-256 of its digits; SR_OK or an error. Only this hash is kept: the
   * PIN and its plain SHA-256 (a 4-digit PIN's is found in a moment) never
   * leave the request. NULL: the queue takes no PIN jobs. Thread-safe. */
  int (*hash_pin)(void *ctx, const unsigned char digest[32], char out[65]);
  void *ctx;
} scout_queue_hooks;

typedef struct scout_queue_options {
  const char *address;  /* "127.0.0.1" */
  int port;             /* 0: any free port */
  const char *name;     /* printer-name */
  int64_t max_document; /* bytes; larger documents are refused */
  /* accounts whose requesting-user-name is believed (the OS's spoolers);
   * NULL-terminated, NULL: none. Borrowed: must outlive the queue. */
  const char *const *trusted_spoolers;
  const char *socket_path; /* also listen on this Unix-domain socket; NULL: no */
  /* Report held jobs as `pending` with job-release-wait instead of
   * `pending-held`: CUPS's ipp backend stops following a pending-held job
   * (the CUPS job completes at once) but follows a pending one until it
   * ends, at the price of one job at a time per CUPS queue (docs/clients.md). */
  bool held_as_pending;
  /* Limits (service_config.h, sr_queue_limits_config); 0 takes the default.
   * They keep one client or account from stopping the others. */
  int max_connections;   /* open at once; more: 503 and closed */
  int header_timeout_ms; /* whole headers of a request, and keep-alive waits */
  int body_timeout_ms;   /* longest pause inside a body */
  /* a document must bring min_upload_rate bytes a second over each
   * upload_rate_window_ms, or its job is aborted: pauses within
   * body_timeout_ms cannot hold a slot for ever by trickling */
  int min_upload_rate;
  int upload_rate_window_ms;
  int64_t max_upload_memory; /* document bytes in flight, all uploads together */
  /* one account's share of the two above; 0: half of each */
  int max_connections_per_account;
  int64_t max_upload_memory_per_account;
  int incoming_expiry;   /* seconds a documentless job waits for its document */
  int max_jobs_per_user; /* unfinished jobs per user */
  /* PIN jobs (job-password, PWG 5100.11): digits a PIN sent in clear has;
   * pin_max_length 0 (or no hash_pin hook): jobs with a PIN are refused */
  int pin_min_length, pin_max_length;
} scout_queue_options;

typedef struct scout_queue scout_queue;

/* Starts listening and serving. On SR_OK the caller owns *out; `jobs` and
 * `hooks->ctx` must outlive it. */
int scout_queue_start(const scout_queue_options *options, const scout_queue_hooks *hooks,
                      scout_job_table *jobs, scout_queue **out, char *err, size_t err_size);

/* The queue's URI ("ipp://127.0.0.1:PORT/ipp/print"). Owned by q. */
const char *scout_queue_uri(const scout_queue *q);
int scout_queue_port(const scout_queue *q);

/* Stops accepting, joins every connection's thread (each ends within a
 * second, or its header/body timeout while blocked on a client) and frees q. */
void scout_queue_stop(scout_queue *q);

#endif
