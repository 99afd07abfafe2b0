/*
 * A transport whose printer takes every document and then cannot be asked
 * about the job: job_state fails with SR_ERR_CONNECT or SR_ERR_BUSY, as the
 * configuration's `job_state: connect|busy` says — statuses a third-party
 * plugin might return there. test_delivery checks that the host then sends
 * the document to no other transport and does not send it again.
 */
#include <sr/plugin.h>
#include <sr/transport.h>
#include <string.h>

typedef struct fx_transport {
  sr_plugin *self;
  int job_state_status;
} fx_transport;

static int fx_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  const char *answer;
  if (sr_host->config_string(config, "job_state", NULL, &answer) != SR_OK)
    return SR_ERR_CONFIG;
  fx_transport *t = sr_host->alloc(sizeof *t);
  if (!t)
    return SR_ERR_NOMEM;
  t->self = self;
  t->job_state_status = strcmp(answer, "busy") == 0 ? SR_ERR_BUSY : SR_ERR_CONNECT;
  *instance = t;
  return SR_OK;
}

static void fx_destroy(void *instance) { sr_host->free(instance); }

static bool fx_claims(void *instance, const char *scheme) {
  (void)instance;
  return strcmp(scheme, "fx") == 0;
}

/* The connection is the instance: nothing per job to keep. */
static int fx_open(void *instance, const char *uri, void **conn) {
  (void)uri;
  *conn = instance;
  return SR_OK;
}

static int fx_send(void *conn, const sr_job_attrs *attrs, sr_read_fn read, void *read_ctx) {
  (void)conn, (void)attrs;
  char buf[4096];
  int64_t got;
  while ((got = read(read_ctx, buf, sizeof buf)) > 0)
    ;
  return got < 0 ? SR_ERR_IO : SR_OK;
}

static int fx_job_state(void *conn, sr_transport_status *out) {
  fx_transport *t = conn;
  (void)out;
  sr_host->set_error(t->self, t->job_state_status, "the printer stopped answering about the job");
  return t->job_state_status;
}

static void fx_close(void *conn) { (void)conn; }

static const sr_transport_ops fx_ops = {
    .base = {.create = fx_create, .destroy = fx_destroy},
    .claims = fx_claims,
    .open = fx_open,
    .send = fx_send,
    .job_state = fx_job_state,
    .close = fx_close,
};

SR_PLUGIN_DECLARE(SR_PLUGIN_TRANSPORT, "jobstate", "1.0.0",
                  "test fixture: job_state fails after the document was sent", fx_ops, 0)
