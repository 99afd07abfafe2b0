/*
 * The `null` transport: accepts `null:` URIs and discards the document,
 * counting its bytes. It is the example plugin of docs/plugins.md and is
 * useful for dry runs (a release that prints nothing).
 *
 * Configuration (all optional):
 *   fail_open: false   # make open() fail with SR_ERR_CONNECT (fallback tests)
 */
#include <sr/plugin.h>
#include <sr/transport.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct null_instance {
  sr_plugin *self;
  bool fail_open;
} null_instance;

typedef struct null_conn {
  null_instance *instance;
  int64_t bytes;
  int state;
} null_conn;

static const char *const known_keys[] = {"fail_open", NULL};

static int null_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  bool fail_open;
  if (!config)
    return SR_OK;
  int status = sr_host->config_only_keys(config, known_keys);
  if (sr_host->config_bool(config, "fail_open", false, &fail_open) != SR_OK)
    status = SR_ERR_CONFIG;
  return status;
}

static int null_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  int status = null_check_config(self, config);
  if (status != SR_OK)
    return status;
  null_instance *n = sr_host->alloc(sizeof *n);
  if (!n)
    return SR_ERR_NOMEM;
  n->self = self;
  if (config)
    sr_host->config_bool(config, "fail_open", false, &n->fail_open);
  *instance = n;
  return SR_OK;
}

static void null_destroy(void *instance) { sr_host->free(instance); }

static bool null_claims(void *instance, const char *scheme) {
  (void)instance;
  return strcmp(scheme, "null") == 0;
}

static int null_open(void *instance, const char *uri, void **conn) {
  null_instance *n = instance;
  if (n->fail_open || strncmp(uri, "null:", 5) != 0) {
    sr_host->set_error(n->self, SR_ERR_CONNECT, "cannot open %s", uri);
    return SR_ERR_CONNECT;
  }
  null_conn *c = sr_host->alloc(sizeof *c);
  if (!c)
    return SR_ERR_NOMEM;
  c->instance = n;
  c->state = SR_PRINT_PENDING;
  *conn = c;
  return SR_OK;
}

static int null_send(void *conn, const sr_job_attrs *attrs, sr_read_fn read, void *read_ctx) {
  null_conn *c = conn;
  char buf[16384];
  for (;;) {
    int64_t got = read(read_ctx, buf, sizeof buf);
    if (got < 0)
      return (int)got;
    if (got == 0)
      break;
    c->bytes += got;
  }
  c->state = SR_PRINT_COMPLETED;
  /* a host struct may be older than these headers: read only what it has */
  bool has_copies = attrs->struct_size >= offsetof(sr_job_attrs, copies) + sizeof attrs->copies;
  sr_host->log(c->instance->self, SR_LOG_INFO, "discarded job '%s': %lld bytes, %d copies",
               attrs->job_name ? attrs->job_name : "", (long long)c->bytes,
               has_copies ? (int)attrs->copies : 1);
  return SR_OK;
}

static int null_job_state(void *conn, sr_transport_status *out) {
  null_conn *c = conn;
  if (out->struct_size < offsetof(sr_transport_status, reason) + sizeof out->reason)
    return SR_ERR_INVALID; /* not a status this plugin knows how to fill */
  out->state = c->state;
  snprintf(out->reason, sizeof out->reason, "discarded %lld bytes", (long long)c->bytes);
  return SR_OK;
}

static void null_close(void *conn) { sr_host->free(conn); }

static const sr_transport_ops null_ops = {
    .base = {.check_config = null_check_config, .create = null_create, .destroy = null_destroy},
    .claims = null_claims,
    .open = null_open,
    .send = null_send,
    .job_state = null_job_state,
    .close = null_close,
};

SR_PLUGIN_DECLARE(SR_PLUGIN_TRANSPORT, "null", "1.0.0", "discards documents (dry runs, example)",
                  null_ops, 0)
