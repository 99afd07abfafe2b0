#include "http_server.h"

#include <arpa/inet.h>

#include <errno.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sr/abi.h"
#include "temp_file.h"

struct sr_http_server {
  struct ev_loop *loop;
  struct lws_context *context;
  struct lws_vhost *vhost;
  sr_http_handler handler;
  void *ctx;
  size_t max_body;
  bool (*spooled)(void *ctx, const char *method, const char *path);
  bool (*spool_admit)(void *ctx, const sr_http_request *head, sr_http_response *refusal);
  size_t spool_max, spool_min_rate;
  char *spool_dir;
  int port;
  char name[32];
  int header_timeout_s, body_timeout_s, idle_timeout_s;
  int connections, max_connections, max_per_address;
  struct connection *counted; /* the counted connections, linked */
  time_t last_full_warning;
};

/* One accepted connection, from lws' "new client" callback to its wsi's
 * destroy, where it is freed; the wsi's opaque user data points to it.
 * Its deadline is the server's own, not lws': lws 4.1 on a foreign libev
 * loop runs its timeouts only when it is woken by I/O or by its one timer,
 * which it cannot bring forward (ev_timer_start on an active watcher does
 * nothing), so on a quiet server they fired up to 30 s late (its
 * housekeeping tick) and idle connections outlived the header timeout. */
typedef struct connection {
  sr_http_server *server;
  struct lws *wsi;
  ev_timer deadline; /* closes the connection when it fires */
  bool counted;      /* within both caps (in server->counted); else told 503 */
  char address[64];  /* the client's address, as lws_get_peer_simple writes it */
  struct connection *prev, *next;
} connection;

/* One HTTP transaction on a connection (reset for each keep-alive request). */
typedef struct transaction {
  char method[8];
  char path[512];
  char query[512];
  char *body;
  size_t body_len, body_expected;
  bool answered;
  bool close;        /* close the connection after the answer */
  int refuse_status; /* answer this once the body is drained (413, 415) */
  char refuse_code[32], refuse_message[160];
  char *refuse_body; /* a spool_admit's refusal (JSON text), instead of code and message */
  int refuse_retry_after;
  sr_http_exchange *deferred; /* the answer comes later through it */
  char *reply;                /* LWS_PRE bytes of headroom, then the JSON */
  size_t reply_len;
  int status, retry_after;
  char allow[64]; /* a 405's Allow, "" for ALLOWED_METHODS */
  /* a page's headers (sr_http_response): static strings, or NULL */
  const char *content_type, *cache_control;
  /* more headers, copied: {"name:", "value", ..., NULL} in one malloc'd
   * block, or NULL */
  char **headers;
  char etag[48];
  /* a spooled body (sr_http_options.spooled) goes to spool_fd, not memory */
  bool spooling;
  int spool_fd;         /* -1 once the handler took it */
  double body_deadline; /* ev_now() by which the whole spooled body is due */
  /* a file answer (sr_http_reply_file), sent piece by piece */
  bool file_reply, headers_sent;
  int reply_fd;
  size_t reply_file_left;
} transaction;

struct sr_http_exchange {
  struct lws *wsi; /* NULL once the connection is gone */
};

/* Closes a connection whose deadline passed (called from the loop, never
 * while lws is servicing this wsi): the destroy frees `c`. */
