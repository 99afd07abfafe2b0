/*
 * Calls to the cloud's REST API (libcurl, HTTPS with the cloud's CA and
 * this service's client certificate): what scouts, the site service and
 * srctl use. One client keeps its connection alive between calls, resumes
 * its TLS session on a new connection (all its calls share one session
 * cache), and may be shared by threads (calls are serialised).
 */
#ifndef SR_CORE_CLOUD_CLIENT_H
#define SR_CORE_CLOUD_CLIENT_H

#include <ev.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>

typedef struct sr_cloud_client sr_cloud_client;

typedef struct sr_cloud_options {
  const char *base_url;  /* "https://host:port" */
  const char *ca_file;   /* the cloud's CA; NULL: the system's */
  const char *cert_file; /* our client certificate (chain), or NULL */
  const char *key_file;
  long timeout_ms; /* per call; 0: 10 s */
} sr_cloud_options;

/* Makes a client; the caller owns it (sr_cloud_client_free). The strings
 * are copied. NULL if out of memory. */
sr_cloud_client *sr_cloud_client_new(const sr_cloud_options *options);
void sr_cloud_client_free(sr_cloud_client *c);

/* Sends METHOD base_url + path with `body` (borrowed, may be NULL) and an
 * optional bearer token. On SR_OK an HTTP answer came: *status is its
 * code and *reply its JSON (NULL if the body was empty or not JSON; the
 * caller decrefs). Otherwise SR_ERR_CONNECT / SR_ERR_TIMEOUT / SR_ERR_PEER
 * with `err` naming the URL and what failed. */
int sr_cloud_call(sr_cloud_client *c, const char *method, const char *path, json_t *body,
                  const char *bearer, int *status, json_t **reply, char *err, size_t err_size);

/* Sends the `size` bytes read from `fd` (from its current offset) as the
 * body of METHOD base_url + path, as application/octet-stream: for files
 * (job copies). Not bound by timeout_ms: a transfer fails once it moves
 * less than 1 KiB a second for 30 s (SR_ERR_TIMEOUT), or when `*stop`
 * (may be NULL) becomes true (SR_ERR_IO). Results as sr_cloud_call.
 * Blocks: never on a loop. */
int sr_cloud_upload(sr_cloud_client *c, const char *method, const char *path, int fd, size_t size,
                    const atomic_bool *stop, int *status, json_t **reply, char *err,
                    size_t err_size);

/* Receives the body of a download, piece by piece: SR_OK, or a status
 * that stops the transfer. */
typedef int (*sr_cloud_sink)(void *ctx, const void *data, size_t len);

/* GETs base_url + path (a file: a job's cloud copy) and gives a 200
 * answer's body to `sink`; any other answer's JSON goes to *reply. Not
 * bound by timeout_ms: a transfer fails once it moves less than 1 KiB a
 * second for 30 s (SR_ERR_TIMEOUT). Results as sr_cloud_call; SR_ERR_IO
 * when the sink stopped it. Uses a connection of its own, so other calls
 * of `c` go on meanwhile. Blocks: never on a loop. */
int sr_cloud_download(sr_cloud_client *c, const char *path, sr_cloud_sink sink, void *sink_ctx,
                      int *status, json_t **reply, char *err, size_t err_size);

/* The answer to a call made on the loop: `status` 0 and `err` set if no
 * HTTP answer came; `reply` (may be NULL) is the callee's to decref. */
typedef void (*sr_cloud_done)(void *ctx, int status, json_t *reply, const char *err);

/* Lets `c` make calls on `loop` (curl's multi interface on libev), many at
 * once, each on its own kept-alive connection. SR_OK or SR_ERR_NOMEM. */
int sr_cloud_client_use_loop(sr_cloud_client *c, struct ev_loop *loop);

/* Starts a call on the loop; `done` runs on the loop when it ends (also
 * when the client is freed first). Only for clients given a loop. */
int sr_cloud_call_async(sr_cloud_client *c, const char *method, const char *path, json_t *body,
                        const char *bearer, sr_cloud_done done, void *ctx);

/* The "message" of an {"error":{"code","message"}} reply, or `fallback`. */
const char *sr_cloud_error_message(const json_t *reply, const char *fallback);

#endif
