#include "mqtt_channel.h"

#include <errno.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sr/abi.h"

struct sr_mqtt {
  struct mosquitto *mosq;
  struct ev_loop *loop;
  ev_io read_watcher;
  ev_io write_watcher;
  ev_timer misc_timer;
  ev_timer retry_timer; /* 1 s between attempts while not connected */
  sr_mqtt_callbacks cb;
  char broker[300];
  int keepalive;
  bool watching;
  bool wanted;       /* connect() called and not disconnect(): keep trying */
  bool link_up;      /* an attempt or a connection whose loss is not yet told */
  bool connected;    /* the broker accepted us (CONNACK 0) */
  int unacked;       /* QoS 1 publishes the broker has not acknowledged yet */
  bool closing;      /* DISCONNECT sent: the broker closing is no loss */
  ev_tstamp started; /* when the attempt began: CONNACK must follow in keepalive */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static void lib_init(void) { mosquitto_lib_init(); }

/* libmosquitto queues what callbacks publish: write when it has something. */
static void update_write_watcher(sr_mqtt *m) {
  if (!m->watching)
    return;
  if (mosquitto_want_write(m->mosq))
    ev_io_start(m->loop, &m->write_watcher);
  else
    ev_io_stop(m->loop, &m->write_watcher);
}

static void stop_watching(sr_mqtt *m) {
  if (!m->watching)
    return;
  ev_io_stop(m->loop, &m->read_watcher);
  ev_io_stop(m->loop, &m->write_watcher);
  ev_timer_stop(m->loop, &m->misc_timer);
  m->watching = false;
}

static void start_connect(sr_mqtt *m, char *err, size_t err_size, int *status);

static void schedule_retry(sr_mqtt *m) {
  if (m->wanted && !ev_is_active(&m->retry_timer))
    ev_timer_again(m->loop, &m->retry_timer);
}

/* The attempt or the connection ended: say so once (libmosquitto tells of
 * some ends, a write error or a missing CONNACK only we see). */
static void ended(sr_mqtt *m, int reason) {
  stop_watching(m);
  m->connected = false;
  if (m->link_up) {
    m->link_up = false;
    if (m->cb.disconnected)
      m->cb.disconnected(m->cb.ctx, reason);
  }
}

/* It ended without our asking: and try again. */
static void lost(sr_mqtt *m, int reason) {
  ended(m, reason);
  schedule_retry(m);
}

static void on_retry(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  sr_mqtt *m = w->data;
  char err[512];
  int status;
  ev_timer_stop(m->loop, w);
  start_connect(m, err, sizeof err, &status);
  if (status != SR_OK)
    sr_log(SR_LOG_WARN, "mqtt", "%s; retrying", err);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop, (void)revents;
  sr_mqtt *m = w->data;
  /* before CONNACK, reading also drives the TLS handshake of a
   * non-blocking connect (libmosquitto's want_connect) */
  int rc = mosquitto_loop_read(m->mosq, 16);
  /* TLS may hold whole packets already decrypted: the socket will not
   * become readable for them, so take them now */
  SSL *ssl = mosquitto_ssl_get(m->mosq);
  while (rc == MOSQ_ERR_SUCCESS && ssl && SSL_pending(ssl) > 0)
    rc = mosquitto_loop_read(m->mosq, 16);
  if (rc != MOSQ_ERR_SUCCESS) {
    lost(m, rc); /* told already if the disconnect callback has run */
    return;
  }
  update_write_watcher(m);
}

void sr_mqtt_read_pending(sr_mqtt *m) {
  if (!m || !m->connected || !m->watching)
    return;
  int fd = mosquitto_socket(m->mosq);
  SSL *ssl = mosquitto_ssl_get(m->mosq);
  /* a bound, so a peer that keeps sending cannot keep us here */
  for (int i = 0; i < 10000 && fd >= 0; i++) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (!(ssl && SSL_pending(ssl) > 0) && poll(&p, 1, 0) <= 0)
      break;
    int rc = mosquitto_loop_read(m->mosq, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      lost(m, rc);
      return;
    }
  }
  update_write_watcher(m); /* the acknowledgements of what came */
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop, (void)revents;
  sr_mqtt *m = w->data;
  int rc = MOSQ_ERR_SUCCESS;
  /* a non-blocking connect finishes (TCP, then the TLS handshake) when the
   * socket turns writable: the handshake advances in loop_read */
  if (!m->connected)
    rc = mosquitto_loop_read(m->mosq, 1);
  if (rc == MOSQ_ERR_SUCCESS && m->watching)
    rc = mosquitto_loop_write(m->mosq, 16);
  if (rc != MOSQ_ERR_SUCCESS)
    lost(m, rc);
  else
    update_write_watcher(m);
}

static void on_misc(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  sr_mqtt *m = w->data;
  if (!m->connected) { /* a broker that accepts and never answers */
    if (ev_now(m->loop) - m->started >= m->keepalive) {
      sr_log(SR_LOG_WARN, "mqtt", "the broker %s did not answer within %d s", m->broker,
             m->keepalive);
      lost(m, MOSQ_ERR_CONN_LOST);
    }
    return;
  }
  mosquitto_loop_misc(m->mosq); /* keep-alive pings, retries */
  update_write_watcher(m);
}

