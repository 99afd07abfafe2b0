/* Shared by ipp_server.c (connections, HTTP) and ipp_ops.c (operations). */
#ifndef SCOUT_IPP_QUEUE_PRIVATE_H
#define SCOUT_IPP_QUEUE_PRIVATE_H

#include <cups/cups.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "ipp_intake.h"
#include "ipp_queue.h"
#include "queue_access.h"

#define SCOUT_QUEUE_RESOURCE "/ipp/print"

struct scout_queue {
  scout_queue_options options;
  scout_queue_hooks hooks;
  scout_job_table *jobs;
  ipp_t *attributes; /* static printer attributes */
  char uri[256];
  char name[128];
  int port;
  int listen_fd;
  int unix_fd; /* the Unix-domain listener, or -1 */
  int stop_pipe[2];
  pthread_t listener;
  pthread_mutex_t lock;           /* guards the connection slots and upload counts */
  struct scout_connection *slots; /* options.max_connections of them */
  int connections;                /* slots in use */
  int64_t upload_bytes;           /* document bytes being received, all uploads */
  /* the same per account (the user a job is for): options.max_connections
   * entries, as each connection receives one document at a time; an entry
   * whose bytes are 0 is free */
  struct scout_account_upload *account_uploads;
  time_t last_busy_log;  /* listener thread only */
  time_t last_share_log; /* under lock, with the account it named */
  uid_t last_share_uid;
  /* set by scout_queue_stop, read by the listener and every connection
   * thread without the lock: atomic, as volatile orders nothing (issue 9) */
  atomic_bool stopping;
  time_t started;
};

/* Document bytes one account is receiving (scout_queue.account_uploads). */
typedef struct scout_account_upload {
  char account[256];
  int64_t bytes;
} scout_account_upload;

/* One IPP request on one connection. */
typedef struct scout_request {
  scout_queue *queue;
  http_t *http;
  const scout_peer *peer; /* the connection's, as the OS named it */
  scout_requester who;    /* whom this request acts as */
  ipp_t *request;
  const scout_intake *intake; /* what the request's header was trimmed of; may be NULL */
  ipp_t *response;
  ipp_t *unsupported; /* attributes refused or ignored, for the response's unsupported group */
  char hostname[256];
  int64_t *deadline_ms; /* the connection's: a read blocked past it fails; NULL: none */
  bool close_after;     /* close the connection after the response, unread body and all */
} scout_request;

/* Milliseconds on the monotonic clock. */
int64_t scout_now_ms(void);

/* The request made progress on its body: it has body_timeout_ms more for
 * its next bytes. */
void scout_request_progress(scout_request *r);

/* Handles the IPP request in r->request (document data, if any, still
 * unread on r->http) and fills r->response. */
void scout_ipp_dispatch(scout_request *r);

/* Lists `attr` in the response's unsupported-attributes group (once). */
void scout_ipp_unsupported(scout_request *r, ipp_attribute_t *attr);
/* Lists `name` there (once) with the out-of-band value "unsupported",
 * for an attribute whose values must not be echoed. */
void scout_ipp_unsupported_name(scout_request *r, const char *name);

/* The job-password (PWG 5100.11) of a job creation request, hashed into
 * job->pin_hash, and job-release-action. False (response set) if the
 * request must be refused: a PIN this queue cannot keep is never dropped. */
bool scout_ipp_job_password(scout_request *r, scout_job *job);

/* A Send-Document carrying job-password (or its companions): refused
 * (false, response set) for a job created without a PIN, since the job
 * would otherwise wait without the protection asked for; listed as
 * ignored for a job that has one (its PIN stands). PWG 5100.11 makes them
 * job creation attributes only. */
bool scout_ipp_job_password_late(scout_request *r, const scout_job *job);

/* Sets the response status with a message (printf-style). */
void scout_ipp_status(scout_request *r, ipp_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Serves one HTTP request from `http` as a connection does; false when the
 * connection should close. For tests/fuzz/fuzz_ipp.c. */
bool scout_queue_serve_one(scout_queue *q, http_t *http, const scout_peer *peer);

#endif
