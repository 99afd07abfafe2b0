/*
 * Delivery: one document to one printer through an ordered chain of
 * transport instances (by default ipps -> ipp -> raw).
 *
 * Each transport is tried with the printer's first URI whose scheme it
 * claims. The next transport is tried only when open() or send() returned
 * SR_ERR_CONNECT, which transports return only while the printer has
 * accepted no byte; any other failure ends the delivery, so nothing is
 * ever printed twice. SR_ERR_BUSY (the printer refuses for now, keeping
 * nothing) ends the delivery too, without fallback: the caller tries the
 * same printer again later. After a successful send the printer's job is
 * followed until it completes, fails or the wait times out.
 */
#ifndef SR_CORE_DELIVERY_H
#define SR_CORE_DELIVERY_H

#include "instance.h"
#include "sr/transport.h"

/* Where the document comes from. `rewind` restarts it from the first byte
 * (a job file is decrypted again); it is called before a transport that
 * follows one which already read from it. */
typedef struct sr_delivery_source {
  sr_read_fn read;
  int (*rewind)(void *ctx);
  void *ctx;
} sr_delivery_source;

typedef struct sr_delivery_options {
  int job_timeout_ms;   /* how long to follow the printer's job; 0: 120 s */
  int poll_interval_ms; /* between job-state queries; 0: 50 ms */
} sr_delivery_options;

typedef struct sr_delivery_result {
  int status;         /* SR_OK when the printer completed the job */
  int state;          /* sr_print_job_state last seen */
  char transport[72]; /* instance that delivered (or failed last) */
  char uri[512];      /* the URI it used */
  char reason[1024];  /* why it failed: every transport tried, in order */
} sr_delivery_result;

/* Delivers `source` with `attrs` to the printer reachable at `uris`.
 * Blocking: call it off the event loop. Fills *result and returns its
 * status: SR_OK (completed, or delivered when the transport cannot report
 * job state, as RAW), SR_ERR_CONNECT (no transport could reach the printer:
 * nothing was printed), SR_ERR_BUSY (the printer is busy: nothing was
 * printed, try again later), SR_ERR_TIMEOUT (sent, but the job did not finish in
 * time), or the transport's error. */
int sr_deliver(sr_instance *const *transports, size_t n_transports, const char *const *uris,
               size_t n_uris, const sr_job_attrs *attrs, const sr_delivery_source *source,
               const sr_delivery_options *options, sr_delivery_result *result);

#endif
