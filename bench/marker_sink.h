/*
 * A port-9100-style TCP sink on 127.0.0.1 for the release benchmarks: one
 * connection per job, each document carrying a marker line
 * "%%SR-BENCH-JOB <n>\n" (at its start or as one of its first lines) that
 * tells the sink which job it is. Per job it records the time of the first
 * byte, the time the sender closed its side (the whole document is in), the
 * byte count and, when asked, the bytes themselves.
 */
#ifndef SR_BENCH_MARKER_SINK_H
#define SR_BENCH_MARKER_SINK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define MARKER_PREFIX "%%SR-BENCH-JOB "
#define MARKER_HEAD_MAX 128 /* a marker line must end within a document's first bytes */

typedef struct marker_sink marker_sink;

/* What the sink knows of one job once its connection has ended. */
typedef struct marker_sink_job {
  double first_s;    /* bench_now_s() when its first byte arrived */
  double complete_s; /* bench_now_s() when the sender closed its side */
  size_t bytes;      /* bytes received */
  const char *data;  /* those bytes when kept (see marker_sink_start), else NULL */
} marker_sink_job;

/* Writes job `index`'s marker line "%%SR-BENCH-JOB <index>\n" into buf
 * (NUL-terminated, truncated to size); returns its length without the NUL. */
size_t marker_line(int index, char *buf, size_t size);

/* A listening TCP socket on 127.0.0.1:`port` (0: an ephemeral port),
 * close-on-exec; its port in *bound. Returns the descriptor, which the
 * caller owns, or -1 with errno set. */
int bench_listen_loopback(int port, int *bound);

/* Listens on 127.0.0.1:`port` (0: any free port) and serves connections on
 * its own thread for jobs 0..jobs-1; with keep_data it keeps every job's
 * bytes (for byte-for-byte checks). Returns the sink, which the caller owns
 * and ends with marker_sink_stop, or NULL with errno set. The caller should
 * ignore SIGPIPE. */
marker_sink *marker_sink_start(int port, int jobs, bool keep_data);

/* Stops the thread, closes every socket and frees the sink and all the
 * data it handed out. NULL is fine. */
void marker_sink_stop(marker_sink *s);

/* The port listened on. */
int marker_sink_port(const marker_sink *s);

/* Connections accepted so far (also those still open). */
int marker_sink_connections(marker_sink *s);

/* Waits until every job has completed, something odd arrived (a connection
 * without a marker, a job twice) or `deadline_s` (bench_now_s() time)
 * passes. Returns 0 when all completed, else -1 with the number completed
 * in *done and, if odd, the first problem seen in `problem` (always
 * NUL-terminated when size > 0; "" on a plain timeout). */
int marker_sink_wait_all(marker_sink *s, double deadline_s, int *done, char *problem, size_t size);

/* Waits until job `index` has completed: returns 1. Returns 0 when
 * *give_up became non-zero (see marker_sink_wake) or `deadline_s` passed,
 * -1 when something odd arrived (marker_sink_wait_all says what). give_up
 * may be NULL; it stays the caller's. */
int marker_sink_wait_job(marker_sink *s, int index, double deadline_s, const atomic_int *give_up);

/* Wakes every waiter so it looks at its give_up flag again. */
void marker_sink_wake(marker_sink *s);

/* Fills *out for job `index` and returns true once its connection has
 * ended; false while not (or for an index out of range). out->data belongs
 * to the sink and lives until marker_sink_stop. */
bool marker_sink_job_get(marker_sink *s, int index, marker_sink_job *out);

#endif
