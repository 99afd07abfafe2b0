/* The queue's listener and HTTP connections (libcups server side). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipp_attributes.h"
#include "ipp_intake.h"
#include "ipp_queue_private.h"
#include "log.h"
#include "sr/abi.h"

/* How often a blocked read looks at its deadline and at `stopping`. */
#define TIMEOUT_CHECK_S 0.25
/* Largest request header block (request line and fields). */
#define MAX_HEADER_BYTES 16384
/* While a header has come in part, how long to nap before looking again
 * (the bytes are only peeked, so poll() would not wait for more). */
#define PARTIAL_HEADER_NAP_MS 20

int64_t scout_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void scout_request_progress(scout_request *r) {
  if (r->deadline_ms)
    *r->deadline_ms = scout_now_ms() + r->queue->options.body_timeout_ms;
}

/* Listeners take the system's largest backlog: a flood of connections then
 * waits in the kernel to be answered 503 at once (accept_connection) rather
 * than having its SYNs dropped and retried for many seconds. */
static int listen_on(const char *address, int port, int *bound_port, char *err, size_t size) {
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *ai = NULL;
  int gai = getaddrinfo(address, service, &hints, &ai);
  if (gai != 0) {
    snprintf(err, size, "cannot resolve %s: %s", address, gai_strerror(gai));
    return -1;
  }
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  int one = 1;
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
    snprintf(err, size, "cannot listen on %s:%d: %s", address, port, strerror(errno));
    if (fd >= 0)
      close(fd);
    freeaddrinfo(ai);
    return -1;
  }
  freeaddrinfo(ai);
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  getsockname(fd, (struct sockaddr *)&sa, &len);
  *bound_port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                               : ((struct sockaddr_in *)&sa)->sin_port);
  return fd;
}

/* The optional Unix-domain listener: local clients only, whose account the
 * kernel gives with SO_PEERCRED. Every account may connect (mode 0666): the
 * queue tells them apart itself. */