static void deadline_passed(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop;
  (void)revents;
  connection *c = w->data;
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

/* The client has `seconds` from now to do its part (send a head or a
 * body), or the connection is closed. */
static void deadline_arm(struct lws *wsi, double seconds) {
  connection *c = lws_get_opaque_user_data(wsi);
  if (!c)
    return;
  ev_timer_stop(c->server->loop, &c->deadline);
  ev_timer_set(&c->deadline, seconds, 0.);
  ev_timer_start(c->server->loop, &c->deadline);
}

/* The client has done its part; the server's turn takes what it takes. */
static void deadline_clear(struct lws *wsi) {
  connection *c = lws_get_opaque_user_data(wsi);
  if (c)
    ev_timer_stop(c->server->loop, &c->deadline);
}

static void transaction_reset(transaction *t) {
  if (t->deferred) /* the client left before the answer: drop it then */
    t->deferred->wsi = NULL;
  free(t->body);
  free(t->reply);
  free(t->headers);
  free(t->refuse_body);
  if (t->spooling && t->spool_fd >= 0)
    close(t->spool_fd);
  if (t->file_reply)
    close(t->reply_fd);
  memset(t, 0, sizeof *t);
}

/* The methods the APIs use: what a 405 offers in its Allow header. */
#define ALLOWED_METHODS "GET, POST, PUT, PATCH, DELETE"

static const char *request_method(struct lws *wsi) {
  static const struct {
    enum lws_token_indexes token;
    const char *name;
  } methods[] = {{WSI_TOKEN_GET_URI, "GET"},
                 {WSI_TOKEN_POST_URI, "POST"},
                 {WSI_TOKEN_PUT_URI, "PUT"},
                 {WSI_TOKEN_PATCH_URI, "PATCH"},
                 {WSI_TOKEN_DELETE_URI, "DELETE"}};
  for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
    if (lws_hdr_total_length(wsi, methods[i].token) > 0)
      return methods[i].name;
  return NULL;
}

/* A copy of a response's extra headers ({"name:", "value", ..., NULL}),
 * and `name`: `value` after them unless name is NULL, in one malloc'd
 * block (pointers, then the text); NULL for none, or when out of memory
 * (the answer then goes without them: never a cookie half set). */
static char **headers_copy(const char *const *headers, const char *name, const char *value) {
  size_t n = 0, text = 0;
  for (; headers && headers[n] && headers[n + 1]; n += 2)
    text += strlen(headers[n]) + strlen(headers[n + 1]) + 2;
  size_t all = n + (name ? 2 : 0);
  if (!all)
    return NULL;
  if (name)
    text += strlen(name) + strlen(value) + 2;
  char **copy = malloc((all + 1) * sizeof *copy + text);
  if (!copy)
    return NULL;
  char *p = (char *)(copy + all + 1);
  for (size_t i = 0; i < all; i++) {
    const char *from = i < n ? headers[i] : i == n ? name : value;
    size_t len = strlen(from) + 1;
    copy[i] = memcpy(p, from, len);
    p += len;
  }
  copy[all] = NULL;
  return copy;
}

bool sr_http_add_header(sr_http_response *resp, const char *name, const char *value) {
  char **block = headers_copy(resp->headers, name, value);
  if (!block)
    return false;
  free(resp->owned_headers);
  resp->owned_headers = block;
  resp->headers = (const char *const *)block;
  return true;
}

/* Keeps the JSON text (or the file) of `resp` for the writeable callback. */
static void transaction_answer(struct lws *wsi, transaction *t, sr_http_response *resp) {
  t->content_type = resp->content_type;
  t->cache_control = resp->cache_control;
  free(t->headers);
  t->headers = headers_copy(resp->headers, NULL, NULL);
  free(resp->owned_headers);
  resp->owned_headers = NULL;
  snprintf(t->etag, sizeof t->etag, "%s", resp->etag);
  if (resp->has_file) {
    t->file_reply = true;
    t->reply_fd = resp->file;
    t->reply_file_left = resp->file_len;
    t->status = resp->status;
    t->answered = true;
    free(resp->body);
    lws_callback_on_writable(wsi);
    return;
  }
  const char *text = resp->body ? resp->body : "";
  size_t len = strlen(text);
  t->reply = malloc(LWS_PRE + len + 1);
  if (t->reply) {
    memcpy(t->reply + LWS_PRE, text, len + 1);
    t->reply_len = len;
    t->status = resp->status;
  } else {
    t->status = 500;
    t->reply_len = 0;
  }
  t->retry_after = resp->retry_after;
  snprintf(t->allow, sizeof t->allow, "%s", resp->allow);
  t->answered = true;
  free(resp->body);
  lws_callback_on_writable(wsi);
}

static void answer_error(struct lws *wsi, transaction *t, int status, const char *code,
                         const char *message) {
  sr_http_response resp = {0};
  sr_http_reply_error(&resp, status, code, "%s", message);
  transaction_answer(wsi, t, &resp);
}

/* Answers `status` at once and closes the connection (the caller returns
 * -1): for requests whose framing cannot be trusted, where reading on
 * would take the rest of the bytes as a next request. lws flushes what is
 * still buffered before it closes. */
static int refuse_and_close(struct lws *wsi, transaction *t, int status, const char *code,
                            const char *message);
static int transaction_done(struct lws *wsi, transaction *t);

/* Answers `status` once the body is drained (so the client reads the
 * answer instead of a reset), then closes: the request was well framed
 * but will not be handled. */
static void refuse_after_body(transaction *t, int status, const char *code, const char *message) {
  t->refuse_status = status;
  snprintf(t->refuse_code, sizeof t->refuse_code, "%s", code);
  snprintf(t->refuse_message, sizeof t->refuse_message, "%s", message);
}

/* The body's length from the one Content-Length header; false if the
 * header is repeated or not a plain decimal number. lws joins repeated
 * headers with ',' and reads the value with atoll: "5" twice with "50"
 * became 5 and the rest of the body was parsed as a next request, "-1"
 * became a body that never ends. Neither may reach lws' own reading. */
static bool content_length(struct lws *wsi, unsigned long long *out) {
  char text[32];
  *out = 0;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
    return true; /* none: no body */
  if (lws_hdr_copy_fragment(wsi, text, sizeof text, WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) >= 0)
    return false; /* a second Content-Length */
  int n = lws_hdr_copy(wsi, text, sizeof text, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  /* 15 digits is far beyond any body size limit, and far from overflow */
  if (n <= 0 || n > 15 || strspn(text, "0123456789") != (size_t)n)
    return false;
  *out = strtoull(text, NULL, 10);
  return true;
}

/* True if the Content-Type is `want` (parameters such as charset
 * allowed). Both APIs take JSON only (job copies aside: application/
 * octet-stream, which is no "simple" type either); insisting on the type also
 * makes a browser ask (CORS preflight) before a web page can post to them:
 * text/plain would be a "simple" request it sends cross-origin unasked. */
static bool content_type_is(struct lws *wsi, const char *want) {
  char type[128];
  if (lws_hdr_copy(wsi, type, sizeof type, WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0)
    return false;
  const char *p = type + strspn(type, " \t");
  size_t n = strlen(want);
  if (strncasecmp(p, want, n) != 0)
    return false;
  p += n;
  p += strspn(p, " \t");
  return *p == '\0' || *p == ';';
}

/* The verified client certificate's CN, or "" if there is none or it did
 * not verify against the client CA. */
static void peer_common_name(struct lws *wsi, char *cn, size_t size) {
  char buf[sizeof(union lws_tls_cert_info_results) + 256];
  union lws_tls_cert_info_results *info = (union lws_tls_cert_info_results *)buf;
  cn[0] = '\0';
  if (!lws_is_ssl(wsi) || lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_VERIFIED, info, 0) != 0 ||
      !info->verified)
    return;
  if (lws_tls_peer_cert_info(wsi, LWS_TLS_CERT_INFO_COMMON_NAME, info,
                             sizeof buf - sizeof *info + sizeof info->ns.name) != 0)
    return;
  snprintf(cn, size, "%.*s", info->ns.len, info->ns.name);
}

/* The peer's certificate as DER (OPENSSL_malloc'd, caller frees), so the
 * service can check which CA issued it; NULL without a verified one. */
static unsigned char *peer_certificate_der(struct lws *wsi, const char *cn, size_t *len) {
  *len = 0;
  SSL *ssl = cn[0] ? lws_get_ssl(wsi) : NULL;
  X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
  unsigned char *der = NULL;
  int n = cert ? i2d_X509(cert, &der) : -1;
  if (n <= 0)
    return NULL;
  *len = (size_t)n;
  return der;
}

/* What a request's head says, read once into buffers of its own: what a
 * handler (dispatch) and a spooled body's admission (spool_begin) see. */
typedef struct request_head {
  char auth[1024], cn[256], remote[64], etag[64];
  char cookie[4096], origin[256], csrf[128], type[128];
  unsigned char *der; /* OPENSSL_malloc'd */
  sr_http_request req;
} request_head;

static void head_read(struct lws *wsi, sr_http_server *s, transaction *t, request_head *h) {
  memset(h, 0, sizeof *h);
  if (lws_hdr_copy(wsi, h->auth, sizeof h->auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
    h->auth[0] = '\0';
  /* a header too long for its buffer reads as absent: a cookie cut short
   * would be a wrong one */
  if (lws_hdr_copy(wsi, h->cookie, sizeof h->cookie, WSI_TOKEN_HTTP_COOKIE) < 0)
    h->cookie[0] = '\0';
  if (lws_hdr_copy(wsi, h->origin, sizeof h->origin, WSI_TOKEN_ORIGIN) < 0)
    h->origin[0] = '\0';
  if (lws_hdr_custom_copy(wsi, h->csrf, sizeof h->csrf, "x-csrf-token:", 13) < 0)
    h->csrf[0] = '\0';
  if (lws_hdr_copy(wsi, h->type, sizeof h->type, WSI_TOKEN_HTTP_CONTENT_TYPE) < 0)
    h->type[0] = '\0';
  if (lws_hdr_copy(wsi, h->etag, sizeof h->etag, WSI_TOKEN_HTTP_IF_NONE_MATCH) < 0)
    h->etag[0] = '\0';
  peer_common_name(wsi, h->cn, sizeof h->cn);
  size_t der_len = 0;
  h->der = peer_certificate_der(wsi, h->cn, &der_len);
  lws_get_peer_simple(wsi, h->remote, sizeof h->remote);
  const char *bearer = strncasecmp(h->auth, "Bearer ", 7) == 0 ? h->auth + 7 : NULL;
  h->req = (sr_http_request){.method = t->method,
                             .path = t->path,
                             .query = t->query,
                             .bearer = bearer,
                             .peer_cn = h->cn[0] && h->der ? h->cn : NULL,
                             .peer_cert_der = h->der,
                             .peer_cert_der_len = der_len,
                             .remote = h->remote,
                             .if_none_match = h->etag,
                             .cookie = h->cookie,
                             .origin = h->origin,
                             .csrf = h->csrf,
                             .content_type = h->type,
                             .body = t->body ? t->body : "",
                             .body_len = t->body_len,
                             .body_file = t->spooling ? t->spool_fd : -1,
                             .server = s,
                             .transaction = wsi};
}

static void head_free(request_head *h) {
  /* tokens do not linger on the stack */
  memset(h->auth, 0, sizeof h->auth);
  memset(h->cookie, 0, sizeof h->cookie);
  memset(h->csrf, 0, sizeof h->csrf);
  OPENSSL_free(h->der);
  h->der = NULL;
}

static void dispatch(struct lws *wsi, sr_http_server *s, transaction *t) {
  request_head h;
  head_read(wsi, s, t, &h);
  sr_http_response resp = {.status = 500};
  s->handler(s->ctx, &h.req, &resp);
  head_free(&h);
  if (t->spooling && t->spool_fd >= 0) { /* the handler did not take it */
    close(t->spool_fd);
    t->spool_fd = -1;
  }
  if (!t->deferred)
    transaction_answer(wsi, t, &resp);
}

sr_http_exchange *sr_http_defer(const sr_http_request *req) {
  struct lws *wsi = req->transaction;
  transaction *t = lws_wsi_user(wsi);
  sr_http_exchange *x = calloc(1, sizeof *x);
  if (x) {
    x->wsi = wsi;
    t->deferred = x;
  }
  return x;
}

bool sr_http_deferred(const sr_http_request *req) {
  if (!req->transaction) /* a request made in-process (the fuzzers): never deferred */
    return false;
  transaction *t = lws_wsi_user(req->transaction);
  return t && t->deferred;
}

void sr_http_finish(sr_http_exchange *x, sr_http_response *resp) {
  if (x->wsi) {
    transaction *t = lws_wsi_user(x->wsi);
    t->deferred = NULL;
    transaction_answer(x->wsi, t, resp);
  } else {
    free(resp->body);
    free(resp->owned_headers);
    if (resp->has_file)
      close(resp->file);
  }
  free(x);
}

int sr_http_take_body_file(const sr_http_request *req) {
  transaction *t = lws_wsi_user(req->transaction);
  if (!t->spooling)
    return -1;
  int fd = t->spool_fd;
  t->spool_fd = -1;
  return fd;
}

void sr_http_reply_file(sr_http_response *resp, int status, int fd, size_t len) {
  free(resp->body);
  resp->body = NULL;
  resp->status = status;
  resp->has_file = true;
  resp->file = fd;
  resp->file_len = len;
}

/* Sets up a spooled body of `length` bytes (the route said so): its type
 * and size are checked, and it goes to an unlinked file as it arrives. */
static void spool_begin(struct lws *wsi, sr_http_server *s, transaction *t,
                        unsigned long long length) {
  char cn[128];
  peer_common_name(wsi, cn, sizeof cn);
  if (s->spool_admit) {
    /* the service decides from the head (who calls, how large) before a
     * byte is written: a refused body is drained, never stored */
    request_head h;
    head_read(wsi, s, t, &h);
    h.req.body_len = (size_t)length;
    h.req.body_file = -1;
    sr_http_response refusal = {0};
    bool admitted = s->spool_admit(s->ctx, &h.req, &refusal);
    head_free(&h);
    if (!admitted) {
      t->refuse_status = refusal.status ? refusal.status : 403;
      t->refuse_body = refusal.body ? refusal.body : strdup("");
      t->refuse_retry_after = refusal.retry_after;
      return;
    }
    free(refusal.body);
  } else if (!cn[0]) {
    /* drained, never written: a client nobody knows must not fill the
     * disk with bodies it is refused anyway */
    refuse_after_body(t, 401, "unauthenticated",
                      "sending a file needs a verified client certificate");
    return;
  }
  if (!content_type_is(wsi, "application/octet-stream")) {
    refuse_after_body(t, 415, "unsupported_media_type",
                      "the body must be the file, sent with Content-Type: "
                      "application/octet-stream");
    return;
  }
  if (length > s->spool_max) {
    char msg[96];
    snprintf(msg, sizeof msg, "the file is larger than %zu bytes", s->spool_max);
    refuse_after_body(t, 413, "too_large", msg);
    return;
  }
  int fd = sr_temp_file(s->spool_dir);
  if (fd < 0) {
    sr_log(SR_LOG_ERROR, "http", "%s: cannot make a spool file in %s: %s", s->name, s->spool_dir,
           strerror(errno));
    refuse_after_body(t, 503, "busy", "the server cannot take files now; try again later");
    return;
  }
  t->spooling = true;
  t->spool_fd = fd;
  t->body_expected = (size_t)length;
  /* a large file may take longer than body_timeout_s, not for ever */
  t->body_deadline =
      ev_now(s->loop) + s->body_timeout_s + (double)length / (double)s->spool_min_rate;
}

/* Starts a transaction from the request line and headers. */
static int on_request(struct lws *wsi, sr_http_server *s, transaction *t, const char *uri) {
  transaction_reset(t);
  deadline_clear(wsi); /* the head is in */
  connection *c = lws_get_opaque_user_data(wsi);
  if (!c || !c->counted) {
    /* told here, not at accept: a TLS client can read an answer only once
     * the handshake is done and it has asked */
    t->retry_after = 1;
    return refuse_and_close(wsi, t, 503, "busy", "too many connections; try again shortly");
  }
  const char *method = request_method(wsi);
  snprintf(t->method, sizeof t->method, "%s", method ? method : "");
  if (!method) {
    /* methods lws knows but the APIs do not use (HEAD, OPTIONS, ...);
     * unknown ones never get here, see refuse_not_http */
    answer_error(wsi, t, 405, "method_not_allowed",
                 "the method is not supported; use " ALLOWED_METHODS);
    return 0;
  }
  if (strlen(uri) >= sizeof t->path) {
    answer_error(wsi, t, 414, "uri_too_long", "the request path is too long");
    return 0;
  }
  snprintf(t->path, sizeof t->path, "%s", uri);
  /* lws splits the query into fragments ("a=1", "b=2"); rejoin them */
  for (int i = 0, used = 0; used < (int)sizeof t->query - 2; i++) {
    char frag[256];
    int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n <= 0)
      break;
    used +=
        snprintf(t->query + used, sizeof t->query - (size_t)used, "%s%s", used ? "&" : "", frag);
  }
  char te[64] = "";
  lws_hdr_copy(wsi, te, sizeof te, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
  if (te[0]) /* lws 4.1 drops the connection on chunked bodies; never frame the
              * rest by a Content-Length a proxy may have ignored (desync) */
    return refuse_and_close(wsi, t, 411, "length_required", "send the body with a Content-Length");
  unsigned long long length;
  if (!content_length(wsi, &length))
    return refuse_and_close(wsi, t, 400, "bad_content_length",
                            "send exactly one Content-Length: the body's size in bytes");
  if (length == 0) {
    dispatch(wsi, s, t);
    return 0;
  }
  /* the whole body within the bound, however it trickles in (also one
   * that is only drained before a refusal) */
  deadline_arm(wsi, s->body_timeout_s);
  if (s->spooled && s->spooled(s->ctx, t->method, t->path)) {
    spool_begin(wsi, s, t, length);
    return 0;
  }
  if (!content_type_is(wsi, "application/json")) {
    refuse_after_body(t, 415, "unsupported_media_type",
                      "the body must be JSON, sent with Content-Type: application/json");
    return 0;
  }
  if (length > s->max_body) {
    char msg[96];
    snprintf(msg, sizeof msg, "the body is larger than %zu bytes", s->max_body);
    refuse_after_body(t, 413, "too_large", msg);
    return 0;
  }
  t->body_expected = (size_t)length;
  t->body = malloc(t->body_expected + 1);
  if (!t->body) {
    answer_error(wsi, t, 500, "no_memory", "out of memory");
    return 0;
  }
  return 0;
}

/* Writes a piece of a spooled body (to the page cache: a local file, as
 * the job store's writes) and moves its deadline: the next piece within
 * body_timeout_s, the whole body by its own deadline. */
static int spool_piece(struct lws *wsi, sr_http_server *s, transaction *t, const void *in,
                       size_t len) {
  if (len > t->body_expected - t->body_len)
    return -1; /* more than announced: drop the connection */
  for (size_t done = 0; done < len;) {
    ssize_t n = write(t->spool_fd, (const char *)in + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      sr_log(SR_LOG_ERROR, "http", "%s: cannot write a spooled body: %s", s->name,
             n < 0 ? strerror(errno) : "no space");
      refuse_after_body(t, 503, "busy", "the server cannot take files now; try again later");
      return 0;
    }
    done += (size_t)n;
  }
  t->body_len += len;
  double left = t->body_deadline - ev_now(s->loop);
  deadline_arm(wsi, left < s->body_timeout_s ? (left > 0 ? left : 0.001) : s->body_timeout_s);
  return 0;
}

static int on_body(struct lws *wsi, sr_http_server *s, transaction *t, const void *in, size_t len) {
  if (t->refuse_status)
    return 0;
  if (t->spooling)
    return spool_piece(wsi, s, t, in, len);
  if (!t->body)
    return 0;
  if (len > t->body_expected - t->body_len)
    return -1; /* more than announced: drop the connection */
  memcpy(t->body + t->body_len, in, len);
  t->body_len += len;
  return 0;
}

/* Sends the next piece of a file answer; 1 while more is to come. */
static int send_file_piece(struct lws *wsi, transaction *t) {
  unsigned char buf[LWS_PRE + 16384];
  size_t want =
      t->reply_file_left < sizeof buf - LWS_PRE ? t->reply_file_left : sizeof buf - LWS_PRE;
  ssize_t n = read(t->reply_fd, buf + LWS_PRE, want);
  if (n <= 0)
    return -1; /* the file ended early: the client sees a short body */
  t->reply_file_left -= (size_t)n;
  enum lws_write_protocol kind = t->reply_file_left ? LWS_WRITE_HTTP : LWS_WRITE_HTTP_FINAL;
  if (lws_write(wsi, buf + LWS_PRE, (size_t)n, kind) != (int)n)
    return -1;
  if (!t->reply_file_left)
    return 0;
  /* a client that stops reading is dropped like one that stops sending */
  connection *c = lws_get_opaque_user_data(wsi);
  if (c)
    deadline_arm(wsi, c->server->body_timeout_s);
  lws_callback_on_writable(wsi);
  return 1;
}

static int on_writeable(struct lws *wsi, transaction *t) {
  if (!t->answered)
    return 0;
  if (t->file_reply && t->headers_sent) {
    int more = send_file_piece(wsi, t);
    if (more != 0)
      return more < 0 ? -1 : 0;
    return transaction_done(wsi, t);
  }
  unsigned char headers[LWS_PRE + 2048], *start = headers + LWS_PRE, *p = start,
                                         *end = headers + sizeof headers - 1;
  const char *type = t->content_type ? t->content_type
                     : t->file_reply ? "application/octet-stream"
                                     : "application/json";
  if (lws_add_http_common_headers(wsi, (unsigned)t->status, type,
                                  t->file_reply ? t->reply_file_left : t->reply_len, &p, end))
    return -1;
  for (size_t i = 0; t->headers && t->headers[i] && t->headers[i + 1]; i += 2)
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)t->headers[i],
                                    (const unsigned char *)t->headers[i + 1],
                                    (int)strlen(t->headers[i + 1]), &p, end))
      return -1;
  /* an answer without headers of its own is the API's JSON, which may
   * repeat what a caller sent: no browser may take it for a page */
  bool nosniff = false;
  for (size_t i = 0; t->headers && t->headers[i] && t->headers[i + 1]; i += 2)
    nosniff |= strcasecmp(t->headers[i], "x-content-type-options:") == 0;
  if (!nosniff && lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                              (const unsigned char *)"nosniff", 7, &p, end))
    return -1;
  if (t->etag[0] && lws_add_http_header_by_name(
                        wsi, (const unsigned char *)"etag:", (const unsigned char *)t->etag,
                        (int)strlen(t->etag), &p, end))
    return -1;
  const char *allow = t->allow[0] ? t->allow : ALLOWED_METHODS;
  if (t->status == 405 && lws_add_http_header_by_name(
                              wsi, (const unsigned char *)"allow:", (const unsigned char *)allow,
                              (int)strlen(allow), &p, end))
    return -1;
  if (t->close && lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                              (const unsigned char *)"close", 5, &p, end))
    return -1;
  if (t->retry_after > 0) {
    char value[16];
    int n = snprintf(value, sizeof value, "%d", t->retry_after);
    if (lws_add_http_header_by_name(
            wsi, (const unsigned char *)"retry-after:", (const unsigned char *)value, n, &p, end))
      return -1;
  }
  const char *cache = t->cache_control ? t->cache_control : "no-store";
  if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                  (const unsigned char *)cache, (int)strlen(cache), &p, end) ||
      lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  if (t->file_reply) {
    t->headers_sent = true;
    if (t->reply_file_left) { /* the file goes piece by piece, as the client reads */
      int more = send_file_piece(wsi, t);
      if (more != 0)
        return more < 0 ? -1 : 0;
    }
    return transaction_done(wsi, t);
  }
  if (t->reply_len && lws_write(wsi, (unsigned char *)t->reply + LWS_PRE, t->reply_len,
                                LWS_WRITE_HTTP_FINAL) != (int)t->reply_len)
    return -1;
  return transaction_done(wsi, t);
}

