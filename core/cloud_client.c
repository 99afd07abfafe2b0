#include "cloud_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr/abi.h"

struct sr_cloud_client {
  pthread_mutex_t lock;
  CURL *curl; /* synchronous calls */
  /* TLS sessions shared by every handle of this client, so that a call on a
   * new connection (the cloud closes idle ones after 30 s) resumes the
   * session instead of sending both certificates again: a print scout's
   * submission costs about half as many bytes (bench/bandwidth) */
  CURLSH *share;
  pthread_mutex_t share_lock; /* sync calls and loop calls run on different threads */
  struct ev_loop *loop;       /* calls on the loop (sr_cloud_client_use_loop) */
  CURLM *multi;
  ev_timer timer;
  struct call *calls; /* in flight on the loop */
  char *base_url, *ca_file, *cert_file, *key_file;
  long timeout_ms;
};

typedef struct buffer {
  char *data;
  size_t len;
} buffer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp) {
  (void)h, (void)data, (void)access;
  pthread_mutex_lock(&((sr_cloud_client *)userp)->share_lock);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp) {
  (void)h, (void)data;
  pthread_mutex_unlock(&((sr_cloud_client *)userp)->share_lock);
}

sr_cloud_client *sr_cloud_client_new(const sr_cloud_options *o) {
  pthread_once(&curl_once, curl_init);
  sr_cloud_client *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->share_lock, NULL);
  c->share = curl_share_init();
  if (c->share) {
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  c->curl = curl_easy_init();
  c->base_url = dup_or_null(o->base_url);
  c->ca_file = dup_or_null(o->ca_file);
  c->cert_file = dup_or_null(o->cert_file);
  c->key_file = dup_or_null(o->key_file);
  c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
  if (!c->share || !c->curl || !c->base_url) {
    sr_cloud_client_free(c);
    return NULL;
  }
  return c;
}

static size_t collect(char *ptr, size_t size, size_t n, void *userdata) {
  buffer *b = userdata;
  size_t len = size * n;
  if (b->len + len > 16 * 1024 * 1024)
    return 0; /* no API answer is this large */
  char *grown = realloc(b->data, b->len + len + 1);
  if (!grown)
    return 0;
  memcpy(grown + b->len, ptr, len);
  b->data = grown;
  b->len += len;
  b->data[b->len] = '\0';
  return len;
}

/* One request: what libcurl needs to keep until it is done. */
typedef struct call {
  char method[8];
  char url[2048];
  char *text;
  struct curl_slist *headers;
  buffer answer;
  CURL *easy; /* async calls own theirs; sync calls borrow the client's */
  sr_cloud_done done;
  void *ctx;
  struct call *next; /* the client's list of calls in flight */
} call;

static void call_setup(const sr_cloud_client *c, call *k, CURL *h, const char *method,
                       const char *path, json_t *body, const char *bearer) {
  char auth[1100];
  snprintf(k->method, sizeof k->method, "%s", method);
  snprintf(k->url, sizeof k->url, "%s%s", c->base_url, path);
  k->text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  k->headers = curl_slist_append(k->headers, "Content-Type: application/json");
  k->headers = curl_slist_append(k->headers, "Accept: application/json");
  /* the cloud's server sends no 100 Continue: never wait for one */
  k->headers = curl_slist_append(k->headers, "Expect:");
  if (bearer) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
    k->headers = curl_slist_append(k->headers, auth);
    memset(auth, 0, sizeof auth);
  }
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, k->url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, k->headers);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms < 5000 ? c->timeout_ms : 5000L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &k->answer);
  curl_easy_setopt(h, CURLOPT_PRIVATE, k);
  curl_easy_setopt(h, CURLOPT_SHARE, c->share);
  if (c->ca_file)
    curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
  if (c->cert_file) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
    curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
  }
  if (k->text) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, k->text);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(k->text));
  } else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
    /* say "Content-Length: 0": without it the cloud's server (lws) takes
     * the next request on the kept-alive connection for this one's body,
     * and that call hangs until it times out */
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  } else if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
  }
}

/* Turns a finished transfer into the sr_cloud_call results. */
static int call_result(call *k, CURL *h, CURLcode rc, int *status, json_t **reply, char *err,
                       size_t err_size) {
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  *status = 0;
  *reply = NULL;
  if (rc != CURLE_OK) {
    snprintf(err, err_size, "%s %s: %s", k->method, k->url, curl_easy_strerror(rc));
    return rc == CURLE_OPERATION_TIMEDOUT                                    ? SR_ERR_TIMEOUT
           : rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ? SR_ERR_CONNECT
                                                                             : SR_ERR_PEER;
  }
  *status = (int)code;
  if (k->answer.len) {
    json_error_t error;
    *reply = json_loadb(k->answer.data, k->answer.len, 0, &error);
  }
  return SR_OK;
}