static void cb_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props) {
  (void)mosq, (void)flags, (void)props;
  sr_mqtt *m = obj;
  if (rc != 0)
    sr_log(SR_LOG_WARN, "mqtt", "broker %s refused the connection: %s", m->broker,
           mosquitto_reason_string(rc));
  m->connected = rc == 0;
  if (m->cb.connected)
    m->cb.connected(m->cb.ctx, rc);
}

static void cb_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props) {
  (void)mosq, (void)props;
  sr_mqtt *m = obj;
  if (m->cb.message)
    m->cb.message(m->cb.ctx, msg->topic, msg->payload, (size_t)msg->payloadlen);
}

static void cb_publish(struct mosquitto *mosq, void *obj, int mid, int reason,
                       const mosquitto_property *props) {
  (void)mosq, (void)props;
  sr_mqtt *m = obj;
  if (m->unacked > 0)
    m->unacked--;
  if (m->cb.published)
    m->cb.published(m->cb.ctx, mid, reason);
}

static void cb_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props) {
  (void)mosq, (void)props;
  sr_mqtt *m = obj;
  if (rc != 0 && !m->closing)
    lost(m, rc);
  else
    ended(m, 0); /* we asked for it (sr_mqtt_disconnect): the broker closing is no loss */
}

int sr_mqtt_new(struct ev_loop *loop, const sr_mqtt_options *o, const sr_mqtt_callbacks *cb,
                sr_mqtt **out, char *err, size_t err_size) {
  pthread_once(&lib_once, lib_init);
  sr_mqtt *m = calloc(1, sizeof *m);
  if (!m)
    return SR_ERR_NOMEM;
  m->loop = loop;
  m->cb = *cb;
  m->keepalive = o->keepalive >= 5 ? o->keepalive : 30;
  ev_init(&m->retry_timer, on_retry);
  m->retry_timer.repeat = 1.0;
  m->retry_timer.data = m;
  snprintf(m->broker, sizeof m->broker, "%s:%d", o->host, o->port);
  m->mosq = mosquitto_new(o->client_id, true, m);
  if (!m->mosq) {
    snprintf(err, err_size, "cannot create an MQTT client for %s", m->broker);
    free(m);
    return SR_ERR_NOMEM;
  }
  mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(m->mosq, MOSQ_OPT_TCP_NODELAY, 1); /* QoS 1 stalls ~40 ms without */
  mosquitto_connect_v5_callback_set(m->mosq, cb_connect);
  mosquitto_message_v5_callback_set(m->mosq, cb_message);
  mosquitto_publish_v5_callback_set(m->mosq, cb_publish);
  mosquitto_disconnect_v5_callback_set(m->mosq, cb_disconnect);
  int rc = MOSQ_ERR_SUCCESS;
  if (o->ca_file)
    rc = mosquitto_tls_set(m->mosq, o->ca_file, NULL, o->cert_file, o->key_file, NULL);
  if (rc == MOSQ_ERR_SUCCESS && o->will_topic)
    rc = mosquitto_will_set_v5(m->mosq, o->will_topic,
                               o->will_payload ? (int)strlen(o->will_payload) : 0, o->will_payload,
                               1, o->will_retain, NULL);
  if (rc != MOSQ_ERR_SUCCESS) {
    snprintf(err, err_size, "MQTT client for %s: %s", m->broker, mosquitto_strerror(rc));
    sr_mqtt_free(m);
    return SR_ERR_INVALID;
  }
  *out = m;
  return SR_OK;
}

/* Starts one non-blocking attempt: *status SR_OK when it is under way
 * (the outcome comes through the callbacks), else SR_ERR_CONNECT with `err`
 * and a retry scheduled. */
static void start_connect(sr_mqtt *m, char *err, size_t err_size, int *status) {
  /* m->broker is "HOST:PORT" as given to sr_mqtt_new() */
  char host[256];
  const char *colon = strrchr(m->broker, ':');
  snprintf(host, sizeof host, "%.*s", (int)(colon - m->broker), m->broker);
  int port = atoi(colon + 1);
  stop_watching(m); /* a reconnect: the old socket is gone */
  m->connected = false;
  /* the name lookup still blocks (loopback and /etc/hosts in practice); TCP
   * and TLS go on in the loop's watchers */
  int rc = mosquitto_connect_bind_async(m->mosq, host, port, m->keepalive, NULL);
  int fd = rc == MOSQ_ERR_SUCCESS ? mosquitto_socket(m->mosq) : -1;
  if (fd < 0) {
    snprintf(err, err_size, "cannot connect to the MQTT broker %s: %s", m->broker,
             rc == MOSQ_ERR_ERRNO || rc == MOSQ_ERR_SUCCESS ? "connection failed (TLS or network)"
                                                            : mosquitto_strerror(rc));
    *status = SR_ERR_CONNECT;
    schedule_retry(m);
    return;
  }
  ev_io_init(&m->read_watcher, on_readable, fd, EV_READ);
  ev_io_init(&m->write_watcher, on_writable, fd, EV_WRITE);
  ev_timer_init(&m->misc_timer, on_misc, 1.0, 1.0);
  m->read_watcher.data = m->write_watcher.data = m->misc_timer.data = m;
  ev_io_start(m->loop, &m->read_watcher);
  ev_timer_start(m->loop, &m->misc_timer);
  m->watching = true;
  m->link_up = true;
  m->started = ev_now(m->loop);
  /* the connect completes when the socket turns writable */
  ev_io_start(m->loop, &m->write_watcher);
  *status = SR_OK;
}

