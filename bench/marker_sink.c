/*
 * marker_sink: the benchmarks' TCP printer. See marker_sink.h.
 */
#include "marker_sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"

typedef struct sink_conn {
  int fd;
  double first; /* monotonic time of the first byte; 0 while none */
  char head[MARKER_HEAD_MAX];
  size_t head_len;
  int index; /* job index from the marker; -1 while unknown */
  size_t bytes;
  char *data; /* every byte so far, when the sink keeps data */
  size_t data_cap;
  int data_lost; /* out of memory while keeping them */
} sink_conn;

struct marker_sink {
  int listen_fd, port;
  int wake[2]; /* written to stop the thread */
  pthread_t thread;
  int running, keep_data;
  pthread_mutex_t mu;
  pthread_cond_t cv; /* signalled whenever a connection ends, and by marker_sink_wake */
  /* under mu: */
  int jobs, done, stray, connections;
  double *first, *complete;
  size_t *bytes;
  char **data;
  char problem[160]; /* first odd thing seen, for the error message */
};

size_t marker_line(int index, char *buf, size_t size) {
  int n = snprintf(buf, size, "%s%d\n", MARKER_PREFIX, index);
  if (n < 0)
    return 0;
  return size == 0 ? 0 : ((size_t)n < size ? (size_t)n : size - 1);
}

int bench_listen_loopback(int port, int *bound) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  /* a fixed port may still have connections of an earlier run in TIME_WAIT */
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 128) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  *bound = ntohs(sa.sin_port);
  return fd;
}

static struct timespec timespec_of(double t) {
  struct timespec ts = {(time_t)t, (long)((t - floor(t)) * 1e9)};
  return ts;
}

static void sink_note(marker_sink *s, const char *what) {
  if (!s->problem[0])
    snprintf(s->problem, sizeof s->problem, "%s", what);
}

/* A connection has ended: file its times (and bytes) under its job's index. */
static void sink_finish(marker_sink *s, sink_conn *c, double t) {
  pthread_mutex_lock(&s->mu);
  if (c->index < 0 || c->index >= s->jobs) {
    s->stray++;
    char what[160];
    snprintf(what, sizeof what, "a connection without a job marker (%zu bytes, starting \"%.24s\")",
             c->bytes, c->head_len ? c->head : "");
    sink_note(s, what);
  } else if (s->complete[c->index] > 0) {
    s->stray++;
    sink_note(s, "a job printed twice");
  } else if (c->data_lost) {
    s->stray++;
    sink_note(s, "no memory to keep a job's bytes");
  } else {
    s->first[c->index] = c->first;
    s->complete[c->index] = t;
    s->bytes[c->index] = c->bytes;
    if (s->keep_data) {
      s->data[c->index] = c->data; /* the sink owns it from here */
      c->data = NULL;
    }
    s->done++;
  }
  pthread_cond_broadcast(&s->cv); /* a stray ends the waits too */
  pthread_mutex_unlock(&s->mu);
  free(c->data);
  c->data = NULL;
}

/* Reads the marker once its line is complete: at the start of the document
 * or at the start of one of its first lines (a PostScript file keeps its
 * "%!PS" line first). */
static void sink_parse_marker(sink_conn *c) {
  size_t plen = strlen(MARKER_PREFIX);
  for (size_t at = 0; at < c->head_len;) {
    const char *line = c->head + at;
    const char *nl = memchr(line, '\n', c->head_len - at);
    if (c->head_len - at >= plen && memcmp(line, MARKER_PREFIX, plen) == 0) {
      if (!nl)
        return; /* wait for the rest of the line */
      char *end;
      long n = strtol(line + plen, &end, 10);
      if (end == nl && n >= 0 && n < 1000000000)
        c->index = (int)n;
      return;
    }
    if (!nl)
      return;
    at = (size_t)(nl - c->head) + 1;
  }
}

/* Appends what arrived to the connection's copy of the document. */
static void sink_keep(sink_conn *c, const char *buf, size_t len) {
  if (c->data_lost)
    return;
  if (c->bytes + len > c->data_cap) {
    size_t cap = c->data_cap ? c->data_cap : 8192;
    while (cap < c->bytes + len)
      cap *= 2;
    char *more = realloc(c->data, cap);
    if (!more) {
      c->data_lost = 1;
      return;
    }
    c->data = more;
    c->data_cap = cap;
  }
  memcpy(c->data + c->bytes, buf, len);
}

