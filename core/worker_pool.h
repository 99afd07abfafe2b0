/*
 * A bounded pool of worker threads for blocking work (plugin operations:
 * directory binds, SMTP, OpenID providers, printers), with each result
 * delivered back on a libev loop's thread through an ev_async.
 *
 * The event loop never blocks: a handler submits the blocking part as
 * `work` (run on a worker thread) and finishes in `done` (run on the loop's
 * thread, after `work` returned), typically with sr_http_finish().
 *
 * Ownership: `arg` belongs to the caller throughout; the pool only passes
 * it on. `work` may use it alone (the loop does not touch it until `done`);
 * `done` is the last call the pool makes with it and usually frees it.
 * `work` must not touch the loop or anything the loop's thread uses without
 * a lock of its own; `done` may.
 */
#ifndef SR_CORE_WORKER_POOL_H
#define SR_CORE_WORKER_POOL_H

#include <ev.h>
#include <stddef.h>

typedef struct sr_worker_pool sr_worker_pool;

typedef void (*sr_work_fn)(void *arg); /* on a worker thread; may block */
typedef void (*sr_done_fn)(void *arg); /* on the loop's thread, after work */

/* Starts `threads` workers (1..64) that take at most `max_queued` waiting
 * items (beyond those running). Results are delivered on `loop`, which must
 * be run by the thread that submits. The caller owns the pool (free with
 * sr_worker_pool_free). NULL when threads cannot be started. */
sr_worker_pool *sr_worker_pool_new(struct ev_loop *loop, size_t threads, size_t max_queued);

/* Queues `work(arg)`, then `done(arg)` on the loop. Call on the loop's
 * thread. SR_OK, or SR_ERR_NOMEM when the queue is full (or memory is
 * short, or sr_worker_pool_free has begun): then neither runs and the caller still owns `arg`
 * (answer "busy"). While work is in flight the pool keeps the loop running (ev_ref). */
int sr_worker_pool_submit(sr_worker_pool *pool, sr_work_fn work, sr_done_fn done, void *arg);

/* Items submitted whose `done` has not run yet (queued, running, or
 * finished and waiting for the loop). For tests and logs. */
size_t sr_worker_pool_pending(const sr_worker_pool *pool);

/* Waits for the work already queued and running to finish, calls their
 * `done` on this thread (the loop's, which must be the caller), stops the
 * workers and frees the pool. Free it before what the `done` callbacks use
 * (an HTTP server, a cloud client). NULL is fine. It can block as long as
 * the slowest item: bound your work with timeouts. */
void sr_worker_pool_free(sr_worker_pool *pool);

#endif