int sr_mqtt_connect(sr_mqtt *m, char *err, size_t err_size) {
  int status;
  m->wanted = true;
  if (ev_is_active(&m->retry_timer))
    ev_timer_stop(m->loop, &m->retry_timer);
  start_connect(m, err, err_size, &status);
  return status;
}

int sr_mqtt_subscribe(sr_mqtt *m, const char *topic) {
  int rc = mosquitto_subscribe_v5(m->mosq, NULL, topic, 1, 0, NULL);
  update_write_watcher(m);
  return rc == MOSQ_ERR_SUCCESS ? SR_OK : SR_ERR_IO;
}

int sr_mqtt_publish(sr_mqtt *m, const char *topic, const void *payload, size_t len, bool retain,
                    int *mid) {
  int rc = mosquitto_publish_v5(m->mosq, mid, topic, (int)len, payload, 1, retain, NULL);
  if (rc == MOSQ_ERR_SUCCESS)
    m->unacked++;
  update_write_watcher(m);
  return rc == MOSQ_ERR_SUCCESS ? SR_OK : SR_ERR_IO;
}

static double monotonic_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Drives the connection by hand, without the loop, until `done` holds or
 * `until` (monotonic seconds) passes. A read error ends the link: once
 * DISCONNECT is sent that is the broker closing, as it should. */
static void drive_until(sr_mqtt *m, bool (*done)(const sr_mqtt *m), double until) {
  while (m->watching && !done(m)) {
    double left = until - monotonic_now();
    if (left <= 0)
      return;
    /* TLS may hold decrypted bytes the socket no longer shows */
    SSL *ssl = mosquitto_ssl_get(m->mosq);
    bool decrypted = ssl && SSL_pending(ssl) > 0;
    struct pollfd p = {.fd = mosquitto_socket(m->mosq),
                       .events = POLLIN | (mosquitto_want_write(m->mosq) ? POLLOUT : 0)};
    int n = poll(&p, 1, decrypted ? 0 : (int)(left * 1000) + 1);
    if (n < 0 && errno != EINTR)
      return;
    int rc = MOSQ_ERR_SUCCESS;
    if (n > 0 && (p.revents & POLLOUT))
      rc = mosquitto_loop_write(m->mosq, 16);
    if (rc == MOSQ_ERR_SUCCESS &&
        (decrypted || (n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)))))
      rc = mosquitto_loop_read(m->mosq, 16);
    if (rc != MOSQ_ERR_SUCCESS && m->watching)
      ended(m, m->closing ? 0 : rc);
  }
}

static bool all_acknowledged(const sr_mqtt *m) { return m->unacked == 0; }
static bool never(const sr_mqtt *m) { return (void)m, false; }

void sr_mqtt_disconnect(sr_mqtt *m, double ack_wait) {
  m->wanted = false;
  if (ev_is_active(&m->retry_timer))
    ev_timer_stop(m->loop, &m->retry_timer);
  double until = monotonic_now() + ack_wait;
  /* The broker must have read every publish before we close: closing
   * with its acknowledgements unread makes the kernel reset the
   * connection, and the broker drops what it had not read yet. */
  if (m->connected)
    drive_until(m, all_acknowledged, until);
  if (m->unacked > 0 && m->connected)
    sr_log(SR_LOG_WARN, "mqtt", "closing with %d message(s) the broker %s has not acknowledged",
           m->unacked, m->broker);
  m->closing = true;
  mosquitto_disconnect_v5(m->mosq, 0, NULL);
  mosquitto_loop_write(m->mosq, 1);
  /* and let the broker close first (it does on DISCONNECT), so that
   * nothing it sends meanwhile is left unread */
  if (m->connected)
    drive_until(m, never, until);
  stop_watching(m);
}

void sr_mqtt_free(sr_mqtt *m) {
  if (!m)
    return;
  stop_watching(m);
  if (ev_is_active(&m->retry_timer))
    ev_timer_stop(m->loop, &m->retry_timer);
  mosquitto_destroy(m->mosq);
  free(m);
}

void sr_mqtt_scout_topic(char *out, size_t size, const char *tenant, const char *scout,
                         const char *leaf) {
  snprintf(out, size, "sr/v1/%s/scouts/%s/%s", tenant, scout, leaf);
}