static void *sink_main(void *arg) {
  marker_sink *s = arg;
  sink_conn *conns = NULL;
  size_t n = 0, cap = 0;
  struct pollfd *pfd = NULL;
  size_t buf_size = 65536;
  char *buf = malloc(buf_size);
  while (buf) {
    struct pollfd *grown = realloc(pfd, (n + 2) * sizeof *pfd);
    if (!grown)
      break;
    pfd = grown;
    pfd[0] = (struct pollfd){.fd = s->wake[0], .events = POLLIN};
    pfd[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (size_t i = 0; i < n; i++)
      pfd[i + 2] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    if (poll(pfd, n + 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    double t = bench_now_s(); /* one clock read per wake-up: all fds were ready by now */
    if (pfd[0].revents)
      break;
    /* connections first (their indices match pfd), accepts after */
    for (size_t i = n; i-- > 0;) {
      if (!pfd[i + 2].revents)
        continue;
      sink_conn *c = &conns[i];
      ssize_t got = read(c->fd, buf, buf_size);
      if (got < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (got > 0) {
        if (c->first == 0)
          c->first = t;
        if (s->keep_data)
          sink_keep(c, buf, (size_t)got);
        c->bytes += (size_t)got;
        if (c->index < 0 && c->head_len < sizeof c->head) {
          size_t take = sizeof c->head - c->head_len;
          take = (size_t)got < take ? (size_t)got : take;
          memcpy(c->head + c->head_len, buf, take);
          c->head_len += take;
          sink_parse_marker(c);
        }
        continue;
      }
      /* EOF (or a reset): the sender has sent the whole document; closing
       * our side tells it the printer has read everything */
      close(c->fd);
      sink_finish(s, c, t);
      conns[i] = conns[--n];
    }
    if (pfd[1].revents) {
      int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        if (n == cap) {
          size_t ncap = cap ? cap * 2 : 16;
          sink_conn *more = realloc(conns, ncap * sizeof *more);
          if (!more) {
            close(fd);
            continue;
          }
          conns = more;
          cap = ncap;
        }
        conns[n++] = (sink_conn){.fd = fd, .index = -1};
        pthread_mutex_lock(&s->mu);
        s->connections++;
        pthread_mutex_unlock(&s->mu);
      }
    }
  }
  for (size_t i = 0; i < n; i++) {
    close(conns[i].fd);
    free(conns[i].data);
  }
  free(conns);
  free(pfd);
  free(buf);
  return NULL;
}

marker_sink *marker_sink_start(int port, int jobs, bool keep_data) {
  if (jobs < 1) {
    errno = EINVAL;
    return NULL;
  }
  marker_sink *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->listen_fd = s->wake[0] = s->wake[1] = -1;
  s->jobs = jobs;
  s->keep_data = keep_data;
  s->first = calloc((size_t)jobs, sizeof *s->first);
  s->complete = calloc((size_t)jobs, sizeof *s->complete);
  s->bytes = calloc((size_t)jobs, sizeof *s->bytes);
  s->data = calloc((size_t)jobs, sizeof *s->data);
  pthread_mutex_init(&s->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* timeouts on the bench's clock */
  pthread_cond_init(&s->cv, &ca);
  pthread_condattr_destroy(&ca);
  int rc = -1;
  if (s->first && s->complete && s->bytes && s->data && pipe2(s->wake, O_CLOEXEC) == 0 &&
      (s->listen_fd = bench_listen_loopback(port, &s->port)) >= 0)
    rc = pthread_create(&s->thread, NULL, sink_main, s);
  if (rc != 0) {
    int saved = rc > 0 ? rc : errno ? errno : ENOMEM;
    marker_sink_stop(s);
    errno = saved;
    return NULL;
  }
  s->running = 1;
  return s;
}

void marker_sink_stop(marker_sink *s) {
  if (!s)
    return;
  if (s->running) {
    ssize_t w = write(s->wake[1], "x", 1);
    (void)w;
    pthread_join(s->thread, NULL);
  }
  if (s->listen_fd >= 0)
    close(s->listen_fd);
  if (s->wake[0] >= 0)
    close(s->wake[0]), close(s->wake[1]);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  for (int i = 0; s->data && i < s->jobs; i++)
    free(s->data[i]);
  free(s->data);
  free(s->first);
  free(s->complete);
  free(s->bytes);
  free(s);
}

int marker_sink_port(const marker_sink *s) { return s->port; }

int marker_sink_connections(marker_sink *s) {
  pthread_mutex_lock(&s->mu);
  int n = s->connections;
  pthread_mutex_unlock(&s->mu);
  return n;
}

int marker_sink_wait_all(marker_sink *s, double deadline_s, int *done, char *problem, size_t size) {
  struct timespec ts = timespec_of(deadline_s);
  pthread_mutex_lock(&s->mu);
  while (s->done < s->jobs && !s->stray)
    if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
      break;
  int all = s->done == s->jobs && !s->stray;
  *done = s->done;
  if (problem && size > 0)
    snprintf(problem, size, "%s", s->stray ? s->problem : "");
  pthread_mutex_unlock(&s->mu);
  return all ? 0 : -1;
}

int marker_sink_wait_job(marker_sink *s, int index, double deadline_s, const atomic_int *give_up) {
  if (index < 0 || index >= s->jobs)
    return -1;
  struct timespec ts = timespec_of(deadline_s);
  pthread_mutex_lock(&s->mu);
  while (!(s->complete[index] > 0) && !s->stray && !(give_up && atomic_load(give_up)))
    if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) == ETIMEDOUT)
      break;
  int rc = s->complete[index] > 0 ? 1 : s->stray ? -1 : 0;
  pthread_mutex_unlock(&s->mu);
  return rc;
}

void marker_sink_wake(marker_sink *s) {
  pthread_mutex_lock(&s->mu);
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

bool marker_sink_job_get(marker_sink *s, int index, marker_sink_job *out) {
  if (index < 0 || index >= s->jobs)
    return false;
  pthread_mutex_lock(&s->mu);
  bool complete = s->complete[index] > 0;
  if (complete)
    *out = (marker_sink_job){.first_s = s->first[index],
                             .complete_s = s->complete[index],
                             .bytes = s->bytes[index],
                             .data = s->data[index]};
  pthread_mutex_unlock(&s->mu);
  return complete;
}
