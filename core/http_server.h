/*
 * The REST APIs' HTTPS server: libwebsockets on the service's libev loop,
 * HTTP/1.1 only (lws 4.1 stalls on HTTP/2 bodies over ~64 KB), whole JSON
 * bodies handed to one synchronous handler. Client certificates are asked
 * for and, when presented, must chain to `client_ca`: the handler sees the
 * verified certificate's CN, or NULL.
 *
 * This file's callers must not include <cups/cups.h> alongside it: the two
 * headers clash (HTTP_STATUS_*), which is why lws stays inside http_server.c.
 */
#ifndef SR_CORE_HTTP_SERVER_H
#define SR_CORE_HTTP_SERVER_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sr_http_server sr_http_server;

/* A request whose answer comes later (see sr_http_defer). */
typedef struct sr_http_exchange sr_http_exchange;

typedef struct sr_http_request {
  const char *method;                 /* "GET", "POST", "PUT", "PATCH" or "DELETE" */
  const char *path;                   /* without the query */
  const char *query;                  /* after '?', "" if none */
  const char *bearer;                 /* the Authorization: Bearer token, or NULL */
  const char *peer_cn;                /* the verified client certificate's CN, or NULL */
  const unsigned char *peer_cert_der; /* that certificate (DER), for issuer checks */
  size_t peer_cert_der_len;
  const char *remote;        /* the peer's address, for logs */
  const char *if_none_match; /* the If-None-Match header (a cached copy's ETag), "" if none */
  /* Browser sessions (the cloud's console and portal): the whole Cookie
   * header, the Origin header, the X-CSRF-Token header and the
   * Content-Type header, each "" if none (NULL when a caller builds a
   * request by hand: read them as ""). */
  const char *cookie;
  const char *origin;
  const char *csrf;
  const char *content_type;
  const char *body; /* NUL-terminated; "" if none (and for a spooled body) */
  size_t body_len;  /* also a spooled body's length */
  /* A spooled body (sr_http_options.spooled): an unlinked file holding it,
   * positioned at 0; -1 otherwise. The server closes it when the handler
   * returns unless the handler took it (sr_http_take_body_file). */
  int body_file;
  sr_http_server *server; /* for sr_http_defer */
  void *transaction;      /* internal */
} sr_http_request;

typedef struct sr_http_response {
  int status;
  char *body;      /* malloc'd JSON text; the server frees it */
  int retry_after; /* seconds, sent as Retry-After when > 0 */
  /* a 405's Allow header: the resource's own methods ("GET, POST"); empty:
   * every method the APIs use */
  char allow[64];
  /* a file body instead of JSON (sr_http_reply_file); the server owns it */
  bool has_file;
  int file;
  size_t file_len;
  /* Pages and their assets (web_files.c): the body's Content-Type (NULL:
   * application/json, or application/octet-stream for a file), its
   * Cache-Control (NULL: no-store), an ETag ("" for none) and more
   * headers: NULL or {"name:", "value", ..., NULL}: static text, or
   * text of the handler's own added with sr_http_add_header (a cookie),
   * which the server frees. "set-cookie:" may come more than once. */
  const char *content_type;
  const char *cache_control;
  char etag[48];
  const char *const *headers;
  char **owned_headers; /* sr_http_add_header's block (the server frees it) */
} sr_http_response;

/* Fills *resp. Called on the loop's thread; the request's strings live
 * until it returns. */
typedef void (*sr_http_handler)(void *ctx, const sr_http_request *req, sr_http_response *resp);

