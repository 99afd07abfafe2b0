/*
 * The print scout's health report (core scout_health.h): version, uptime,
 * the jobs it holds, its last errors and its configuration's hash, sent
 * at start, daily and when they change, on a cloud connection of its own
 * that runs on the loop (the scout's other connections are used
 * synchronously by its threads).
 */
#ifndef SCOUT_HEALTH_REPORT_H
#define SCOUT_HEALTH_REPORT_H

#include <ev.h>

#include "cloud_client.h"
#include "job_table.h"
#include "scout_health.h"

typedef struct scout_health_report {
  sr_cloud_client *cloud; /* owned */
  sr_scout_health *health;
} scout_health_report;

/* Starts the reports about `jobs` (borrowed: it must outlive
 * scout_health_report_stop) through `cloud`, which the report takes (freed
 * by scout_health_report_stop, also when this fails). False if out of
 * memory. */
bool scout_health_report_start(scout_health_report *r, struct ev_loop *loop, sr_cloud_client *cloud,
                               const char *config_path, scout_job_table *jobs);

/* Stops the reports and frees their connection. On the loop's thread.
 * Fine on a report never started (zeroed). */
void scout_health_report_stop(scout_health_report *r);

#endif