/* The answer is out: closes, or waits for the next request. */
static int transaction_done(struct lws *wsi, transaction *t) {
  bool close = t->close;
  transaction_reset(t);
  if (close)
    return -1;
  /* kept alive: the next request's head within the idle bound (armed
   * first: lws may start on a pipelined request before it returns) */
  connection *c = lws_get_opaque_user_data(wsi);
  if (c)
    deadline_arm(wsi, c->server->idle_timeout_s);
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int refuse_and_close(struct lws *wsi, transaction *t, int status, const char *code,
                            const char *message) {
  t->close = true;
  answer_error(wsi, t, status, code, message);
  on_writeable(wsi, t);
  return -1;
}

/* A request line with a method lws does not know (TRACE, PROPFIND, ...):
 * lws' parser would answer an HTML 403 itself. With
 * LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG it hands the
 * connection over to this raw protocol instead, which answers the APIs'
 * JSON 405 and closes. Only the method name is read from the bytes. */
typedef struct not_http {
  char method[24];
  bool seen;
} not_http;

static int refuse_not_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len) {
  not_http *n = user;
  switch (reason) {
  case LWS_CALLBACK_RAW_RX:
    if (n && !n->seen) {
      size_t m = 0;
      const char *text = in;
      while (m < len && m < sizeof n->method - 1 && text[m] >= 'A' && text[m] <= 'Z')
        m++;
      memcpy(n->method, text, m);
      n->method[m] = '\0';
      n->seen = true;
      lws_callback_on_writable(wsi);
    }
    return 0;
  case LWS_CALLBACK_RAW_WRITEABLE: {
    sr_http_response resp = {0};
    sr_http_reply_error(&resp, 405, "method_not_allowed",
                        "the method %s is not supported; use " ALLOWED_METHODS,
                        n && n->method[0] ? n->method : "sent");
    const char *body = resp.body ? resp.body : "";
    char buf[LWS_PRE + 1024];
    int len_out = snprintf(buf + LWS_PRE, sizeof buf - LWS_PRE,
                           "HTTP/1.1 405 Method Not Allowed\r\n"
                           "content-type: application/json\r\n"
                           "content-length: %zu\r\n"
                           "allow: " ALLOWED_METHODS "\r\n"
                           "cache-control: no-store\r\n"
                           "x-content-type-options: nosniff\r\n"
                           "connection: close\r\n\r\n%s",
                           strlen(body), body);
    free(resp.body);
    if (len_out > 0 && (size_t)len_out < sizeof buf - LWS_PRE)
      lws_write(wsi, (unsigned char *)buf + LWS_PRE, (size_t)len_out, LWS_WRITE_RAW);
    return -1; /* lws flushes what is left, then closes */
  }
  default: return 0;
  }
}

