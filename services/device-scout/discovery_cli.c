/*
 * `sr-device-scout discover --once --config FILE [--json] [--upload]`: one
 * scan from the command line, a progress bar with an ETA on stderr when it
 * is a terminal, then a table (or the result JSON) on stdout; with
 * --upload the result also goes to the cloud with the site's certificate,
 * as a scheduled scan's does.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "discovery.h"
#include "discovery_upload.h"
#include "loader.h"
#include "loop.h"
#include "service_plugins.h"

#define MAX_DRIVERS 16

typedef struct once_run {
  struct ev_loop *loop;
  bool ok;
} once_run;

static void on_finished(void *ctx, bool ok, const char *error) {
  once_run *run = ctx;
  run->ok = ok;
  if (!ok)
    fprintf(stderr, "sr-device-scout discover: %s\n", error);
  ev_break(run->loop, EVBREAK_ALL);
}

static const char *text(json_t *o, const char *key) {
  const char *s = json_string_value(json_object_get(o, key));
  return s ? s : "-";
}

static void print_table(json_t *result) {
  json_t *devices = json_object_get(result, "devices"), *scan = json_object_get(result, "scan");
  printf("%-18s %-8s %-10s %-4s %-12s %-16s %-28s %s\n", "ADDRESS", "KIND", "CREDENTIAL", "VER",
         "DRIVER", "SERIAL", "MODEL", "URIS");
  size_t i;
  json_t *d;
  json_array_foreach(devices, i, d) {
    char uris[512] = "";
    size_t k, used = 0;
    json_t *u;
    json_array_foreach(json_object_get(d, "uris"), k, u) {
      int n = snprintf(uris + used, sizeof uris - used, "%s%s", k ? " " : "", json_string_value(u));
      if (n < 0 || (size_t)n >= sizeof uris - used)
        break;
      used += (size_t)n;
    }
    const char *model = json_object_get(d, "model") ? text(d, "model") : text(d, "sys_descr");
    printf("%-18s %-8s %-10s %-4s %-12s %-16s %-28.28s %s\n", text(d, "address"), text(d, "kind"),
           text(d, "credential"), text(d, "version"), text(d, "driver"), text(d, "serial"), model,
           uris);
  }
  printf("%zu answered of %lld addresses, %lld packets, %s\n", json_array_size(devices),
         (long long)json_integer_value(json_object_get(scan, "addresses")),
         (long long)json_integer_value(json_object_get(scan, "packets")),
         json_is_true(json_object_get(scan, "complete")) ? "complete" : "incomplete");
}

typedef struct upload_run {
  struct ev_loop *loop;
  bool ok;
} upload_run;

static void on_uploaded(void *ctx, bool ok, const discovery_counts *counts, const char *err) {
  upload_run *run = ctx;
  run->ok = ok;
  if (ok)
    fprintf(stderr, "sent to the cloud: %lld new, %lld changed, %lld vanished, %lld unchanged\n",
            (long long)counts->new_, (long long)counts->changed, (long long)counts->vanished,
            (long long)counts->unchanged);
  else
    fprintf(stderr, "sr-device-scout discover: the result was not sent to the cloud: %s\n", err);
  ev_break(run->loop, EVBREAK_ALL);
}

/* Sends `result` with the site's client certificate (cloud_tls) and waits
 * for the cloud's answer. */
static bool upload(sr_config *doc, const sr_device_scout_config *c, struct ev_loop *loop,
                   json_t *result) {
  char cert[1024], key[1024], ca[1024];
  if (!c->cloud_url || !c->cloud_tls.cert || !c->cloud_tls.key || !c->cloud_tls.ca) {
    fprintf(stderr, "sr-device-scout discover: --upload needs cloud_url and cloud_tls (cert, key, "
                    "ca): enroll the site first\n");
    return false;
  }
  sr_config_path(doc, c->cloud_tls.cert, cert, sizeof cert);
  sr_config_path(doc, c->cloud_tls.key, key, sizeof key);
  sr_config_path(doc, c->cloud_tls.ca, ca, sizeof ca);
  sr_cloud_options co = {
      .base_url = c->cloud_url, .ca_file = ca, .cert_file = cert, .key_file = key};
  sr_cloud_client *cloud = sr_cloud_client_new(&co);
  upload_run run = {.loop = loop};
  if (!cloud || sr_cloud_client_use_loop(cloud, loop) != SR_OK) {
    fprintf(stderr, "sr-device-scout discover: cannot start the cloud client\n");
  } else {
    int rc = discovery_upload(cloud, result, on_uploaded, &run);
    if (rc == SR_OK)
      ev_run(loop, 0);
    else
      fprintf(stderr, "sr-device-scout discover: the result was not sent to the cloud: %s\n",
              sr_status_name(rc));
  }
  sr_cloud_client_free(cloud);
  return run.ok;
}

int discovery_once(sr_config *doc, const sr_service_config *cfg, bool as_json, bool to_cloud) {
  const sr_device_scout_config *c = &cfg->u.device_scout;
  struct ev_loop *loop = sr_loop_default();
  sr_loader *loader = sr_loader_new(loop);
  sr_instance *drivers[MAX_DRIVERS];
  size_t n_drivers = 0;
  char err[512];
  int rc = 1;
  if (!loader || sr_service_plugin_paths(doc, cfg, loader) != SR_OK)
    goto out;
  if (sr_instances_create(loader, SR_PLUGIN_DEVICE, c->drivers, drivers, MAX_DRIVERS, &n_drivers,
                          err, sizeof err) != SR_OK) {
    for (size_t k = 0; k < sr_config_error_count(doc); k++)
      fprintf(stderr, "%s\n", sr_config_error(doc, k));
    fprintf(stderr, "sr-device-scout discover: %s\n", err);
    goto out;
  }
  once_run run = {.loop = loop};
  discovery d = {.loop = loop,
                 .doc = doc,
                 .cfg = c,
                 .drivers = drivers,
                 .n_drivers = n_drivers,
                 .on_finished = on_finished,
                 .finished_ctx = &run,
                 .progress = isatty(STDERR_FILENO)};
  sr_loop_stop_on_signals(loop);
  if (!discovery_start(&d)) {
    fprintf(stderr, "sr-device-scout discover: %s\n", d.error);
  } else {
    ev_run(loop, 0);
    if (run.ok && d.last) {
      if (as_json) {
        json_dumpf(d.last, stdout, JSON_INDENT(1));
        putchar('\n');
      } else {
        print_table(d.last);
      }
      fflush(stdout);
      rc = !to_cloud || upload(doc, c, loop, d.last) ? 0 : 1;
    } else if (!run.ok && !d.running) {
      rc = 1;
    } else {
      fprintf(stderr, "sr-device-scout discover: interrupted\n");
    }
  }
  discovery_free(&d);
out:
  for (size_t i = 0; i < n_drivers; i++)
    sr_instance_destroy(drivers[i]);
  sr_loader_free(loader);
  return rc;
}
