/*
 * A scout's health report to the cloud (PUT /api/v1/scout/health, with the
 * scout's client certificate): its version, uptime, held jobs, last error
 * lines (log.h keeps them) and a hash of its configuration file, so an
 * administrator sees in `srctl scout list` what each scout runs and whether
 * it is failing. Sent at start, every `every` seconds, and when a field
 * other than the uptime changes, but at most once per `min_gap`. The
 * calls run on the loop (curl's multi interface): nothing here blocks.
 */
#ifndef SR_CORE_SCOUT_HEALTH_H
#define SR_CORE_SCOUT_HEALTH_H

#include <ev.h>
#include <jansson.h>

#include "cloud_client.h"

typedef struct sr_scout_health sr_scout_health;

typedef struct sr_scout_health_options {
  struct ev_loop *loop;
  sr_cloud_client *cloud;  /* borrowed, given `loop`; must outlive the reporter */
  const char *config_path; /* the configuration file, hashed once at start */
  double every;            /* seconds between two reports when nothing changes; 0: a day */
  double min_gap;          /* seconds at least between two reports; 0: 60 */
  /* Jobs held now (NULL: 0); called on the loop's thread. */
  int (*held_jobs)(void *ctx);
  void *held_jobs_ctx;
} sr_scout_health_options;

/* Sends the first report now. The caller owns the result
 * (sr_scout_health_free); NULL if out of memory. */
sr_scout_health *sr_scout_health_start(const sr_scout_health_options *options);

/* Stops the reports (a call in flight ends without another). On the
 * loop's thread, before the cloud client is freed. NULL is fine. */
void sr_scout_health_free(sr_scout_health *h);

/* The report as it would be sent now (caller decrefs): for tests. */
json_t *sr_scout_health_report(sr_scout_health *h);

#endif
