#include "heartbeat.h"

#include "log.h"
#include "sr/abi.h"

#define HEARTBEAT_DEFAULT_S 30.0
#define HEARTBEAT_MAX_S 600.0 /* the cloud's site_heartbeat allows no more */

static void send_heartbeat(heartbeat *hb);

static void schedule(heartbeat *hb) {
  if (hb->stopped)
    return;
  ev_timer_set(&hb->timer, hb->interval, 0.);
  ev_timer_start(hb->loop, &hb->timer);
}

/* The cloud's answer: its interval for the next call, or why none came
 * (logged when calls start failing and when they work again, not each
 * time). */
static void answered(void *ctx, int status, json_t *reply, const char *err) {
  heartbeat *hb = ctx;
  if (status == 200) {
    json_t *interval = json_object_get(reply, "interval");
    if (json_is_integer(interval) && json_integer_value(interval) >= 1 &&
        json_integer_value(interval) <= HEARTBEAT_MAX_S)
      hb->interval = (double)json_integer_value(interval);
    if (hb->failing)
      sr_log(SR_LOG_INFO, "heartbeat", "the cloud answers heartbeats again: listed online");
    hb->failing = false;
  } else if (!hb->failing && !hb->stopped) {
    if (status == 0)
      sr_log(SR_LOG_WARN, "heartbeat",
             "%s; this site is listed offline until the cloud can be reached (check "
             "cloud_url and the network)",
             err);
    else
      sr_log(SR_LOG_WARN, "heartbeat",
             "the cloud answered the heartbeat with %d: %s; this site is listed offline (if "
             "its certificate was refused, enroll it again)",
             status, sr_cloud_error_message(reply, "no reason given"));
    hb->failing = true;
  }
  json_decref(reply);
  schedule(hb);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop;
  (void)revents;
  send_heartbeat(w->data);
}

static void send_heartbeat(heartbeat *hb) {
  if (sr_cloud_call_async(hb->cloud, "POST", "/api/v1/site/heartbeat", hb->body, NULL, answered,
                          hb) != SR_OK) {
    sr_log(SR_LOG_WARN, "heartbeat", "cannot start a heartbeat call (out of memory); retrying");
    schedule(hb);
  }
}

void heartbeat_start(heartbeat *hb, struct ev_loop *loop, sr_cloud_client *cloud,
                     const char *public_url, const char *spki, const char *fingerprint) {
  /* null, not absent, when there is none: the cloud forgets an old one */
  *hb = (heartbeat){.loop = loop,
                    .cloud = cloud,
                    .interval = HEARTBEAT_DEFAULT_S,
                    .body = json_pack("{s:o, s:{s:s, s:s}}", "public_url",
                                      *public_url ? json_string(public_url) : json_null(),
                                      "submission_key", "spki", spki, "fingerprint", fingerprint)};
  ev_timer_init(&hb->timer, on_timer, 0., 0.);
  hb->timer.data = hb;
  send_heartbeat(hb);
}

void heartbeat_stop(heartbeat *hb) {
  if (!hb->loop)
    return; /* never started */
  hb->stopped = true;
  ev_timer_stop(hb->loop, &hb->timer);
  json_decref(hb->body); /* the call in flight copied it */
  hb->body = NULL;
}