/* Counted connections from `address` (a linear walk: a new connection
 * costs at most max_connections string compares). */
static int connections_from(const sr_http_server *s, const char *address) {
  int n = 0;
  for (const connection *c = s->counted; c; c = c->next)
    n += strcmp(c->address, address) == 0;
  return n;
}

/* Warns that a cap refused a connection, one line a second at most in a
 * flood. */
static void warn_full(sr_http_server *s, const char *what) {
  time_t now = time(NULL);
  if (now != s->last_full_warning) {
    s->last_full_warning = now;
    sr_log(SR_LOG_WARN, "http", "%s: %s; answering 503", s->name, what);
  }
}

/* A new connection: given the header deadline (its TLS handshake and
 * first request head within it), and counted, or marked to be told 503
 * when it asks: beyond max_connections, or beyond max_per_address from its
 * address (so one host cannot take every slot). -1 (lws closes it) if out
 * of memory. */
static int accept_connection(struct lws *wsi, sr_http_server *s) {
  connection *c = calloc(1, sizeof *c);
  if (!c)
    return -1;
  c->server = s;
  c->wsi = wsi;
  ev_timer_init(&c->deadline, deadline_passed, s->header_timeout_s, 0.);
  c->deadline.data = c;
  ev_timer_start(s->loop, &c->deadline);
  lws_set_opaque_user_data(wsi, c);
  lws_get_peer_simple(wsi, c->address, sizeof c->address);
  char why[192];
  if (s->connections >= s->max_connections) {
    snprintf(why, sizeof why, "%d connections open, the most allowed", s->connections);
    warn_full(s, why);
    return 0;
  }
  int theirs = connections_from(s, c->address);
  if (theirs >= s->max_per_address) {
    snprintf(why, sizeof why, "%d connections open from %.64s, the most allowed from one address",
             theirs, c->address);
    warn_full(s, why);
    return 0;
  }
  s->connections++;
  c->counted = true;
  c->next = s->counted;
  if (s->counted)
    s->counted->prev = c;
  s->counted = c;
  return 0;
}

