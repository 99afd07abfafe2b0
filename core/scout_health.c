#include "scout_health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aead.h"
#include "log.h"
#include "sr/abi.h"

#define DEFAULT_EVERY_S 86400.0
#define DEFAULT_MIN_GAP_S 60.0
#define CHECK_EVERY_S 5.0 /* how often a change is looked for */

struct sr_scout_health {
  sr_scout_health_options o;
  ev_timer timer;
  double started;       /* ev_now at start: the uptime's origin */
  double last_sent;     /* ev_now of the last report's answer (or of its call) */
  char *last_sent_body; /* that report without its uptime: what "changed" compares */
  bool in_flight;       /* a call has not answered yet */
  bool stopped;         /* freed while a call was in flight: the answer frees it */
  bool failing;         /* the last call failed (logged once, until one works) */
  char config_hash[17]; /* 16 hex digits of SHA-256 of the configuration file */
};

/* Hashes the configuration file: the cloud can tell which scouts run the
 * same configuration without ever seeing it (it holds secrets' paths). */
static void hash_config(const char *path, char out[17]) {
  snprintf(out, 17, "unreadable");
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f)
    return;
  static char buf[1 << 20]; /* configuration files are small; at start only */
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  uint8_t digest[32];
  sr_sha256(buf, n, digest);
  for (int i = 0; i < 8; i++)
    snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* Everything but the uptime. Caller decrefs. */
static json_t *report_without_uptime(sr_scout_health *h) {
  sr_log_error errors[SR_LOG_RECENT_ERRORS];
  size_t n = sr_log_recent_errors(errors, SR_LOG_RECENT_ERRORS);
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, json_pack("{s:I, s:s}", "at", (json_int_t)errors[i].at, "message",
                                          errors[i].message));
  int held = h->o.held_jobs ? h->o.held_jobs(h->o.held_jobs_ctx) : 0;
  return json_pack("{s:s, s:i, s:o, s:s}", "version", SR_VERSION, "held_jobs", held, "last_errors",
                   list, "config_version", h->config_hash);
}

json_t *sr_scout_health_report(sr_scout_health *h) {
  json_t *report = report_without_uptime(h);
  json_object_set_new(report, "uptime", json_integer((json_int_t)(ev_now(h->o.loop) - h->started)));
  return report;
}

static void answered(void *ctx, int status, json_t *reply, const char *err) {
  sr_scout_health *h = ctx;
  h->in_flight = false;
  /* the gap counts from the answer: the cloud received it before that, and
   * the loop may have run late since the call was made */
  h->last_sent = ev_now(h->o.loop);
  if (h->stopped) {
    json_decref(reply);
    sr_scout_health_free(h);
    return;
  }
  if (status == 204 || status == 200) {
    h->failing = false;
  } else if (!h->failing) { /* a warning, not an error: it would be the next report's news */
    if (status)
      sr_log(SR_LOG_WARN, "health",
             "the cloud refused the health report with %d: %s (is this scout enrolled?)", status,
             sr_cloud_error_message(reply, "no reason given"));
    else
      sr_log(SR_LOG_WARN, "health", "health report not sent: %s; trying again later", err);
    h->failing = true;
    free(h->last_sent_body); /* send it again min_gap after this one */
    h->last_sent_body = NULL;
  }
  json_decref(reply);
}

/* Sends a report if one is due: the first, a changed one (not within
 * min_gap of the last), or the periodic one. */
static void maybe_send(sr_scout_health *h) {
  if (h->in_flight)
    return;
  double now = ev_now(h->o.loop);
  json_t *report = report_without_uptime(h);
  char *body = json_dumps(report, JSON_COMPACT | JSON_SORT_KEYS);
  /* never sent, or the last one failed: last_sent_body is NULL (changed) */
  bool changed = !h->last_sent_body || !body || strcmp(body, h->last_sent_body) != 0;
  bool due = now - h->last_sent >= (changed ? h->o.min_gap : h->o.every);
  if (due && body) {
    json_object_set_new(report, "uptime", json_integer((json_int_t)(now - h->started)));
    if (sr_cloud_call_async(h->o.cloud, "PUT", "/api/v1/scout/health", report, NULL, answered, h) ==
        SR_OK) {
      h->in_flight = true;
      h->last_sent = now;
      free(h->last_sent_body);
      h->last_sent_body = body;
      body = NULL;
    }
  }
  free(body);
  json_decref(report);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop;
  (void)revents;
  maybe_send(w->data);
}

sr_scout_health *sr_scout_health_start(const sr_scout_health_options *options) {
  sr_scout_health *h = calloc(1, sizeof *h);
  if (!h)
    return NULL;
  h->o = *options;
  if (h->o.every <= 0)
    h->o.every = DEFAULT_EVERY_S;
  if (h->o.min_gap <= 0)
    h->o.min_gap = DEFAULT_MIN_GAP_S;
  h->started = ev_now(h->o.loop);
  h->last_sent = h->started - h->o.min_gap; /* the first report is due now */
  hash_config(h->o.config_path, h->config_hash);
  double check = h->o.min_gap < CHECK_EVERY_S ? h->o.min_gap : CHECK_EVERY_S;
  ev_timer_init(&h->timer, on_timer, check, check);
  h->timer.data = h;
  ev_timer_start(h->o.loop, &h->timer);
  ev_unref(h->o.loop); /* the reports alone do not keep a service running */
  maybe_send(h);
  return h;
}

void sr_scout_health_free(sr_scout_health *h) {
  if (!h)
    return;
  if (!h->stopped) {
    ev_ref(h->o.loop);
    ev_timer_stop(h->o.loop, &h->timer);
    h->stopped = true;
  }
  if (h->in_flight)
    return; /* the answer (or the client's end) frees it */
  free(h->last_sent_body);
  free(h);
}
