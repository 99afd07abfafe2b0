#include "discovery.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "device_pick.h"
#include "json_file.h"
#include "log.h"
#include "scan_ports.h"
#include "scan_schedule.h"
#include "sr/device.h"

/* What identification adds to an agent that answered. */
struct discovery_found {
  const scan_found *scan; /* owned by the engine */
  char snmp[80];          /* "ADDRESS:PORT" of its agent */
  int driver;             /* index into drivers, -1: none knew it */
  sr_device_identity identity;
};

static const char *const version_names[] = {"1", "2c", "3"};

/* ---- the schedule ---- */

static double random_unit(void) {
  uint32_t r = 0;
  if (getrandom(&r, sizeof r, 0) != sizeof r)
    r = (uint32_t)time(NULL);
  return r / 4294967296.0;
}

static void schedule_from(discovery *d, time_t from);

static void on_schedule(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  discovery *d = w->data;
  if (!discovery_start(d))
    sr_log(SR_LOG_WARN, "discovery", "scheduled scan not started: %s", d->error);
  /* the next one from the end of this window: never twice in one window */
  const sr_discovery_schedule_config *s = &d->cfg->discovery.schedule;
  int span = s->window_end - s->window_start;
  schedule_from(d, time(NULL) + 60 * (span > 0 ? span : span + 24 * 60));
}

static void schedule_from(discovery *d, time_t from) {
  time_t now = time(NULL);
  double delay = scan_schedule_next(&d->cfg->discovery.schedule, from, random_unit());
  if (delay < 0 || !d->cfg->discovery.targets)
    return;
  delay += difftime(from, now);
  ev_timer_stop(d->loop, &d->schedule_timer);
  ev_timer_init(&d->schedule_timer, on_schedule, delay, 0);
  d->schedule_timer.data = d;
  ev_timer_start(d->loop, &d->schedule_timer);
  sr_log(SR_LOG_INFO, "discovery", "next scan in %.0f s", delay);
}

void discovery_schedule(discovery *d) { schedule_from(d, time(NULL)); }

/* ---- progress on a terminal ---- */

static void draw_progress(discovery *d, bool last) {
  uint64_t done, total;
  scan_engine_progress(d->engine, &done, &total);
  double elapsed = ev_time() - d->started_mono;
  int width = 30, filled = total ? (int)(width * done / total) : width;
  char bar[64];
  for (int i = 0; i < width; i++)
    bar[i] = i < filled ? '#' : '.';
  bar[width] = 0;
  /* the engine keeps to its rate: what is left goes at that pace, then
   * the last requests wait out their timeout and retries */
  const sr_discovery_config *dc = &d->cfg->discovery;
  double left = (double)(total - done) / (double)dc->rate +
                (done < total ? (double)(dc->timeout * (dc->retries + 1)) : 0);
  char eta[32];
  snprintf(eta, sizeof eta, "%.0fs", left);
  size_t answered;
  scan_engine_found(d->engine, &answered);
  fprintf(stderr, "\r[%s] %llu/%llu address checks  %zu answered  %.0fs  ETA %s   %s", bar,
          (unsigned long long)done, (unsigned long long)total, answered, elapsed, eta,
          last ? "\n" : "");
  fflush(stderr);
}

static void on_progress(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  draw_progress(w->data, false);
}

/* ---- the result ---- */

