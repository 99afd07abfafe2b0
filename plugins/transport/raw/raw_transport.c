/*
 * The `raw` transport: the document as-is over TCP to the printer's raw
 * port (AppSocket / JetDirect, 9100), for printers without IPP.
 *
 * URIs: socket://HOST[:PORT] (the CUPS spelling) or raw://HOST[:PORT].
 * Configuration (all optional):
 *   connect_timeout_ms: 5000   # giving up on connect() -> SR_ERR_CONNECT
 *   io_timeout_ms: 30000       # a printer that stops reading -> SR_ERR_IO
 *
 * RAW has no job state: job_state() reports SR_PRINT_UNKNOWN after the
 * printer took the whole document and closed its side.
 */
#include <cups/http.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sr/plugin.h>
#include <sr/transport.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_PORT 9100

typedef struct raw_instance {
  sr_plugin *self;
  int64_t connect_timeout_ms;
  int64_t io_timeout_ms;
} raw_instance;

typedef struct raw_conn {
  raw_instance *instance;
  int fd;
  char peer[300]; /* "host:port" for messages */
  int64_t sent;
  bool done;
} raw_conn;

static const char *const known_keys[] = {"connect_timeout_ms", "io_timeout_ms", NULL};

static int read_config(const sr_config_node *config, raw_instance *out) {
  raw_instance scratch;
  if (!out)
    out = &scratch;
  int status = config ? sr_host->config_only_keys(config, known_keys) : SR_OK;
  if (sr_host->config_int(config, "connect_timeout_ms", 5000, 10, 600000,
                          &out->connect_timeout_ms) != SR_OK ||
      sr_host->config_int(config, "io_timeout_ms", 30000, 100, 3600000, &out->io_timeout_ms) !=
          SR_OK)
    status = SR_ERR_CONFIG;
  return status;
}

static int raw_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  return read_config(config, NULL);
}

static int raw_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  raw_instance *r = sr_host->alloc(sizeof *r);
  if (!r)
    return SR_ERR_NOMEM;
  int status = read_config(config, r);
  if (status != SR_OK) {
    sr_host->free(r);
    return status;
  }
  r->self = self;
  *instance = r;
  return SR_OK;
}

static void raw_destroy(void *instance) { sr_host->free(instance); }

static bool raw_claims(void *instance, const char *scheme) {
  (void)instance;
  return strcmp(scheme, "socket") == 0 || strcmp(scheme, "raw") == 0;
}

/* Waits until `fd` is ready for `events`; false on timeout. */
static bool wait_fd(int fd, short events, int64_t timeout_ms) {
  struct pollfd p = {.fd = fd, .events = events};
  int rc;
  do
    rc = poll(&p, 1, (int)timeout_ms);
  while (rc < 0 && errno == EINTR);
  return rc > 0;
}

/* Non-blocking connect with a timeout; returns the socket or -1 (errno). */
static int connect_to(const struct addrinfo *ai, int64_t timeout_ms) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0)
    return -1;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS)
      goto fail;
    if (!wait_fd(fd, POLLOUT, timeout_ms)) {
      errno = ETIMEDOUT;
      goto fail;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
      errno = err ? err : errno;
      goto fail;
    }
  }
  return fd;
fail : {
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}
}

