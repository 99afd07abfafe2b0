/*
 * The `ipp` and `ipps` transports: Print-Job over IPP with libcups, then
 * the printer's job state through Get-Job-Attributes.
 *
 * Built twice from this file. `ipps` (IPP_TRANSPORT_TLS) takes ipps:// URIs,
 * requires TLS and checks the printer's certificate:
 *   ca_file: /etc/securerelease/printers-ca.pem   # chain + host name, or
 *   fingerprint: "AB:CD:..."                      # SHA-256 of the printer's certificate
 * With neither, the connection is encrypted but the printer is not
 * authenticated (a warning says so once). A certificate that fails the
 * check is SR_ERR_PEER, never SR_ERR_CONNECT: the host must not fall back
 * to plain IPP because someone is impersonating the printer.
 * `ipp` takes ipp:// URIs in plain text.
 * Both: connect_timeout_ms (5000), requesting_user (securerelease).
 * A printer that is busy (it answers server-error-busy, or it is stopped
 * or not accepting jobs for a passing reason) gives SR_ERR_BUSY: the host
 * tries it again later, never another transport.
 */
#include <cups/cups.h>
#include <errno.h>
#include <sr/plugin.h>
#include <sr/transport.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tls_verify.h"

#ifdef IPP_TRANSPORT_TLS
#define SCHEME "ipps"
#define PLUGIN_NAME "ipps"
#define ENCRYPTION HTTP_ENCRYPTION_ALWAYS
#else
#define SCHEME "ipp"
#define PLUGIN_NAME "ipp"
#define ENCRYPTION HTTP_ENCRYPTION_NEVER
#endif

typedef struct ipp_instance {
  sr_plugin *self;
  int64_t connect_timeout_ms;
  const char *user;
  const char *ca_file;
  const char *fingerprint;
  atomic_bool warned_unverified; /* calls run concurrently: warn once */
} ipp_instance;

typedef struct ipp_conn {
  ipp_instance *instance;
  http_t *http;
  char uri[1024];
  char resource[256];
  char peer[300];
  int job_id;
} ipp_conn;

#ifdef IPP_TRANSPORT_TLS
static const char *const known_keys[] = {"connect_timeout_ms", "requesting_user", "ca_file",
                                         "fingerprint", NULL};
#else
static const char *const known_keys[] = {"connect_timeout_ms", "requesting_user", NULL};
#endif

static int read_config(const sr_config_node *config, ipp_instance *out) {
  ipp_instance scratch = {0};
  if (!out)
    out = &scratch;
  int status = config ? sr_host->config_only_keys(config, known_keys) : SR_OK;
  if (sr_host->config_int(config, "connect_timeout_ms", 5000, 10, 600000,
                          &out->connect_timeout_ms) != SR_OK ||
      sr_host->config_string(config, "requesting_user", "securerelease", &out->user) != SR_OK)
    status = SR_ERR_CONFIG;
#ifdef IPP_TRANSPORT_TLS
  if (sr_host->config_string(config, "ca_file", "", &out->ca_file) != SR_OK ||
      sr_host->config_string(config, "fingerprint", "", &out->fingerprint) != SR_OK)
    status = SR_ERR_CONFIG;
#endif
  return status;
}

static int ipp_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  return read_config(config, NULL);
}

static int ipp_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  ipp_instance *t = sr_host->alloc(sizeof *t);
  if (!t)
    return SR_ERR_NOMEM;
  int status = read_config(config, t);
  if (status != SR_OK) {
    sr_host->free(t);
    return status;
  }
  t->self = self;
  *instance = t;
  return SR_OK;
}

static void ipp_destroy(void *instance) { sr_host->free(instance); }

static bool ipp_claims(void *instance, const char *scheme) {
  (void)instance;
  return strcmp(scheme, SCHEME) == 0;
}

#ifdef IPP_TRANSPORT_TLS
/* SR_OK if the printer's certificate passes the configured check. */
static int check_certificate(ipp_instance *t, ipp_conn *c, const char *host) {
  cups_array_t *creds = NULL;
  if (httpCopyCredentials(c->http, &creds) != 0 && (t->ca_file[0] || t->fingerprint[0])) {
    sr_host->set_error(t->self, SR_ERR_PEER, "%s: no certificate to check", c->peer);
    return SR_ERR_PEER;
  }
  char why[256];
  bool trusted = ipp_tls_verify(creds, host, t->ca_file, t->fingerprint, why, sizeof why);
  if (!t->ca_file[0] && !t->fingerprint[0] && !atomic_exchange(&t->warned_unverified, true)) {
    char fp[96] = "unknown";
    ipp_tls_fingerprint(creds, fp, sizeof fp);
    sr_host->log(t->self, SR_LOG_WARN,
                 "%s is encrypted but not authenticated: set ca_file or fingerprint (%s)", c->peer,
                 fp);
  }
  httpFreeCredentials(creds);
  if (!trusted) {
    sr_host->set_error(t->self, SR_ERR_PEER, "%s: %s", c->peer, why);
    return SR_ERR_PEER;
  }
  return SR_OK;
}
#endif

