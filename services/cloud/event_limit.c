/*
 * Scouts' events are untrusted input arriving as fast as a scout can
 * publish: each costs database work, and each bad one used to cost a log
 * line, so one scout could flood the cloud's log (2,000 bogus events, 2,000
 * warnings in a second). Every scout gets a token bucket; events beyond it
 * are dropped and counted, and bad events are counted too. Nothing is
 * logged per event: one line per scout and interval says what was dropped
 * or bad. Scout ids (certificate CNs) are unique across tenants and the
 * broker's ACL pins each scout to its own id in the topic, so the id alone
 * keys the bucket (the topic's tenant segment is the scout's to choose).
 * Per process: each cloud instance limits the share of events it gets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

/* A release costs two to four events (printing, waiting in the printer's
 * line, printing at its turn, printed) and a line reports positions every
 * few seconds: a "release all" of 100 jobs overruns this bucket, so an
 * outcome (printed, failed) gets past it while the scout has open releases
 * (cloud_events_admit_outcome): those are bounded by the releases the
 * cloud itself started, and losing one would leave a printed job
 * `printing` and then held again. */
#define EVENT_BURST 200.0
#define EVENT_RATE 20.0
#define REPORT_INTERVAL 5.0 /* seconds between a scout's summary lines */
#define IDLE_FORGET 60.0    /* a quiet scout's bucket is full again by then */
#define SLOTS 256
#define REASK_EVERY 5.0 /* seconds between two re-asks of one scout's releases */

typedef struct scout_events {
  char scout[64];
  double tokens, refilled_at, seen_at;
  double open_read_at; /* when open_left was read from the database */
  int64_t open_left;   /* outcomes still let past the bucket until then */
  double reasked_at;   /* when its releases were last asked again (presence) */
  unsigned long counts[CLOUD_EVENT_KINDS];
  struct scout_events *next;
} scout_events;

static scout_events *slots[SLOTS];
static double last_report;

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static scout_events *lookup(const char *scout, double now) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (const char *p = scout; *p; p++)
    h = (h ^ (unsigned char)*p) * 16777619u;
  scout_events **slot = &slots[h % SLOTS];
  for (scout_events *e = *slot; e; e = e->next)
    if (strcmp(e->scout, scout) == 0)
      return e;
  scout_events *e = calloc(1, sizeof *e);
  if (!e)
    return NULL;
  snprintf(e->scout, sizeof e->scout, "%s", scout);
  e->tokens = EVENT_BURST;
  e->refilled_at = now;
  e->next = *slot;
  *slot = e;
  return e;
}

static bool take_token(scout_events *e, double now) {
  e->seen_at = now;
  e->tokens += (now - e->refilled_at) * EVENT_RATE;
  if (e->tokens > EVENT_BURST)
    e->tokens = EVENT_BURST;
  e->refilled_at = now;
  if (e->tokens < 1.0)
    return false;
  e->tokens -= 1.0;
  return true;
}

bool cloud_events_admit(const char *scout) {
  double now = now_seconds();
  scout_events *e = lookup(scout, now);
  if (!e)
    return false; /* out of memory: shedding load is the safe side */
  if (take_token(e, now))
    return true;
  e->counts[CLOUD_EVENT_DROPPED]++;
  return false;
}

bool cloud_events_reask_due(const char *scout) {
  double now = now_seconds();
  scout_events *e = lookup(scout, now);
  if (!e || (e->reasked_at > 0 && now - e->reasked_at < REASK_EVERY))
    return false;
  e->reasked_at = now;
  return true;
}

bool cloud_events_admit_outcome(cloud *c, const char *tenant, const char *scout) {
  double now = now_seconds();
  scout_events *e = lookup(scout, now);
  if (!e)
    return false;
  if (take_token(e, now))
    return true;
  /* over the rate: as many outcomes a second as the scout has releases
   * open (read at most once a second, so a flood costs one count) */
  if (now - e->open_read_at >= 1.0) {
    json_t *row = cloud_db_row(c->db,
                               "SELECT count(*) AS n FROM releases WHERE tenant = ? AND scout = ? "
                               "AND state IN ('releasing', 'printing')",
                               "tt", tenant, scout);
    e->open_left = cloud_row_int(row, "n");
    e->open_read_at = now;
    json_decref(row);
  }
  if (e->open_left > 0) {
    e->open_left--;
    e->counts[CLOUD_EVENT_OUTCOME_OVER]++;
    return true;
  }
  e->counts[CLOUD_EVENT_DROPPED]++;
  return false;
}

void cloud_events_note(const char *scout, cloud_event_kind kind) {
  scout_events *e = lookup(scout, now_seconds());
  if (e)
    e->counts[kind]++;
}

static void report_one(scout_events *e, double interval) {
  unsigned long *n = e->counts;
  if (!n[CLOUD_EVENT_DROPPED] && !n[CLOUD_EVENT_MALFORMED] && !n[CLOUD_EVENT_UNKNOWN] &&
      !n[CLOUD_EVENT_OUTCOME_OVER] && !n[CLOUD_EVENT_STALE])
    return;
  sr_log(SR_LOG_WARN, "events",
         "scout %s in the last %.0f s: %lu events dropped (over %.0f a second), %lu outcomes "
         "of open releases let through over that rate, %lu malformed, %lu for unknown releases, "
         "%lu for releases another deliverer holds now",
         e->scout, interval, n[CLOUD_EVENT_DROPPED], EVENT_RATE, n[CLOUD_EVENT_OUTCOME_OVER],
         n[CLOUD_EVENT_MALFORMED], n[CLOUD_EVENT_UNKNOWN], n[CLOUD_EVENT_STALE]);
  memset(e->counts, 0, sizeof e->counts);
}

void cloud_events_report(bool final) {
  double now = now_seconds();
  if (!final && now - last_report < REPORT_INTERVAL)
    return;
  double interval = last_report > 0 ? now - last_report : REPORT_INTERVAL;
  last_report = now;
  for (size_t i = 0; i < SLOTS; i++) {
    scout_events **link = &slots[i];
    while (*link) {
      scout_events *e = *link;
      report_one(e, interval);
      if (final || now - e->seen_at > IDLE_FORGET) {
        *link = e->next;
        free(e);
      } else {
        link = &e->next;
      }
    }
  }
}