static int raw_open(void *instance, const char *uri, void **conn) {
  raw_instance *r = instance;
  char scheme[32], user[64], host[256], resource[256];
  int port = 0;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, uri, scheme, sizeof scheme, user, sizeof user, host,
                      sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      !raw_claims(r, scheme) || !host[0]) {
    sr_host->set_error(r->self, SR_ERR_INVALID, "not a socket:// or raw:// URI: %s", uri);
    return SR_ERR_INVALID;
  }
  if (port <= 0)
    port = DEFAULT_PORT;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *list = NULL;
  int gai = getaddrinfo(host, service, &hints, &list);
  if (gai != 0) {
    sr_host->set_error(r->self, SR_ERR_CONNECT, "cannot resolve %s: %s", host, gai_strerror(gai));
    return SR_ERR_CONNECT;
  }
  int fd = -1, err = 0;
  for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next)
    if ((fd = connect_to(ai, r->connect_timeout_ms)) < 0)
      err = errno;
  freeaddrinfo(list);
  if (fd < 0) {
    sr_host->set_error(r->self, SR_ERR_CONNECT, "cannot connect to %s:%d: %s", host, port,
                       strerror(err));
    return SR_ERR_CONNECT;
  }
  raw_conn *c = sr_host->alloc(sizeof *c);
  if (!c) {
    close(fd);
    return SR_ERR_NOMEM;
  }
  c->instance = r;
  c->fd = fd;
  snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
  *conn = c;
  return SR_OK;
}

/* Writes all of buf; SR_OK or an error set on the plugin. */
static int write_all(raw_conn *c, const char *buf, size_t len) {
  raw_instance *r = c->instance;
  while (len) {
    ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_fd(c->fd, POLLOUT, r->io_timeout_ms)) {
        sr_host->set_error(r->self, SR_ERR_IO, "%s stopped reading after %lld bytes", c->peer,
                           (long long)c->sent);
        return SR_ERR_IO;
      }
      continue;
    }
    if (n < 0) {
      /* Before any byte went out the printer refused the job as a whole:
       * another transport may still try. */
      int code = c->sent == 0 ? SR_ERR_CONNECT : SR_ERR_IO;
      sr_host->set_error(r->self, code, "%s: sending failed after %lld bytes: %s", c->peer,
                         (long long)c->sent, strerror(errno));
      return code;
    }
    buf += n;
    len -= (size_t)n;
    c->sent += n;
  }
  return SR_OK;
}

static int raw_send(void *conn, const sr_job_attrs *attrs, sr_read_fn read, void *read_ctx) {
  (void)attrs;
  raw_conn *c = conn;
  raw_instance *r = c->instance;
  char buf[65536];
  for (;;) {
    int64_t got = read(read_ctx, buf, sizeof buf);
    if (got < 0) {
      /* never SR_ERR_CONNECT: the source failing is no reason to try
       * another transport */
      sr_host->set_error(r->self, SR_ERR_IO, "reading the document failed");
      return got == SR_ERR_CONNECT ? SR_ERR_IO : (int)got;
    }
    if (got == 0)
      break;
    int status = write_all(c, buf, (size_t)got);
    if (status != SR_OK)
      return status;
  }
  /* Half-close, then wait for the printer to close its side: it has then
   * read everything (a printer keeping the connection open is fine too). */
  shutdown(c->fd, SHUT_WR);
  while (wait_fd(c->fd, POLLIN, r->io_timeout_ms)) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0); /* back-channel data is discarded */
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
      break;
  }
  c->done = true;
  sr_host->log(r->self, SR_LOG_INFO, "sent %lld bytes to %s", (long long)c->sent, c->peer);
  return SR_OK;
}

static int raw_job_state(void *conn, sr_transport_status *out) {
  raw_conn *c = conn;
  out->state = SR_PRINT_UNKNOWN;
  snprintf(out->reason, sizeof out->reason, "%s",
           c->done ? "delivered; RAW reports no job state" : "not sent");
  return SR_OK;
}

static void raw_close(void *conn) {
  raw_conn *c = conn;
  close(c->fd);
  sr_host->free(c);
}

static const sr_transport_ops raw_ops = {
    .base = {.check_config = raw_check_config, .create = raw_create, .destroy = raw_destroy},
    .claims = raw_claims,
    .open = raw_open,
    .send = raw_send,
    .job_state = raw_job_state,
    .close = raw_close,
};

/* Instances hold only their configuration; each connection is its own. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_TRANSPORT, "raw", "1.0.0", "raw TCP (AppSocket, port 9100)",
                        raw_ops, 0, SR_PLUGIN_THREAD_SAFE)