static int ipp_open(void *instance, const char *uri, void **conn) {
  ipp_instance *t = instance;
  char scheme[32], user[64], host[256], resource[256];
  int port = 0;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, uri, scheme, sizeof scheme, user, sizeof user, host,
                      sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      strcmp(scheme, SCHEME) != 0 || !host[0]) {
    sr_host->set_error(t->self, SR_ERR_INVALID, "not an %s:// URI: %s", SCHEME, uri);
    return SR_ERR_INVALID;
  }
  ipp_conn *c = sr_host->alloc(sizeof *c);
  if (!c)
    return SR_ERR_NOMEM;
  c->instance = t;
  snprintf(c->uri, sizeof c->uri, "%s", uri);
  snprintf(c->resource, sizeof c->resource, "%s", resource[0] ? resource : "/");
  snprintf(c->peer, sizeof c->peer, "%s:%d", host, port);
  int cancel = 0;
  c->http =
      httpConnect2(host, port, NULL, AF_UNSPEC, ENCRYPTION, 1, (int)t->connect_timeout_ms, &cancel);
  if (!c->http) {
    sr_host->set_error(t->self, SR_ERR_CONNECT, "cannot connect to %s%s: %s", c->peer,
                       ENCRYPTION == HTTP_ENCRYPTION_ALWAYS ? " with TLS" : "",
                       cupsLastErrorString());
    sr_host->free(c);
    return SR_ERR_CONNECT;
  }
#ifdef IPP_TRANSPORT_TLS
  int status = check_certificate(t, c, host);
  if (status != SR_OK) {
    httpClose(c->http);
    sr_host->free(c);
    return status;
  }
#endif
  *conn = c;
  return SR_OK;
}

static const char *keyword_or(const char *value, const char *fallback) {
  return value && *value ? value : fallback;
}

/* True for the answers that mean "not now" (RFC 8011 5.4.32, 5.4.34,
 * 5.4.35): the printer kept nothing and will take the job later. */
static bool busy_status(ipp_status_t status) {
  return status == IPP_STATUS_ERROR_BUSY || status == IPP_STATUS_ERROR_SERVICE_UNAVAILABLE ||
         status == IPP_STATUS_ERROR_TEMPORARY;
}

/* printer-state-reasons that pass by themselves (PWG 5100.9): a printer
 * stopped for one of these takes jobs again shortly. */
static bool passing_reason(const char *reason) {
  static const char *const passing[] = {"spool-area-full", "moving-to-paused",
                                        "connecting-to-device", "timed-out", NULL};
  for (size_t i = 0; passing[i]; i++)
    if (strncmp(reason, passing[i], strlen(passing[i])) == 0)
      return true;
  return false;
}

/* Before any byte is sent: SR_ERR_BUSY if the printer says it takes no job
 * now but will (not accepting, or stopped for a passing reason), else SR_OK
 * (a printer that does not answer this is asked to print anyway; a stopped
 * one with another reason refuses Print-Job with its own message). */
static int printer_takes_jobs(ipp_conn *c) {
  ipp_instance *t = c->instance;
  ipp_t *request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, c->uri);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, t->user);
  static const char *const wanted[] = {"printer-state", "printer-state-reasons",
                                       "printer-is-accepting-jobs"};
  ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 3, NULL,
                wanted);
  ipp_t *response = cupsDoRequest(c->http, request, c->resource); /* frees request */
  int result = SR_OK;
  if (response && busy_status(cupsLastError())) {
    sr_host->set_error(t->self, SR_ERR_BUSY, "%s is busy: %s", c->peer, cupsLastErrorString());
    result = SR_ERR_BUSY;
  } else if (response && cupsLastError() <= IPP_STATUS_OK_CONFLICTING) {
    ipp_attribute_t *state = ippFindAttribute(response, "printer-state", IPP_TAG_ENUM);
    ipp_attribute_t *reasons = ippFindAttribute(response, "printer-state-reasons", IPP_TAG_KEYWORD);
    ipp_attribute_t *accepting =
        ippFindAttribute(response, "printer-is-accepting-jobs", IPP_TAG_BOOLEAN);
    const char *passing = NULL;
    for (int i = 0; reasons && i < ippGetCount(reasons); i++)
      if (passing_reason(ippGetString(reasons, i, NULL)))
        passing = ippGetString(reasons, i, NULL);
    if (accepting && !ippGetBoolean(accepting, 0)) {
      sr_host->set_error(t->self, SR_ERR_BUSY, "%s is not accepting jobs for now%s%s", c->peer,
                         passing ? ": " : "", passing ? passing : "");
      result = SR_ERR_BUSY;
    } else if (state && ippGetInteger(state, 0) == IPP_PSTATE_STOPPED && passing) {
      sr_host->set_error(t->self, SR_ERR_BUSY, "%s is stopped for now: %s", c->peer, passing);
      result = SR_ERR_BUSY;
    }
  }
  ippDelete(response);
  return result;
}