/* The wsi is going: its connection is uncounted and freed. */
static void forget_connection(struct lws *wsi, sr_http_server *s) {
  connection *c = lws_get_opaque_user_data(wsi);
  if (!c)
    return;
  lws_set_opaque_user_data(wsi, NULL);
  ev_timer_stop(s->loop, &c->deadline);
  if (c->counted) {
    s->connections--;
    if (c->prev)
      c->prev->next = c->next;
    else
      s->counted = c->next;
    if (c->next)
      c->next->prev = c->prev;
  }
  free(c);
}

/* TLS session resumption: a client back within a day (a print scout
 * announcing its next job hours after the last) skips the certificate
 * exchange. The sessions stay in this process's cache and a ticket is only
 * an id: a self-contained ticket would carry the client's certificate and
 * travel both ways at every resumption, more bytes than it saves
 * (bench/bandwidth). The cache holds OpenSSL's default 20480 sessions; a
 * client it forgot gets a full handshake. Resuming skips no check of ours:
 * the handlers look the certificate up on every request. */
static void tls_sessions_setup(SSL_CTX *ctx) {
  static const unsigned char context[] = "securerelease-api";
  SSL_CTX_set_session_id_context(ctx, context, sizeof context - 1);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_num_tickets(ctx, 1);
  SSL_CTX_set_timeout(ctx, 24 * 3600);
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len) {
  struct lws_vhost *vh = lws_get_vhost(wsi);
  sr_http_server *s = vh ? lws_get_vhost_user(vh) : NULL;
  transaction *t = user;
  switch (reason) {
  case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
    tls_sessions_setup(user); /* lws passes the vhost's SSL_CTX */
    return 0;
  case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
    /* lws passes OpenSSL's verdict in `len` and accepts whatever this
     * returns 0 for: refuse certificates that did not chain to the CA */
    return len ? 0 : 1;
  case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: return s ? accept_connection(wsi, s) : 0;
  case LWS_CALLBACK_WSI_DESTROY:
    if (s)
      forget_connection(wsi, s);
    return 0;
  case LWS_CALLBACK_HTTP: return s ? on_request(wsi, s, t, in ? in : "/") : -1;
  case LWS_CALLBACK_HTTP_BODY: return s ? on_body(wsi, s, t, in, len) : -1;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    deadline_clear(wsi); /* the body is in */
    if (t->refuse_status && t->refuse_body) {
      t->close = true;
      sr_http_response resp = {
          .status = t->refuse_status, .body = t->refuse_body, .retry_after = t->refuse_retry_after};
      t->refuse_body = NULL; /* transaction_answer frees it */
      transaction_answer(wsi, t, &resp);
    } else if (t->refuse_status) {
      t->close = true;
      answer_error(wsi, t, t->refuse_status, t->refuse_code, t->refuse_message);
    } else if (t->body) {
      t->body[t->body_len] = '\0';
      dispatch(wsi, s, t);
    } else if (t->spooling) {
      if (lseek(t->spool_fd, 0, SEEK_SET) != 0) {
        t->close = true;
        answer_error(wsi, t, 500, "spool", "cannot read the body back");
      } else {
        dispatch(wsi, s, t);
      }
    }
    return 0;
  case LWS_CALLBACK_HTTP_WRITEABLE: return on_writeable(wsi, t);
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
  case LWS_CALLBACK_CLOSED_HTTP:
    if (t)
      transaction_reset(t);
    return 0;
  default: return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

#define NOT_HTTP_PROTOCOL "sr-not-http"

/* Both protocols get user space of one size: a connection that times out
 * before it sent anything (idle, or a head that never ended) was adopted
 * with the fallback protocol's user space, yet lws closes it through the
 * http protocol's callback, whose transaction_reset wrote past a
 * not_http-sized block (heap corruption, seen as an abort when the header
 * timeout closed idle TLS connections). */
#define SESSION_SIZE                                                                               \
  (sizeof(transaction) > sizeof(not_http) ? sizeof(transaction) : sizeof(not_http))

static const struct lws_protocols protocols[] = {
    {"http", http_callback, SESSION_SIZE, 0, 0, NULL, 0},
    {NOT_HTTP_PROTOCOL, refuse_not_http, SESSION_SIZE, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0}};

static void lws_to_sr_log(int level, const char *line) {
  /* lws logs only errors and warnings here; strip its newline */
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    n--;
  sr_log(level == LLL_ERR ? SR_LOG_ERROR : SR_LOG_WARN, "http", "%.*s", (int)n, line);
}

int sr_http_server_start(struct ev_loop *loop, const sr_http_options *o, sr_http_handler handler,
                         void *ctx, sr_http_server **out, char *err, size_t err_size) {
  *out = NULL;
  sr_http_server *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, err_size, "out of memory");
    return SR_ERR_NOMEM;
  }
  s->loop = loop;
  s->handler = handler;
  s->ctx = ctx;
  s->max_body = o->max_body ? o->max_body : 65536;
  s->spooled = o->spooled;
  s->spool_admit = o->spool_admit;
  s->spool_max = o->spool_max;
  s->spool_min_rate = o->spool_min_rate ? o->spool_min_rate : 16384;
  s->spool_dir = strdup(o->spool_dir ? o->spool_dir : "/tmp");
  if (!s->spool_dir) {
    free(s);
    snprintf(err, err_size, "out of memory");
    return SR_ERR_NOMEM;
  }
  s->header_timeout_s = o->header_timeout_s > 0 ? o->header_timeout_s : 10;
  s->body_timeout_s = o->body_timeout_s > 0 ? o->body_timeout_s : 30;
  s->idle_timeout_s = o->idle_timeout_s > 0 ? o->idle_timeout_s : 30;
  s->max_connections = o->max_connections > 0 ? o->max_connections : 1024;
  s->max_per_address = o->max_connections_per_address > 0 ? o->max_connections_per_address : 256;
  /* lws' own timeouts stay as a backstop, never shorter than the
   * connection deadlines: its content timeout restarts with each piece of
   * a body at the context's timeout_secs */
  int lws_timeout =
      s->header_timeout_s > s->body_timeout_s ? s->header_timeout_s : s->body_timeout_s;
  snprintf(s->name, sizeof s->name, "%s", o->name ? o->name : "http");
  lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_sr_log);

  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  void *loops[] = {loop};
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_LIBEV |
                 LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.foreign_loops = loops;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.pt_serv_buf_size = 65536;
  info.count_threads = 1;
  info.timeout_secs = (unsigned)lws_timeout;
  s->context = lws_create_context(&info);
  if (!s->context) {
    snprintf(err, err_size, "%s: cannot create the HTTP server", s->name);
    free(s->spool_dir);
    free(s);
    return SR_ERR_IO;
  }
  memset(&info, 0, sizeof info);
  info.vhost_name = s->name;
  info.iface = o->address;
  info.port = o->port;
  /* lws 4.1 built with IPv6 binds an IPv4 address's port on every
   * interface unless the vhost is IPv4 only (libwebsockets issue 2290) */
  struct in_addr v4;
  if (o->address && inet_pton(AF_INET, o->address, &v4) == 1)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.protocols = protocols;
  info.user = s;
  info.alpn = "http/1.1";
  /* unknown methods go to refuse_not_http rather than lws' HTML 403 (this
   * option alone does not let plain text onto a TLS port: that would also
   * need LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT) */
  info.options |= LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
  info.listen_accept_role = "raw-skt";
  info.listen_accept_protocol = NOT_HTTP_PROTOCOL;
  /* the connection deadlines bound slow and idle clients; these are lws'
   * (a head that has started pins one of its few header tables) */
  info.keepalive_timeout = s->idle_timeout_s;
  info.timeout_secs = (unsigned)lws_timeout;
  info.timeout_secs_ah_idle = (unsigned)s->header_timeout_s;
  if (o->cert_file) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = o->cert_file;
    info.ssl_private_key_filepath = o->key_file;
    if (o->client_ca) {
      info.ssl_ca_filepath = o->client_ca;
      info.options |= LWS_SERVER_OPTION_REQUIRE_VALID_OPENSSL_CLIENT_CERT |
                      LWS_SERVER_OPTION_PEER_CERT_NOT_REQUIRED;
    }
  }
  s->vhost = lws_create_vhost(s->context, &info);
  if (!s->vhost) {
    snprintf(err, err_size, "%s: cannot listen on %s:%d (port in use, or unreadable %s)", s->name,
             o->address ? o->address : "*", o->port,
             o->cert_file ? "certificate or key" : "settings");
    sr_http_server_free(s);
    return SR_ERR_IO;
  }
  s->port = lws_get_vhost_listen_port(s->vhost);
  *out = s;
  return SR_OK;
}

int sr_http_server_port(const sr_http_server *s) { return s->port; }

void sr_http_server_free(sr_http_server *s) {
  if (!s)
    return;
  if (s->context)
    lws_context_destroy(s->context);
  free(s->spool_dir);
  free(s);
}

void sr_http_reply_json(sr_http_response *resp, int status, json_t *body) {
  resp->status = status;
  free(resp->body);
  resp->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  if (body && !resp->body) {
    resp->status = 500;
    resp->body = strdup("{\"error\":{\"code\":\"no_memory\",\"message\":\"out of memory\"}}");
  }
}

void sr_http_reply_error(sr_http_response *resp, int status, const char *code, const char *fmt,
                         ...) {
  char message[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  sr_http_reply_json(resp, status,
                     json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}
