#include "delivery.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Counts what a transport read, so the chain knows when to rewind. */
typedef struct counted_source {
  const sr_delivery_source *source;
  int64_t bytes;
} counted_source;

static int64_t counted_read(void *ctx, void *buf, size_t len) {
  counted_source *c = ctx;
  int64_t got = c->source->read(c->source->ctx, buf, len);
  if (got > 0)
    c->bytes += got;
  return got;
}

static void append_reason(sr_delivery_result *r, const char *fmt, ...) SR_PRINTF(2, 3);
static void append_reason(sr_delivery_result *r, const char *fmt, ...) {
  size_t used = strlen(r->reason);
  if (used && used + 2 < sizeof r->reason) {
    strcpy(r->reason + used, "; ");
    used += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->reason + used, sizeof r->reason - used, fmt, ap);
  va_end(ap);
}

/* The first URI whose scheme the transport claims, or NULL. */
static const char *uri_for(sr_instance *t, const char *const *uris, size_t n_uris) {
  const sr_transport_ops *ops = &sr_instance_ops_of(t)->transport;
  for (size_t i = 0; i < n_uris; i++) {
    const char *colon = strchr(uris[i], ':');
    char scheme[32];
    if (!colon || (size_t)(colon - uris[i]) >= sizeof scheme)
      continue;
    memcpy(scheme, uris[i], (size_t)(colon - uris[i]));
    scheme[colon - uris[i]] = '\0';
    if (ops->claims(t->state, scheme))
      return uris[i];
  }
  return NULL;
}

static const char *plugin_reason(sr_instance *t, int status) {
  const char *why = sr_plugin_last_error(t->plugin);
  return *why ? why : sr_status_name(status);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Follows the printer's job until it ends; returns the delivery status. */
static int follow_job(sr_instance *t, void *conn, const sr_delivery_options *o,
                      sr_delivery_result *r) {
  const sr_transport_ops *ops = &sr_instance_ops_of(t)->transport;
  if (!ops->job_state) {
    r->state = SR_PRINT_UNKNOWN;
    return SR_OK;
  }
  int timeout = o && o->job_timeout_ms > 0 ? o->job_timeout_ms : 120000;
  int interval = o && o->poll_interval_ms > 0 ? o->poll_interval_ms : 50;
  for (int waited = 0;; waited += interval) {
    sr_transport_status st = {.struct_size = sizeof st};
    sr_instance_call_begin(t);
    int status = ops->job_state(conn, &st);
    sr_instance_call_end(t);
    if (status != SR_OK) {
      append_reason(r, "%s: job state unknown: %s", t->name, plugin_reason(t, status));
      /* the printer has the document: neither fall back nor try again */
      return status == SR_ERR_CONNECT || status == SR_ERR_BUSY ? SR_ERR_PEER : status;
    }
    r->state = st.state;
    switch (st.state) {
    case SR_PRINT_COMPLETED:
    case SR_PRINT_UNKNOWN: return SR_OK;
    case SR_PRINT_CANCELED:
    case SR_PRINT_ABORTED:
      append_reason(r, "%s: the printer %s the job%s%s", t->name,
                    st.state == SR_PRINT_CANCELED ? "canceled" : "aborted", *st.reason ? ": " : "",
                    st.reason);
      return SR_ERR_PEER;
    default: break;
    }
    if (waited >= timeout) {
      append_reason(r, "%s: the printer did not finish the job within %d s (%s)", t->name,
                    timeout / 1000, *st.reason ? st.reason : "no reason given");
      return SR_ERR_TIMEOUT;
    }
    sleep_ms(interval);
  }
}

int sr_deliver(sr_instance *const *transports, size_t n_transports, const char *const *uris,
               size_t n_uris, const sr_job_attrs *attrs, const sr_delivery_source *source,
               const sr_delivery_options *options, sr_delivery_result *result) {
  memset(result, 0, sizeof *result);
  result->status = SR_ERR_CONNECT;
  counted_source counted = {.source = source};
  for (size_t i = 0; i < n_transports; i++) {
    sr_instance *t = transports[i];
    const sr_transport_ops *ops = &sr_instance_ops_of(t)->transport;
    const char *uri = uri_for(t, uris, n_uris);
    if (!uri) {
      append_reason(result, "%s: the printer has no URI for it", t->name);
      continue;
    }
    snprintf(result->transport, sizeof result->transport, "%s", t->name);
    snprintf(result->uri, sizeof result->uri, "%s", uri);
    if (counted.bytes > 0) {
      int status = source->rewind ? source->rewind(source->ctx) : SR_ERR_UNSUPPORTED;
      if (status != SR_OK) {
        append_reason(result, "cannot read the document again for %s", t->name);
        return result->status = status;
      }
      counted.bytes = 0;
    }
    void *conn = NULL;
    sr_instance_call_begin(t);
    int status = ops->open(t->state, uri, &conn);
    sr_instance_call_end(t);
    if (status == SR_OK) {
      sr_instance_call_begin(t);
      status = ops->send(conn, attrs, counted_read, &counted);
      sr_instance_call_end(t);
      if (status != SR_OK)
        append_reason(result, "%s: %s", t->name, plugin_reason(t, status));
      else
        status = follow_job(t, conn, options, result);
      sr_instance_call_begin(t);
      ops->close(conn);
      sr_instance_call_end(t);
    } else {
      append_reason(result, "%s: %s", t->name, plugin_reason(t, status));
    }
    result->status = status;
    if (status != SR_ERR_CONNECT) {
      /* busy is no failure: the caller tries the same printer again */
      sr_log(status == SR_OK || status == SR_ERR_BUSY ? SR_LOG_INFO : SR_LOG_WARN, "delivery",
             "%s via %s: %s",
             status == SR_OK         ? "delivered"
             : status == SR_ERR_BUSY ? "printer busy"
                                     : "failed",
             uri, status == SR_OK ? "ok" : result->reason);
      return status;
    }
  }
  if (!n_transports)
    append_reason(result, "no transport is configured");
  sr_log(SR_LOG_WARN, "delivery", "printer unreachable: %s", result->reason);
  return result->status;
}
