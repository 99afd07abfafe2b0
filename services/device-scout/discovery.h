/*
 * Discovery: one scan of the site's networks from start to result —
 * host names resolved off the loop, the SNMP scan (scan_engine.h), the
 * IPP and RAW ports of agents with a Printer MIB checked (scan_ports.h),
 * every agent offered to the device drivers (off the loop) — then the
 * result JSON written to
 * state_dir/discovery.json and handed to `on_result`. In the running
 * service scans come on the configured schedule; `sr-device-scout discover
 * --once` runs one from the command line.
 */
#ifndef SR_DISCOVERY_H
#define SR_DISCOVERY_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>

#include "instance.h"
#include "scan_engine.h"
#include "scan_ports.h"
#include "scan_targets.h"
#include "service_config.h"
#include "worker_pool.h"

/* Where a finished scan's result goes (the cloud upload: the inventory's
 * discovery_upload). `result` is borrowed for the call. */
typedef void (*discovery_result_fn)(void *ctx, json_t *result);
/* Called after each scan (after on_result); ok false when it failed. */
typedef void (*discovery_finished_fn)(void *ctx, bool ok, const char *error);

typedef struct discovery_found discovery_found;

typedef struct discovery {
  /* set by the caller before discovery_start / discovery_schedule */
  struct ev_loop *loop;
  const sr_config *doc; /* for state_dir relative to the file */
  const sr_device_scout_config *cfg;
  sr_instance **drivers; /* identify printers; borrowed */
  size_t n_drivers;
  discovery_result_fn on_result;
  void *result_ctx;
  discovery_finished_fn on_finished;
  void *finished_ctx;
  bool progress; /* a progress bar with an ETA on stderr */
  /* state */
  sr_worker_pool *pool;
  scan_targets targets;
  scan_engine *engine;
  discovery_found *devices;
  size_t n_devices;
  scan_port_check *port_checks;
  size_t n_port_checks;
  time_t started_at;
  double started_mono;
  bool running;
  bool stopping; /* discovery_free has begun: late callbacks do nothing */
  ev_timer progress_timer, schedule_timer;
  char error[512];
  json_t *last; /* the last result, owned */
} discovery;

/* Starts one scan now; false (with d->error) if one is running or it
 * could not start. */
bool discovery_start(discovery *d);

/* Scans on the configured schedule (nothing when `every` is never). */
void discovery_schedule(discovery *d);
/* `discover --once`: one scan, its progress on a terminal's stderr, the
 * table or the JSON on stdout; with `to_cloud` the result is also sent to
 * the cloud (discovery_upload.h) and a failure to send it fails the run.
 * Returns the exit status. */
int discovery_once(sr_config *doc, const sr_service_config *cfg, bool as_json, bool to_cloud);

/* Stops a running scan and the schedule, frees everything. */
void discovery_free(discovery *d);

#endif