static int ipp_send(void *conn, const sr_job_attrs *attrs, sr_read_fn read, void *read_ctx) {
  ipp_conn *c = conn;
  ipp_instance *t = c->instance;
  int ready = printer_takes_jobs(c);
  if (ready != SR_OK)
    return ready;
  ipp_t *request = ippNewRequest(IPP_OP_PRINT_JOB);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, c->uri);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
               keyword_or(attrs->user_name, t->user));
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL,
               keyword_or(attrs->job_name, "securerelease job"));
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
               keyword_or(attrs->document_format, "application/octet-stream"));
  ippAddInteger(request, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies",
                attrs->copies > 0 ? attrs->copies : 1);
  if (attrs->sides && *attrs->sides)
    ippAddString(request, IPP_TAG_JOB, IPP_TAG_KEYWORD, "sides", NULL, attrs->sides);
  if (attrs->color_mode && *attrs->color_mode)
    ippAddString(request, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL,
                 attrs->color_mode);

  /* cupsSendRequest takes ownership of nothing; we free `request`. Until
   * the first document byte is written a failure may fall back. */
  http_status_t http_status = cupsSendRequest(c->http, request, c->resource, CUPS_LENGTH_VARIABLE);
  ippDelete(request);
  if (http_status == HTTP_STATUS_SERVICE_UNAVAILABLE) {
    sr_host->set_error(t->self, SR_ERR_BUSY, "%s is busy (HTTP 503)", c->peer);
    return SR_ERR_BUSY;
  }
  if (http_status != HTTP_STATUS_CONTINUE) {
    sr_host->set_error(t->self, SR_ERR_CONNECT, "%s refused the job request: %s", c->peer,
                       cupsLastErrorString());
    return SR_ERR_CONNECT;
  }
  char buf[65536];
  int64_t sent = 0;
  for (;;) {
    int64_t got = read(read_ctx, buf, sizeof buf);
    if (got < 0) {
      sr_host->set_error(t->self, SR_ERR_IO, "reading the document failed");
      httpShutdown(c->http); /* the printer must not print half a document */
      return got == SR_ERR_CONNECT ? SR_ERR_IO : (int)got;
    }
    if (got == 0)
      break;
    if (cupsWriteRequestData(c->http, buf, (size_t)got) != HTTP_STATUS_CONTINUE) {
      /* a printer may answer "busy" before it read the whole document */
      ipp_t *early = cupsGetResponse(c->http, c->resource);
      bool busy = early && busy_status(cupsLastError());
      ippDelete(early);
      if (busy) {
        sr_host->set_error(t->self, SR_ERR_BUSY, "%s is busy: %s", c->peer, cupsLastErrorString());
        return SR_ERR_BUSY;
      }
      sr_host->set_error(t->self, SR_ERR_IO, "%s: sending failed after %lld bytes: %s", c->peer,
                         (long long)sent, cupsLastErrorString());
      return SR_ERR_IO;
    }
    sent += got;
  }
  ipp_t *response = cupsGetResponse(c->http, c->resource);
  ipp_status_t status = cupsLastError();
  int result = SR_OK;
  if (response && busy_status(status)) {
    sr_host->set_error(t->self, SR_ERR_BUSY, "%s is busy: %s (%s)", c->peer, ippErrorString(status),
                       cupsLastErrorString());
    result = SR_ERR_BUSY;
  } else if (!response || status > IPP_STATUS_OK_CONFLICTING) {
    sr_host->set_error(t->self, SR_ERR_PEER, "%s did not accept the job: %s (%s)", c->peer,
                       ippErrorString(status), cupsLastErrorString());
    result = SR_ERR_PEER;
  } else {
    ipp_attribute_t *id = ippFindAttribute(response, "job-id", IPP_TAG_INTEGER);
    c->job_id = id ? ippGetInteger(id, 0) : 0;
    sr_host->log(t->self, SR_LOG_INFO, "%s accepted %lld bytes as job %d", c->peer, (long long)sent,
                 c->job_id);
  }
  ippDelete(response);
  return result;
}