static int listen_unix(const char *path, char *err, size_t size) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path) {
    snprintf(err, size, "the socket path %s is too long", path);
    return -1;
  }
  memcpy(sa.sun_path, path, strlen(path) + 1);
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
    unlink(path); /* left by an earlier run; anything else there is not ours to remove */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(path, 0666) != 0 ||
      listen(fd, SOMAXCONN) != 0) {
    snprintf(err, size, "cannot listen on %s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

/* Sends a small text response. */
static bool respond_text(http_t *http, http_status_t code, const char *body) {
  httpClearFields(http);
  httpSetField(http, HTTP_FIELD_CONTENT_TYPE, "text/plain; charset=utf-8");
  httpSetLength(http, strlen(body));
  if (httpWriteResponse(http, code) < 0)
    return false;
  return httpWrite2(http, body, strlen(body)) >= 0 || !*body;
}

typedef struct memory_out {
  unsigned char *data;
  size_t len, cap;
} memory_out;

static ssize_t write_memory(void *ctx, ipp_uchar_t *buf, size_t len) {
  memory_out *m = ctx;
  if (m->len + len > m->cap)
    return -1;
  memcpy(m->data + m->len, buf, len);
  m->len += len;
  return (ssize_t)len;
}

/* Sends the response straight on the socket and closes: after a cut-off or
 * timed-out body libcups keeps the read error and will not write through
 * its own calls, yet the client (if still there) should learn why. */
static bool respond_ipp_and_close(scout_request *r) {
  size_t length = ippLength(r->response);
  memory_out m = {.data = malloc(length + 256), .cap = length + 256};
  if (!m.data)
    return false;
  m.len = (size_t)snprintf((char *)m.data, m.cap,
                           "HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                           length);
  ippSetState(r->response, IPP_STATE_IDLE);
  bool ok = ippWriteIO(&m, write_memory, 1, NULL, r->response) == IPP_STATE_DATA &&
            send(httpGetFd(r->http), m.data, m.len, MSG_NOSIGNAL) == (ssize_t)m.len;
  free(m.data);
  shutdown(httpGetFd(r->http), SHUT_WR);
  return ok;
}

static bool respond_ipp(scout_request *r) {
  http_t *http = r->http;
  if (r->close_after)
    return respond_ipp_and_close(r);
  if (httpGetState(http) == HTTP_STATE_POST_RECV)
    httpFlush(http); /* document data the operation did not read */
  httpClearFields(http);
  httpSetField(http, HTTP_FIELD_CONTENT_TYPE, "application/ipp");
  httpSetLength(http, ippLength(r->response));
  if (httpWriteResponse(http, HTTP_STATUS_OK) < 0)
    return false;
  ippSetState(r->response, IPP_STATE_IDLE);
  return ippWrite(http, r->response) == IPP_STATE_DATA;
}

/* True if the client has closed its side (nothing more to read, and EOF). */
static bool client_gone(http_t *http) {
  char byte;
  return httpGetReady(http) == 0 && recv(httpGetFd(http), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Handles one HTTP request whose headers have all arrived; false when the
 * connection should close. */
static bool serve_request(scout_queue *q, http_t *http, const scout_peer *peer,
                          int64_t *deadline_ms) {
  char uri[1024];
  http_state_t state;
  while ((state = httpReadRequest(http, uri, sizeof uri)) == HTTP_STATE_WAITING)
    usleep(1000);
  if (state == HTTP_STATE_ERROR)
    return false; /* closed, or garbage */
  if (state == HTTP_STATE_UNKNOWN_METHOD || state == HTTP_STATE_UNKNOWN_VERSION) {
    respond_text(http, HTTP_STATUS_BAD_REQUEST, "bad request\n");
    return false;
  }
  http_status_t status;
  while ((status = httpUpdate(http)) == HTTP_STATUS_CONTINUE)
    ;
  if (status != HTTP_STATUS_OK) {
    respond_text(http, HTTP_STATUS_BAD_REQUEST, "bad request\n");
    return false;
  }
  if (!httpGetField(http, HTTP_FIELD_HOST)[0] && httpGetVersion(http) >= HTTP_VERSION_1_1) {
    respond_text(http, HTTP_STATUS_BAD_REQUEST, "missing Host\n");
    return false;
  }
  if (httpGetExpect(http) && (state == HTTP_STATE_POST || state == HTTP_STATE_PUT)) {
    if (httpGetExpect(http) != HTTP_STATUS_CONTINUE) {
      respond_text(http, HTTP_STATUS_EXPECTATION_FAILED, "");
      return false;
    }
    if (httpWriteResponse(http, HTTP_STATUS_CONTINUE) < 0)
      return false;
  }
  switch (state) {
  case HTTP_STATE_GET:
  case HTTP_STATE_HEAD: {
    char body[512];
    snprintf(body, sizeof body,
             "securerelease print queue\nAdd it to your system as %s\n"
             "Jobs printed here are held until you release them at a printer.\n",
             q->uri);
    return respond_text(http, strcmp(uri, "/") == 0 ? HTTP_STATUS_OK : HTTP_STATUS_NOT_FOUND,
                        state == HTTP_STATE_HEAD ? "" : body);
  }
  case HTTP_STATE_POST: break;
  default: respond_text(http, HTTP_STATUS_BAD_REQUEST, "unsupported method\n"); return false;
  }
  if (strcmp(httpGetField(http, HTTP_FIELD_CONTENT_TYPE), "application/ipp") != 0) {
    respond_text(http, HTTP_STATUS_BAD_REQUEST, "expected application/ipp\n");
    return false;
  }
  scout_request r = {.queue = q, .http = http, .peer = peer, .deadline_ms = deadline_ms};
  httpGetHostname(http, r.hostname, sizeof r.hostname);
  /* the IPP header has body_timeout_ms in all (it is small); a document then
   * gets that long for each of its pieces (scout_request_progress) */
  *deadline_ms = scout_now_ms() + q->options.body_timeout_ms;
  scout_intake in;
  scout_intake_status got = scout_intake_read(http, &in);
  r.request = got == SCOUT_INTAKE_OK ? scout_intake_parse(&in) : NULL;
  r.intake = &in;
  if (!r.request) {
    if (got == SCOUT_INTAKE_TOO_LARGE)
      respond_text(http, HTTP_STATUS_REQUEST_TOO_LARGE, "IPP request too large\n");
    else if (httpGetState(http) != HTTP_STATE_ERROR)
      respond_text(http, HTTP_STATUS_BAD_REQUEST, "malformed IPP request\n");
    scout_intake_free(&in);
    return false;
  }
  if (in.dropped)
    sr_log(SR_LOG_DEBUG, "queue", "%zu repeated IPP values or attributes left out", in.dropped);
  r.response = ippNewResponse(r.request);
  if (in.over_cap[0]) {
    scout_ipp_status(&r, IPP_STATUS_ERROR_REQUEST_VALUE, "The request has %s.", in.over_cap);
    r.close_after = httpGetState(http) == HTTP_STATE_POST_RECV;
  } else if (httpGetState(http) != HTTP_STATE_POST_RECV && client_gone(http)) {
    /* the whole request is here and nobody waits for the answer */
    scout_intake_free(&in);
    ippDelete(r.request);
    ippDelete(r.response);
    return false;
  } else {
    scout_ipp_dispatch(&r);
  }
  scout_intake_free(&in);
  bool ok = respond_ipp(&r);
  ippDelete(r.request);
  ippDelete(r.response);
  return ok && !r.close_after && httpGetKeepAlive(http) != HTTP_KEEPALIVE_OFF;
}

/* One slot of the queue's bounded set of connections. The listener fills a
 * free slot and starts its thread; the thread marks it done when it ends and
 * the listener (or scout_queue_stop) joins it, so that no thread outlives the
 * queue whose plugins and attributes it uses. */
typedef struct scout_connection {
  scout_queue *queue;
  http_t *http;
  scout_peer peer; /* who connected, as the OS says: asked once */
  pthread_t thread;
  bool used; /* started and not yet joined */
  /* its thread has ended: join it. Atomic: the connection's thread sets it
   * and the listener reads it, under no common lock (volatile orders
   * nothing; ThreadSanitizer reported the race, issue 9). */
  atomic_bool done;
  int64_t deadline_ms; /* a read blocked past it fails (scout_now_ms) */
  /* counted in its account's share of the slots (account_may_connect);
   * written under q->lock, with `peer` before it */
  bool in_share;
} scout_connection;

/* libcups calls this when a read has waited TIMEOUT_CHECK_S: keep waiting
 * (1) until the connection's deadline or a stop. */
static int keep_waiting(http_t *http, void *data) {
  (void)http;
  scout_connection *c = data;
  return !c->queue->stopping && scout_now_ms() < c->deadline_ms;
}

/* Waits until a whole request header block has arrived, without reading it
 * (libcups then parses it without blocking): a client that sends its
 * headers a byte at a time cannot hold a thread past header_timeout_ms.
 * False if the client closed, was too slow, sent too much, or we stop. */
static bool headers_arrived(scout_connection *c) {
  int fd = httpGetFd(c->http);
  if (httpGetReady(c->http))
    return true; /* libcups already holds the next request (pipelined) */
  char buf[MAX_HEADER_BYTES];
  for (;;) {
    int64_t left = c->deadline_ms - scout_now_ms();
    if (c->queue->stopping || left <= 0)
      return false;
    ssize_t n = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
      return false;
    if (n > 0 && (memmem(buf, (size_t)n, "\r\n\r\n", 4) || memmem(buf, (size_t)n, "\n\n", 2)))
      return true;
    if (n == (ssize_t)sizeof buf) {
      respond_text(c->http, HTTP_STATUS_REQUEST_TOO_LARGE, "request headers too large\n");
      return false;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int wait = (int)(left < 1000 ? left : 1000); /* notice a stop within a second */
    if (n > 0)
      poll(NULL, 0, wait < PARTIAL_HEADER_NAP_MS ? wait : PARTIAL_HEADER_NAP_MS);
    else
      poll(&p, 1, wait);
  }
}

/* Answers 503 on `http` and closes it, without waiting on the client. */
static void answer_busy(http_t *http) {
  static const char answer[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Retry-After: 2\r\n"
                               "Connection: close\r\n"
                               "Content-Length: 42\r\n\r\n"
                               "busy: too many connections, retry shortly\n";
  int fd = httpGetFd(http);
  char drain[4096]; /* what the client sent already, so close() sends no reset */
  while (recv(fd, drain, sizeof drain, MSG_DONTWAIT) > 0)
    ;
  if (send(fd, answer, sizeof answer - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    /* its buffer is full or it has gone: closing is all that is left */
  }
  shutdown(fd, SHUT_WR);
  httpClose(http);
}

/* Answers a connection over the cap with 503 and closes it, from the
 * listener's thread: no thread, no waiting on the client. */
static void refuse_busy(scout_queue *q, http_t *http) {
  answer_busy(http);
  time_t now = time(NULL);
  if (now - q->last_busy_log >= 10) { /* a flood must not flood the log */
    q->last_busy_log = now;
    sr_log(SR_LOG_WARN, "queue", "%d connections open, the most allowed: refusing more",
           q->options.max_connections);
  }
}

/* Counts connection `c` in its account's share of the slots, or false if
 * the account already has max_connections_per_account of them (peers the
 * OS cannot name share one account). Its own thread calls this once it
 * knows the peer; the slot is already taken, so one account's flood can
 * take at most its share and the rest are left for the others. */
static bool account_may_connect(scout_queue *q, scout_connection *c) {
  pthread_mutex_lock(&q->lock);
  int theirs = 0;
  for (int i = 0; i < q->options.max_connections; i++) {
    const scout_connection *o = &q->slots[i];
    if (o != c && o->used && o->in_share && !atomic_load(&o->done) &&
        o->peer.known == c->peer.known && (!o->peer.known || o->peer.uid == c->peer.uid))
      theirs++;
  }
  bool ok = theirs < q->options.max_connections_per_account;
  c->in_share = ok;
  time_t now = time(NULL);
  /* nor may one account's flood flood the log, yet each account is named */
  if (!ok && (now - q->last_share_log >= 10 || q->last_share_uid != c->peer.uid)) {
    q->last_share_log = now;
    q->last_share_uid = c->peer.uid;
    sr_log(SR_LOG_WARN, "queue",
           "the account %.64s has %d connections open, its share: refusing more",
           c->peer.known ? c->peer.account : "(unknown)", theirs);
  }
  pthread_mutex_unlock(&q->lock);
  return ok;
}

static void *connection_thread(void *arg) {
  scout_connection *c = arg;
  scout_queue *q = c->queue;
  scout_peer_identify(httpGetFd(c->http), q->options.trusted_spoolers, &c->peer);
  if (!account_may_connect(q, c)) {
    answer_busy(c->http);
    c->http = NULL;
    atomic_store(&c->done, true);
    return NULL;
  }
  httpSetTimeout(c->http, TIMEOUT_CHECK_S, keep_waiting, c);
  /* each request, and the wait for it on a kept-alive connection, has
   * header_timeout_ms to arrive */
  for (;;) {
    c->deadline_ms = scout_now_ms() + q->options.header_timeout_ms;
    if (!headers_arrived(c)) {
      break;
    }
    if (!serve_request(q, c->http, &c->peer, &c->deadline_ms))
      break;
  }
  httpClose(c->http);
  c->http = NULL;
  atomic_store(&c->done, true);
  return NULL;
}

/* Joins the connections that have ended; the caller holds q->lock. */
static void reap_connections(scout_queue *q) {
  for (int i = 0; i < q->options.max_connections; i++) {
    scout_connection *c = &q->slots[i];
    if (c->used && atomic_load(&c->done)) {
      pthread_join(c->thread, NULL);
      c->used = false;
      q->connections--;
    }
  }
}

static void accept_connection(scout_queue *q, int ready) {
  http_t *http = httpAcceptConnection(ready, 1);
  if (!http)
    return;
  pthread_mutex_lock(&q->lock);
  reap_connections(q);
  scout_connection *c = NULL;
  for (int i = 0; i < q->options.max_connections && !c; i++)
    if (!q->slots[i].used)
      c = &q->slots[i];
  if (c) {
    *c = (scout_connection){.queue = q, .http = http, .used = true};
    if (pthread_create(&c->thread, NULL, connection_thread, c) == 0) {
      q->connections++;
    } else {
      sr_log(SR_LOG_ERROR, "queue", "cannot serve a connection: out of resources");
      c->used = false;
      httpClose(http);
    }
  }
  pthread_mutex_unlock(&q->lock);
  if (!c)
    refuse_busy(q, http);
}

static void *listener_thread(void *arg) {
  scout_queue *q = arg;
  /* poll() skips the Unix listener's entry while it is -1 (none) */
  struct pollfd fds[3] = {{.fd = q->stop_pipe[0], .events = POLLIN},
                          {.fd = q->listen_fd, .events = POLLIN},
                          {.fd = q->unix_fd, .events = POLLIN}};
  while (!q->stopping) {
    /* wakes each second to expire documentless jobs and join ended threads */
    int n = poll(fds, 3, 1000);
    if (n < 0 && errno != EINTR)
      break;
    if (n > 0 && fds[0].revents)
      break;
    int expired = scout_job_expire_incoming(q->jobs, time(NULL) - q->options.incoming_expiry);
    if (expired)
      sr_log(SR_LOG_INFO, "queue", "%d job(s) expired without a document", expired);
    if (n <= 0) {
      pthread_mutex_lock(&q->lock);
      reap_connections(q);
      pthread_mutex_unlock(&q->lock);
      continue;
    }
    if (fds[1].revents & POLLIN)
      accept_connection(q, q->listen_fd);
    if (q->unix_fd >= 0 && fds[2].revents & POLLIN)
      accept_connection(q, q->unix_fd);
  }
  return NULL;
}

/* Closes the listening sockets (and removes the Unix socket's file). */
static void close_listeners(scout_queue *q) {
  if (q->listen_fd >= 0)
    close(q->listen_fd);
  if (q->unix_fd >= 0) {
    close(q->unix_fd);
    unlink(q->options.socket_path);
  }
  q->listen_fd = q->unix_fd = -1;
}

int scout_queue_start(const scout_queue_options *options, const scout_queue_hooks *hooks,
                      scout_job_table *jobs, scout_queue **out, char *err, size_t err_size) {
  scout_queue *q = calloc(1, sizeof *q);
  if (!q)
    return SR_ERR_NOMEM;
  q->options = *options;
  scout_queue_options *o = &q->options;
  /* 0: the defaults of service_config.c */
  o->max_connections = o->max_connections > 0 ? o->max_connections : 64;
  o->header_timeout_ms = o->header_timeout_ms > 0 ? o->header_timeout_ms : 10000;
  o->body_timeout_ms = o->body_timeout_ms > 0 ? o->body_timeout_ms : 30000;
  o->max_upload_memory = o->max_upload_memory > 0 ? o->max_upload_memory : 512LL << 20;
  o->min_upload_rate = o->min_upload_rate > 0 ? o->min_upload_rate : 1024;
  o->upload_rate_window_ms = o->upload_rate_window_ms > 0 ? o->upload_rate_window_ms : 30000;
  /* an account's share: half unless set, and never more than the whole */
  if (o->max_connections_per_account <= 0)
    o->max_connections_per_account = o->max_connections > 1 ? o->max_connections / 2 : 1;
  if (o->max_connections_per_account > o->max_connections)
    o->max_connections_per_account = o->max_connections;
  if (o->max_upload_memory_per_account <= 0)
    o->max_upload_memory_per_account = o->max_upload_memory / 2;
  if (o->max_upload_memory_per_account > o->max_upload_memory)
    o->max_upload_memory_per_account = o->max_upload_memory;
  o->incoming_expiry = o->incoming_expiry > 0 ? o->incoming_expiry : 300;
  q->slots = calloc((size_t)o->max_connections, sizeof *q->slots);
  q->account_uploads = calloc((size_t)o->max_connections, sizeof *q->account_uploads);
  if (!q->slots || !q->account_uploads) {
    free(q->slots);
    free(q->account_uploads);
    free(q);
    return SR_ERR_NOMEM;
  }
  q->hooks = *hooks;
  q->jobs = jobs;
  q->started = time(NULL);
  q->stop_pipe[0] = q->stop_pipe[1] = -1;
  q->unix_fd = -1;
  snprintf(q->name, sizeof q->name, "%s", options->name ? options->name : "securerelease");
  q->listen_fd = listen_on(options->address, options->port, &q->port, err, err_size);
  if (q->listen_fd >= 0 && options->socket_path && options->socket_path[0])
    q->unix_fd = listen_unix(options->socket_path, err, err_size);
  if (q->listen_fd < 0 || (options->socket_path && options->socket_path[0] && q->unix_fd < 0) ||
      pipe2(q->stop_pipe, O_CLOEXEC) != 0) {
    close_listeners(q);
    free(q->slots);
    free(q->account_uploads);
    free(q);
    return SR_ERR_IO;
  }
  bool v6 = strchr(options->address, ':') != NULL;
  snprintf(q->uri, sizeof q->uri, v6 ? "ipp://[%s]:%d%s" : "ipp://%s:%d%s", options->address,
           q->port, SCOUT_QUEUE_RESOURCE);
  char uuid[64];
  httpAssembleUUID(options->address, q->port, q->name, 0, uuid, sizeof uuid);
  char more_info[256];
  snprintf(more_info, sizeof more_info, v6 ? "http://[%s]:%d/" : "http://%s:%d/", options->address,
           q->port);
  q->attributes = scout_printer_attributes(q->uri, q->name, uuid, more_info, o->pin_min_length,
                                           hooks->hash_pin ? o->pin_max_length : 0);
  pthread_mutex_init(&q->lock, NULL);
  if (pthread_create(&q->listener, NULL, listener_thread, q) != 0) {
    snprintf(err, err_size, "cannot start the queue's listener thread");
    close_listeners(q);
    close(q->stop_pipe[0]);
    close(q->stop_pipe[1]);
    ippDelete(q->attributes);
    pthread_mutex_destroy(&q->lock);
    free(q->slots);
    free(q->account_uploads);
    free(q);
    return SR_ERR_NOMEM;
  }
  sr_log(SR_LOG_INFO, "queue", "IPP queue at %s%s%s", q->uri, q->unix_fd >= 0 ? " and " : "",
         q->unix_fd >= 0 ? options->socket_path : "");
  *out = q;
  return SR_OK;
}

const char *scout_queue_uri(const scout_queue *q) { return q->uri; }
int scout_queue_port(const scout_queue *q) { return q->port; }

void scout_queue_stop(scout_queue *q) {
  if (!q)
    return;
  q->stopping = true;
  if (write(q->stop_pipe[1], "x", 1) < 0) {
    /* the listener also sees `stopping` at its next wake-up */
  }
  pthread_join(q->listener, NULL);
  close_listeners(q);
  /* every connection notices `stopping` within a second (headers_arrived,
   * keep_waiting); a store already under way finishes first */
  for (int i = 0; i < q->options.max_connections; i++)
    if (q->slots[i].used)
      pthread_join(q->slots[i].thread, NULL);
  close(q->stop_pipe[0]);
  close(q->stop_pipe[1]);
  ippDelete(q->attributes);
  pthread_mutex_destroy(&q->lock);
  free(q->slots);
  free(q->account_uploads);
  free(q);
}

/* The fuzzing harness's way in (tests/fuzz/fuzz_ipp.c): one HTTP request,
 * served exactly as a connection thread serves it. */
bool scout_queue_serve_one(scout_queue *q, http_t *http, const scout_peer *peer) {
  int64_t deadline_ms = 0; /* the harness's connection has no read timeout */
  return serve_request(q, http, peer, &deadline_ms);
}