static void call_cleanup(call *k) {
  curl_slist_free_all(k->headers);
  free(k->text);
  free(k->answer.data);
}

int sr_cloud_call(sr_cloud_client *c, const char *method, const char *path, json_t *body,
                  const char *bearer, int *status, json_t **reply, char *err, size_t err_size) {
  call k = {0};
  pthread_mutex_lock(&c->lock);
  call_setup(c, &k, c->curl, method, path, body, bearer);
  CURLcode rc = curl_easy_perform(c->curl);
  int result = call_result(&k, c->curl, rc, status, reply, err, err_size);
  curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
  pthread_mutex_unlock(&c->lock);
  call_cleanup(&k);
  return result;
}

/* ---- files: uploads read from a descriptor ---- */

typedef struct upload_source {
  int fd;
  const atomic_bool *stop;
} upload_source;

static size_t read_upload(char *buf, size_t size, size_t n, void *userdata) {
  upload_source *src = userdata;
  if (src->stop && atomic_load(src->stop))
    return CURL_READFUNC_ABORT;
  for (;;) {
    ssize_t got = read(src->fd, buf, size * n);
    if (got >= 0)
      return (size_t)got;
    if (errno != EINTR)
      return CURL_READFUNC_ABORT;
  }
}

/* Ends a stalled upload too when the service stops (not only its reads). */
static int upload_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  const upload_source *src = userdata;
  return src->stop && atomic_load(src->stop);
}

int sr_cloud_upload(sr_cloud_client *c, const char *method, const char *path, int fd, size_t size,
                    const atomic_bool *stop, int *status, json_t **reply, char *err,
                    size_t err_size) {
  call k = {0};
  upload_source src = {.fd = fd, .stop = stop};
  pthread_mutex_lock(&c->lock);
  call_setup(c, &k, c->curl, method, path, NULL, NULL);
  curl_slist_free_all(k.headers); /* a file, not JSON */
  k.headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
  k.headers = curl_slist_append(k.headers, "Accept: application/json");
  k.headers = curl_slist_append(k.headers, "Expect:");
  CURL *h = c->curl;
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, k.headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL); /* before UPLOAD: the last one sets the method */
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &src);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, upload_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, &src);
  /* a large file over a slow link takes long; one that stalls does not */
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 30L);
  CURLcode rc = curl_easy_perform(h);
  int result = call_result(&k, h, rc, status, reply, err, err_size);
  if (rc == CURLE_ABORTED_BY_CALLBACK || rc == CURLE_READ_ERROR)
    result = SR_ERR_IO;
  else if (rc == CURLE_OPERATION_TIMEDOUT)
    result = SR_ERR_TIMEOUT;
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  pthread_mutex_unlock(&c->lock);
  call_cleanup(&k);
  return result;
}

/* A download: the call, and where a 200 answer's body goes. */
typedef struct download {
  call k;
  CURL *h;
  sr_cloud_sink sink;
  void *ctx;
  int sink_status;
} download;

static size_t download_write(char *ptr, size_t size, size_t n, void *userdata) {
  download *d = userdata;
  long code = 0;
  curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) /* an error answer: its JSON, for the caller */
    return collect(ptr, size, n, &d->k.answer);
  d->sink_status = d->sink(d->ctx, ptr, size * n);
  return d->sink_status == SR_OK ? size * n : 0;
}

int sr_cloud_download(sr_cloud_client *c, const char *path, sr_cloud_sink sink, void *sink_ctx,
                      int *status, json_t **reply, char *err, size_t err_size) {
  download d = {.sink = sink, .ctx = sink_ctx, .sink_status = SR_OK};
  d.h = curl_easy_init();
  if (!d.h) {
    snprintf(err, err_size, "GET %s%s: out of memory", c->base_url, path);
    *status = 0;
    *reply = NULL;
    return SR_ERR_NOMEM;
  }
  call_setup(c, &d.k, d.h, "GET", path, NULL, NULL);
  /* a file may take long; a stalled one may not */
  curl_easy_setopt(d.h, CURLOPT_TIMEOUT_MS, 0L);
  curl_easy_setopt(d.h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(d.h, CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(d.h, CURLOPT_WRITEFUNCTION, download_write);
  curl_easy_setopt(d.h, CURLOPT_WRITEDATA, &d);
  CURLcode rc = curl_easy_perform(d.h);
  int result = call_result(&d.k, d.h, rc, status, reply, err, err_size);
  if (d.sink_status != SR_OK) {
    snprintf(err, err_size, "GET %s: could not keep what came (%s)", d.k.url,
             sr_status_name(d.sink_status));
    result = SR_ERR_IO;
  }
  curl_easy_cleanup(d.h);
  call_cleanup(&d.k);
  return result;
}

/* ---- calls on the event loop: curl's multi interface driven by libev ---- */

typedef struct watched_socket {
  ev_io io;
  sr_cloud_client *client;
} watched_socket;

static void finish_done_calls(sr_cloud_client *c) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(c->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    CURL *h = msg->easy_handle;
    CURLcode rc = msg->data.result;
    call *k = NULL;
    curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&k);
    curl_multi_remove_handle(c->multi, h);
    for (call **p = &c->calls; *p; p = &(*p)->next)
      if (*p == k) {
        *p = k->next;
        break;
      }
    int status;
    json_t *reply;
    char err[2200] = "";
    call_result(k, h, rc, &status, &reply, err, sizeof err);
    k->done(k->ctx, status, reply, err);
    curl_easy_cleanup(h);
    call_cleanup(k);
    free(k);
  }
}