static bool same_device(const scan_address *a, const scan_address *b) {
  return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static void add_text(json_t *o, const char *key, const char *value) {
  if (value && *value)
    json_object_set_new(o, key, json_string(value));
}

static json_t *device_json(const discovery *d, const discovery_found *f,
                           const scan_port_check *checks, size_t n_checks) {
  const scan_found *s = f->scan;
  const sr_discovery_credential *c = &d->cfg->discovery.credentials[s->credential];
  char address[64];
  scan_address_format(&s->address, address, sizeof address);
  json_t *o = json_object();
  json_object_set_new(o, "address", json_string(address));
  json_object_set_new(o, "snmp", json_string(f->snmp));
  json_object_set_new(o, "credential", json_string(c->name));
  json_object_set_new(o, "version", json_string(version_names[c->version]));
  bool printer = f->driver >= 0;
  json_object_set_new(o, "kind", json_string(printer ? "printer" : "other"));
  if (f->driver >= 0)
    json_object_set_new(o, "driver", json_string(d->drivers[f->driver]->name));
  add_text(o, "vendor", f->identity.vendor);
  add_text(o, "model", f->identity.model[0] ? f->identity.model : NULL);
  add_text(o, "serial", f->identity.serial[0] ? f->identity.serial : s->serial);
  add_text(o, "sys_object_id", s->sys_object_id);
  add_text(o, "sys_descr", s->sys_descr);
  if (printer) {
    json_t *uris = json_array();
    const sr_discovery_config *dc = &d->cfg->discovery;
    char host[80];
    snprintf(host, sizeof host, s->address.family == AF_INET6 ? "[%s]" : "%s", address);
    for (size_t i = 0; i < n_checks; i++) {
      if (!checks[i].open || !same_device(&checks[i].address, &s->address))
        continue;
      bool ipp = false;
      for (size_t k = 0; k < dc->n_ipp_ports; k++)
        ipp = ipp || dc->ipp_ports[k] == checks[i].port;
      json_array_append_new(uris, json_sprintf(ipp ? "ipp://%s:%d/ipp/print" : "socket://%s:%d",
                                               host, checks[i].port));
    }
    json_object_set_new(o, "uris", uris);
  }
  return o;
}

static json_t *result_json(const discovery *d, bool complete) {
  uint8_t raw[16];
  char id[33];
  if (getrandom(raw, sizeof raw, 0) != sizeof raw)
    memset(raw, 0, sizeof raw);
  for (size_t i = 0; i < sizeof raw; i++)
    snprintf(id + 2 * i, 3, "%02x", raw[i]);
  uint64_t done, total;
  scan_engine_progress(d->engine, &done, &total);
  json_t *devices = json_array();
  for (size_t i = 0; i < d->n_devices; i++)
    json_array_append_new(devices,
                          device_json(d, &d->devices[i], d->port_checks, d->n_port_checks));
  double send_seconds, answer_seconds;
  scan_engine_timing(d->engine, &send_seconds, &answer_seconds);
  return json_pack("{s:{s:s,s:I,s:I,s:b,s:I,s:I,s:f,s:f},s:o}", "scan", "id", id, "started_at",
                   (json_int_t)d->started_at, "finished_at", (json_int_t)time(NULL), "complete",
                   complete, "addresses", (json_int_t)(total / d->cfg->discovery.n_credentials),
                   "packets", (json_int_t)scan_engine_packets(d->engine), "send_seconds",
                   send_seconds, "last_answer_seconds", answer_seconds, "devices", devices);
}

/* The scan's working state goes; the last result stays. */
static void end_run(discovery *d) {
  ev_timer_stop(d->loop, &d->progress_timer);
  scan_engine_free(d->engine);
  d->engine = NULL;
  free(d->devices);
  d->devices = NULL;
  d->n_devices = 0;
  free(d->port_checks);
  d->port_checks = NULL;
  d->n_port_checks = 0;
  scan_targets_free(&d->targets);
  d->running = false;
}

static void finished(discovery *d, bool ok) {
  end_run(d);
  if (!ok)
    sr_log(SR_LOG_WARN, "discovery", "%s", d->error);
  if (d->on_finished)
    d->on_finished(d->finished_ctx, ok, ok ? NULL : d->error);
}

/* The result: written to state_dir, handed to on_result. */
static void publish(discovery *d) {
  json_decref(d->last);
  d->last = result_json(d, !d->error[0]);
  if (!d->last) {
    snprintf(d->error, sizeof d->error, "out of memory building the scan result");
    finished(d, false);
    return;
  }
  if (d->cfg->state_dir) {
    char dir[PATH_MAX - 32], path[PATH_MAX], err[512];
    sr_config_path(d->doc, d->cfg->state_dir, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/discovery.json", dir);
    /* the site's own state: made on first use, readable by the site only */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
      sr_log(SR_LOG_WARN, "discovery", "cannot make %s: %s (check state_dir)", dir,
             strerror(errno));
    else if (sr_json_file_write(path, d->last, err, sizeof err) != SR_OK)
      sr_log(SR_LOG_WARN, "discovery", "%s (check state_dir)", err);
  }
  /* the heap with every device and the result still held: bench/discovery
   * reads it to give the memory each device costs */
  struct mallinfo2 heap = mallinfo2();
  sr_log(SR_LOG_INFO, "discovery", "scan done: %zu agents answered, %lld packets, heap %zu bytes",
         d->n_devices, (long long)scan_engine_packets(d->engine), heap.uordblks);
  if (d->on_result)
    d->on_result(d->result_ctx, d->last); /* the cloud upload (inventory) */
  finished(d, true);
}

/* The first open IPP port of a device as its URI, or "" (for the
 * ipp_printer driver and the result). */
static void ipp_uri(const discovery *d, const scan_address *a, char *out, size_t size) {
  const sr_discovery_config *dc = &d->cfg->discovery;
  out[0] = 0;
  for (size_t i = 0; i < d->n_port_checks && !out[0]; i++) {
    const scan_port_check *c = &d->port_checks[i];
    for (size_t k = 0; c->open && same_device(&c->address, a) && k < dc->n_ipp_ports; k++)
      if (dc->ipp_ports[k] == c->port) {
        char address[64];
        scan_address_format(a, address, sizeof address);
        snprintf(out, size,
                 a->family == AF_INET6 ? "ipp://[%s]:%d/ipp/print" : "ipp://%s:%d/ipp/print",
                 address, c->port);
      }
  }
}

/* Every device is offered to the drivers (core/device_pick.c: the
 * highest score wins, ties to the driver listed first); one that no driver
 * claims is no printer. identify() may ask the device (ipp_printer): this
 * runs on the pool. */
static void identify_work(void *arg) {
  discovery *d = arg;
  for (size_t i = 0; i < d->n_devices; i++) {
    discovery_found *f = &d->devices[i];
    char address[64], uri[128];
    scan_address_format(&f->scan->address, address, sizeof address);
    ipp_uri(d, &f->scan->address, uri, sizeof uri);
    sr_device_probe probe = {.struct_size = sizeof probe,
                             .address = address,
                             .sys_object_id = f->scan->sys_object_id,
                             .sys_descr = f->scan->sys_descr,
                             .hr_device_descr = f->scan->hr_device_descr,
                             .ipp_uri = uri[0] ? uri : NULL,
                             .serial = f->scan->serial[0] ? f->scan->serial : NULL,
                             .snmp_address = f->snmp};
    f->driver = sr_device_pick(d->drivers, d->n_drivers, &probe, &f->identity);
  }
}

static void identify_done(void *arg) {
  discovery *d = arg;
  if (!d->stopping)
    publish(d);
}

/* The IPP and RAW ports of the agents with a Printer MIB are tried first,
 * so that the drivers see an IPP URI. */
static void on_ports_done(void *ctx) {
  discovery *d = ctx;
  if (sr_worker_pool_submit(d->pool, identify_work, identify_done, d) != SR_OK) {
    snprintf(d->error, sizeof d->error, "cannot identify printers: the worker pool is full");
    finished(d, false);
  }
}

static void on_scan_done(void *ctx) {
  discovery *d = ctx;
  if (d->progress) {
    ev_timer_stop(d->loop, &d->progress_timer);
    draw_progress(d, true);
  }
  size_t n;
  const scan_found *found = scan_engine_found(d->engine, &n);
  const sr_discovery_config *dc = &d->cfg->discovery;
  size_t per = dc->n_ipp_ports + dc->n_raw_ports, checks = 0;
  d->devices = calloc(n + 1, sizeof *d->devices);
  d->port_checks = calloc(n * per + 1, sizeof *d->port_checks);
  if (!d->devices || !d->port_checks) {
    snprintf(d->error, sizeof d->error, "out of memory");
    finished(d, false);
    return;
  }
  d->n_devices = n;
  for (size_t i = 0; i < n; i++) {
    char address[64];
    scan_address_format(&found[i].address, address, sizeof address);
    d->devices[i] = (discovery_found){.scan = &found[i], .driver = -1};
    snprintf(d->devices[i].snmp, sizeof d->devices[i].snmp,
             found[i].address.family == AF_INET6 ? "[%s]:%d" : "%s:%d", address, (int)dc->port);
    for (size_t k = 0; found[i].printer && k < per; k++)
      d->port_checks[checks++] = (scan_port_check){
          .address = found[i].address,
          .port = k < dc->n_ipp_ports ? dc->ipp_ports[k] : dc->raw_ports[k - dc->n_ipp_ports]};
  }
  d->n_port_checks = checks;
  if (!scan_ports_check(d->loop, d->port_checks, checks, (double)dc->timeout, on_ports_done, d)) {
    snprintf(d->error, sizeof d->error, "out of memory checking printer ports");
    finished(d, false);
  }
}

static void start_engine(discovery *d) {
  const sr_discovery_config *dc = &d->cfg->discovery;
  scan_options o = {.port = (int)dc->port,
                    .rate = (double)dc->rate,
                    .outstanding = (size_t)dc->outstanding,
                    .timeout_ms = (int)dc->timeout * 1000,
                    .retries = (int)dc->retries,
                    .credentials = dc->credentials,
                    .n_credentials = dc->n_credentials};
  char err[256];
  d->engine = scan_engine_start(d->loop, &d->targets, &o, on_scan_done, d, err, sizeof err);
  if (!d->engine) {
    snprintf(d->error, sizeof d->error, "discovery: %s", err);
    finished(d, false);
    return;
  }
  if (d->progress) {
    ev_timer_init(&d->progress_timer, on_progress, 0.2, 0.2);
    d->progress_timer.data = d;
    ev_timer_start(d->loop, &d->progress_timer);
  }
}

static void resolve_work(void *arg) {
  discovery *d = arg;
  char err[sizeof d->error];
  if (!scan_targets_resolve(&d->targets, err, sizeof err))
    snprintf(d->error, sizeof d->error, "%s", err); /* the scan goes on, incomplete */
}

static void resolve_done(void *arg) {
  discovery *d = arg;
  if (d->stopping)
    return;
  if (d->error[0])
    sr_log(SR_LOG_WARN, "discovery", "%s", d->error);
  start_engine(d);
}

bool discovery_start(discovery *d) {
  const sr_discovery_config *dc = &d->cfg->discovery;
  if (d->running) {
    snprintf(d->error, sizeof d->error, "a scan is already running");
    return false;
  }
  if (!dc->targets || dc->n_credentials == 0) {
    snprintf(d->error, sizeof d->error,
             "no discovery.targets or no discovery.credentials in the configuration");
    return false;
  }
  d->error[0] = 0;
  if (!scan_targets_from_config(dc->targets, dc->exclude, &d->targets)) {
    scan_targets_free(&d->targets);
    snprintf(d->error, sizeof d->error, "discovery targets have errors (srctl config check)");
    return false;
  }
  if (!d->pool && !(d->pool = sr_worker_pool_new(d->loop, 1, 4))) {
    scan_targets_free(&d->targets);
    snprintf(d->error, sizeof d->error, "cannot start a worker thread");
    return false;
  }
  d->running = true;
  d->started_at = time(NULL);
  d->started_mono = ev_time();
  /* host names are resolved once per scan, off the loop */
  if (d->targets.n_hosts == 0 ||
      sr_worker_pool_submit(d->pool, resolve_work, resolve_done, d) != SR_OK)
    start_engine(d);
  return true;
}

void discovery_free(discovery *d) {
  if (d->loop)
    ev_timer_stop(d->loop, &d->schedule_timer);
  d->stopping = true;
  sr_worker_pool_free(d->pool); /* first: no work of ours runs after this */
  d->pool = NULL;
  if (d->loop)
    end_run(d);
  json_decref(d->last);
  d->last = NULL;
}