typedef struct sr_http_options {
  const char *address;              /* e.g. "127.0.0.1" */
  int port;                         /* 0: any free port (see sr_http_server_port) */
  const char *cert_file, *key_file; /* NULL: plain HTTP (tests of the server only) */
  const char *client_ca;            /* NULL: no client certificates */
  size_t max_body;                  /* larger bodies get 413 */
  const char *name;                 /* for logs */
  /* Slow and idle clients (0: the default in brackets), each connection
   * on a deadline of the server's own: closed if it has not sent a whole
   * request head `header_timeout_s` (10) after it was accepted (TLS
   * handshake included), a whole body `body_timeout_s` (30) after its
   * head, or, kept alive, its next head `idle_timeout_s` (30) after the
   * last answer. No deadline runs while the server works on an answer. */
  int header_timeout_s, body_timeout_s, idle_timeout_s;
  /* Connections open at once (0: 1024), and from one client address
   * (0: 256); a client beyond either is answered 503 with Retry-After to
   * its first request and closed. */
  int max_connections, max_connections_per_address;
  /* Bodies that are files (the cloud's job copies), never held in memory:
   * a request for which `spooled(ctx, method, path)` is true must come
   * with a verified client certificate (else 401, its body drained, never
   * written), send `Content-Type: application/octet-stream` and at most `spool_max`
   * bytes (413 otherwise); its body is written as it arrives to an
   * unlinked file in `spool_dir` (req->body_file). Each pause in it may
   * last `body_timeout_s`, the whole body body_timeout_s + length /
   * `spool_min_rate` seconds (bytes a second; 0: 16384). NULL: every body
   * is JSON, buffered up to max_body. */
  bool (*spooled)(void *ctx, const char *method, const char *path);
  /* Optional (NULL: the client certificate rule above): decides instead
   * whether a spooled body is taken, from the request's head alone, before
   * a byte of it is written. `head` is the request as a handler would see
   * it, with body_len the announced length, body "" and body_file -1.
   * True takes it (type and spool_max are still checked); false refuses
   * it with *refusal, filled as a handler fills a response (its body is
   * the server's then), answered once the body is drained. */
  bool (*spool_admit)(void *ctx, const sr_http_request *head, sr_http_response *refusal);
  size_t spool_max;
  const char *spool_dir;
  size_t spool_min_rate;
} sr_http_options;

/* Starts listening on `loop`. On SR_OK the caller owns *out (free with
 * sr_http_server_free); on failure `err` says what and where. */
int sr_http_server_start(struct ev_loop *loop, const sr_http_options *options,
                         sr_http_handler handler, void *ctx, sr_http_server **out, char *err,
                         size_t err_size);

/* Called by a handler that answers later (after I/O of its own): it leaves
 * *resp untouched and returns; the answer goes out with sr_http_finish.
 * Returns the exchange to finish, or NULL if out of memory (then answer
 * now). */
sr_http_exchange *sr_http_defer(const sr_http_request *req);

/* True once the handler deferred `req`'s answer (sr_http_defer). */
bool sr_http_deferred(const sr_http_request *req);

/* Sends the answer of a deferred request and frees `x`; takes the body of
 * *resp. If the client has gone meanwhile, the answer is dropped. */
void sr_http_finish(sr_http_exchange *x, sr_http_response *resp);

/* Takes the request's spooled body file: the caller owns it from now on
 * (closes it); -1 if the request has none. Call from the handler. */
int sr_http_take_body_file(const sr_http_request *req);

/* Answers `status` with the `len` bytes of `fd` from its current offset as
 * application/octet-stream (or resp->content_type); the server takes `fd` (closes it, also if
 * the client has gone), and sends it piece by piece as the client reads,
 * each piece within body_timeout_s. */
void sr_http_reply_file(sr_http_response *resp, int status, int fd, size_t len);

/* The port actually listened on. */
int sr_http_server_port(const sr_http_server *s);

/* Stops listening and closes every connection. NULL is fine. */
void sr_http_server_free(sr_http_server *s);

/* Adds header `name` ("set-cookie:") with `value` to resp->headers (after
 * those already there, static or added), copying both. False when out of
 * memory (resp unchanged). */
bool sr_http_add_header(sr_http_response *resp, const char *name, const char *value);

/* Helpers for handlers: a JSON body (takes a reference of `body`), and the
 * error shape {"error":{"code","message"}}. */
void sr_http_reply_json(sr_http_response *resp, int status, json_t *body);
void sr_http_reply_error(sr_http_response *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