static void on_socket_ready(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop;
  watched_socket *ws = w->data;
  sr_cloud_client *c = ws->client;
  int running, flags = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
                       (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);
  curl_multi_socket_action(c->multi, w->fd, flags, &running);
  finish_done_calls(c);
}

static void on_curl_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  sr_cloud_client *c = w->data;
  int running;
  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  finish_done_calls(c);
}

static int socket_changed(CURL *h, curl_socket_t fd, int what, void *userp, void *socketp) {
  (void)h;
  sr_cloud_client *c = userp;
  watched_socket *ws = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (ws) {
      ev_io_stop(c->loop, &ws->io);
      free(ws);
      curl_multi_assign(c->multi, fd, NULL);
    }
    return 0;
  }
  if (!ws) {
    ws = calloc(1, sizeof *ws);
    if (!ws)
      return -1;
    ws->client = c;
    ws->io.data = ws;
    ev_init(&ws->io, on_socket_ready);
    curl_multi_assign(c->multi, fd, ws);
  }
  int events = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
  ev_io_stop(c->loop, &ws->io);
  ev_io_set(&ws->io, fd, events);
  ev_io_start(c->loop, &ws->io);
  return 0;
}

static int timer_changed(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  sr_cloud_client *c = userp;
  ev_timer_stop(c->loop, &c->timer);
  if (timeout_ms >= 0) {
    ev_timer_set(&c->timer, (double)timeout_ms / 1000.0, 0.0);
    ev_timer_start(c->loop, &c->timer);
  }
  return 0;
}

int sr_cloud_client_use_loop(sr_cloud_client *c, struct ev_loop *loop) {
  c->loop = loop;
  c->multi = curl_multi_init();
  if (!c->multi)
    return SR_ERR_NOMEM;
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_changed);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_changed);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  /* keep the connections to the cloud: by default the cache shrinks with
   * the calls in flight, and every new connection is a TLS handshake */
  curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 128L);
  ev_init(&c->timer, on_curl_timer);
  c->timer.data = c;
  return SR_OK;
}

int sr_cloud_call_async(sr_cloud_client *c, const char *method, const char *path, json_t *body,
                        const char *bearer, sr_cloud_done done, void *ctx) {
  call *k = calloc(1, sizeof *k);
  CURL *h = k ? curl_easy_init() : NULL;
  if (!h) {
    free(k);
    return SR_ERR_NOMEM;
  }
  k->easy = h;
  k->done = done;
  k->ctx = ctx;
  call_setup(c, k, h, method, path, body, bearer);
  if (curl_multi_add_handle(c->multi, h) != CURLM_OK) {
    curl_easy_cleanup(h);
    call_cleanup(k);
    free(k);
    return SR_ERR_IO;
  }
  k->next = c->calls;
  c->calls = k;
  return SR_OK;
}

const char *sr_cloud_error_message(const json_t *reply, const char *fallback) {
  const char *m = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
  return m ? m : fallback;
}

void sr_cloud_client_free(sr_cloud_client *c) {
  if (!c)
    return;
  /* calls still in flight end now, with an error their callers see */
  while (c->calls) {
    call *k = c->calls;
    c->calls = k->next;
    curl_multi_remove_handle(c->multi, k->easy);
    k->done(k->ctx, 0, NULL, "the service is stopping");
    curl_easy_cleanup(k->easy);
    call_cleanup(k);
    free(k);
  }
  if (c->multi) {
    ev_timer_stop(c->loop, &c->timer);
    curl_multi_cleanup(c->multi);
  }
  curl_easy_cleanup(c->curl);
  curl_share_cleanup(c->share); /* after every handle that used it */
  free(c->base_url);
  free(c->ca_file);
  free(c->cert_file);
  free(c->key_file);
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->share_lock);
  free(c);
}