static int job_request_state(ipp_conn *c, sr_transport_status *out) {
  ipp_instance *t = c->instance;
  if (c->job_id <= 0) {
    sr_host->set_error(t->self, SR_ERR_INVALID, "no job was created at %s", c->peer);
    return SR_ERR_INVALID;
  }
  ipp_t *request = ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, c->uri);
  ippAddInteger(request, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", c->job_id);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, t->user);
  static const char *const wanted[] = {"job-state", "job-state-reasons", "job-state-message"};
  ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 3, NULL,
                wanted);
  ipp_t *response = cupsDoRequest(c->http, request, c->resource); /* frees request */
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    sr_host->set_error(t->self, SR_ERR_PEER, "%s: Get-Job-Attributes failed: %s", c->peer,
                       cupsLastErrorString());
    ippDelete(response);
    return SR_ERR_PEER;
  }
  ipp_attribute_t *state = ippFindAttribute(response, "job-state", IPP_TAG_ENUM);
  ipp_attribute_t *message = ippFindAttribute(response, "job-state-message", IPP_TAG_TEXT);
  ipp_attribute_t *reasons = ippFindAttribute(response, "job-state-reasons", IPP_TAG_KEYWORD);
  switch (state ? ippGetInteger(state, 0) : 0) {
  case IPP_JSTATE_PENDING:
  case IPP_JSTATE_HELD: out->state = SR_PRINT_PENDING; break;
  case IPP_JSTATE_PROCESSING:
  case IPP_JSTATE_STOPPED: out->state = SR_PRINT_PROCESSING; break;
  case IPP_JSTATE_CANCELED: out->state = SR_PRINT_CANCELED; break;
  case IPP_JSTATE_ABORTED: out->state = SR_PRINT_ABORTED; break;
  case IPP_JSTATE_COMPLETED: out->state = SR_PRINT_COMPLETED; break;
  default: out->state = SR_PRINT_UNKNOWN; break;
  }
  const char *why = message   ? ippGetString(message, 0, NULL)
                    : reasons ? ippGetString(reasons, 0, NULL)
                              : "";
  snprintf(out->reason, sizeof out->reason, "%s", why ? why : "");
  ippDelete(response);
  return SR_OK;
}

static int ipp_job_state(void *conn, sr_transport_status *out) {
  return job_request_state(conn, out);
}

static int ipp_cancel(void *conn) {
  ipp_conn *c = conn;
  ipp_instance *t = c->instance;
  ipp_t *request = ippNewRequest(IPP_OP_CANCEL_JOB);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, c->uri);
  ippAddInteger(request, IPP_TAG_OPERATION, IPP_TAG_INTEGER, "job-id", c->job_id);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, t->user);
  ippDelete(cupsDoRequest(c->http, request, c->resource));
  if (cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    sr_host->set_error(t->self, SR_ERR_PEER, "%s: Cancel-Job failed: %s", c->peer,
                       cupsLastErrorString());
    return SR_ERR_PEER;
  }
  return SR_OK;
}

static void ipp_close(void *conn) {
  ipp_conn *c = conn;
  httpClose(c->http);
  sr_host->free(c);
}

static const sr_transport_ops ipp_ops = {
    .base = {.check_config = ipp_check_config, .create = ipp_create, .destroy = ipp_destroy},
    .claims = ipp_claims,
    .open = ipp_open,
    .send = ipp_send,
    .job_state = ipp_job_state,
    .cancel = ipp_cancel,
    .close = ipp_close,
};

/* Instances hold their configuration and a warn-once flag (atomic); each
 * connection is its own, so releases to several printers run at once. */
#ifdef IPP_TRANSPORT_TLS
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_TRANSPORT, PLUGIN_NAME, "1.0.0", "IPP over TLS (Print-Job)",
                        ipp_ops, 0, SR_PLUGIN_THREAD_SAFE)
#else
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_TRANSPORT, PLUGIN_NAME, "1.0.0", "IPP in plain text (Print-Job)",
                        ipp_ops, 0, SR_PLUGIN_THREAD_SAFE)
#endif
