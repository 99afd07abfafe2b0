/* The queue's listener and HTTP connections (libcups server side). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipp_attributes.h"
#include "ipp_queue_private.h"
#include "log.h"
#include "sr/abi.h"

#define IDLE_TIMEOUT_MS 30000

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
  if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
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
      listen(fd, 64) != 0) {
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

static bool respond_ipp(scout_request *r) {
  http_t *http = r->http;
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

/* Handles one HTTP request; false when the connection should close. */
static bool serve_request(scout_queue *q, http_t *http, const scout_peer *peer) {
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
  scout_request r = {.queue = q, .http = http, .peer = peer, .request = ippNew()};
  httpGetHostname(http, r.hostname, sizeof r.hostname);
  ipp_state_t ipp_state;
  while ((ipp_state = ippRead(http, r.request)) != IPP_STATE_DATA) {
    if (ipp_state == IPP_STATE_ERROR) {
      ippDelete(r.request);
      respond_text(http, HTTP_STATUS_BAD_REQUEST, "malformed IPP request\n");
      return false;
    }
  }
  r.response = ippNewResponse(r.request);
  scout_ipp_dispatch(&r);
  bool ok = respond_ipp(&r);
  ippDelete(r.request);
  ippDelete(r.response);
  return ok && httpGetKeepAlive(http) != HTTP_KEEPALIVE_OFF;
}

typedef struct connection {
  scout_queue *queue;
  http_t *http;
  scout_peer peer; /* who connected, as the OS says: asked once */
} connection;

static void *connection_thread(void *arg) {
  connection *c = arg;
  scout_queue *q = c->queue;
  scout_peer_identify(httpGetFd(c->http), q->options.trusted_spoolers, &c->peer);
  /* short waits so that a stopping queue is noticed within a second */
  for (int idle_ms = 0; !q->stopping && idle_ms < IDLE_TIMEOUT_MS;) {
    if (!httpWait(c->http, 1000)) {
      idle_ms += 1000;
      continue;
    }
    idle_ms = 0;
    if (!serve_request(q, c->http, &c->peer))
      break;
  }
  httpClose(c->http);
  free(c);
  pthread_mutex_lock(&q->lock);
  q->connections--;
  pthread_cond_broadcast(&q->idle);
  pthread_mutex_unlock(&q->lock);
  return NULL;
}

static void *listener_thread(void *arg) {
  scout_queue *q = arg;
  /* poll() skips the Unix listener's entry while it is -1 (none) */
  struct pollfd fds[3] = {{.fd = q->stop_pipe[0], .events = POLLIN},
                          {.fd = q->listen_fd, .events = POLLIN},
                          {.fd = q->unix_fd, .events = POLLIN}};
  while (!q->stopping) {
    if (poll(fds, 3, -1) < 0 && errno != EINTR)
      break;
    if (fds[0].revents)
      break;
    int ready = fds[1].revents & POLLIN ? q->listen_fd : fds[2].revents & POLLIN ? q->unix_fd : -1;
    if (ready < 0)
      continue;
    http_t *http = httpAcceptConnection(ready, 1);
    if (!http)
      continue;
    connection *c = malloc(sizeof *c);
    pthread_t thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&q->lock);
    q->connections++;
    pthread_mutex_unlock(&q->lock);
    if (c) {
      c->queue = q;
      c->http = http;
    }
    if (!c || pthread_create(&thread, &attr, connection_thread, c) != 0) {
      sr_log(SR_LOG_ERROR, "queue", "cannot serve a connection: out of resources");
      httpClose(http);
      free(c);
      pthread_mutex_lock(&q->lock);
      q->connections--;
      pthread_mutex_unlock(&q->lock);
    }
    pthread_attr_destroy(&attr);
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
  q->attributes = scout_printer_attributes(q->uri, q->name, uuid, more_info);
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->idle, NULL);
  if (pthread_create(&q->listener, NULL, listener_thread, q) != 0) {
    snprintf(err, err_size, "cannot start the queue's listener thread");
    close_listeners(q);
    close(q->stop_pipe[0]);
    close(q->stop_pipe[1]);
    ippDelete(q->attributes);
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
  /* connections notice `stopping` within one httpWait() */
  pthread_mutex_lock(&q->lock);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  while (q->connections > 0)
    if (pthread_cond_timedwait(&q->idle, &q->lock, &deadline) != 0)
      break;
  int left = q->connections;
  pthread_mutex_unlock(&q->lock);
  if (left) {
    /* a thread still blocked on a client: leave q to it rather than free it
     * under its feet */
    sr_log(SR_LOG_WARN, "queue", "%d connection(s) still open at shutdown", left);
    return;
  }
  close(q->stop_pipe[0]);
  close(q->stop_pipe[1]);
  ippDelete(q->attributes);
  pthread_mutex_destroy(&q->lock);
  pthread_cond_destroy(&q->idle);
  free(q);
}

/* The fuzzing harness's way in (tests/fuzz/fuzz_ipp.c): one HTTP request,
 * served exactly as a connection thread serves it. */
bool scout_queue_serve_one(scout_queue *q, http_t *http, const scout_peer *peer) {
  return serve_request(q, http, peer);
}
