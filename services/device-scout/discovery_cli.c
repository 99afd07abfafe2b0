/*
 * `sr-device-scout discover --once --config FILE [--json]`: one scan from
 * the command line, a progress bar with an ETA on stderr when it is a
 * terminal, then a table (or the result JSON) on stdout.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "discovery.h"
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

int discovery_once(sr_config *doc, const sr_service_config *cfg, bool as_json) {
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
      rc = 0;
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
