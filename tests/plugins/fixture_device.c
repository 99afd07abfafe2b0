/*
 * A device driver fixture for tests/unit/test_device_pick.c: knows the
 * devices whose sysObjectID starts with its `prefix` and claims them with
 * its configured `score`; `vendor` names what it reports.
 */
#include <sr/device.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <string.h>

typedef struct fixture_driver {
  char prefix[64];
  char vendor[64];
  int64_t score;
} fixture_driver;

static int fd_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  (void)self;
  fixture_driver *d = sr_host->alloc(sizeof *d);
  if (!d)
    return SR_ERR_NOMEM;
  const char *prefix = NULL, *vendor = NULL;
  if (sr_host->config_string(config, "prefix", "", &prefix) != SR_OK ||
      sr_host->config_string(config, "vendor", "", &vendor) != SR_OK ||
      sr_host->config_int(config, "score", 10, 0, 100, &d->score) != SR_OK) {
    sr_host->free(d);
    return SR_ERR_CONFIG;
  }
  snprintf(d->prefix, sizeof d->prefix, "%s", prefix);
  snprintf(d->vendor, sizeof d->vendor, "%s", vendor);
  *instance = d;
  return SR_OK;
}

static void fd_destroy(void *instance) { sr_host->free(instance); }

static int fd_identify(void *instance, const sr_device_probe *probe, sr_device_identity *out) {
  fixture_driver *d = instance;
  if (!probe->sys_object_id || strncmp(probe->sys_object_id, d->prefix, strlen(d->prefix)) != 0)
    return SR_ERR_UNSUPPORTED;
  out->score = (int32_t)d->score;
  snprintf(out->vendor, sizeof out->vendor, "%s", d->vendor);
  return SR_OK;
}

static const sr_device_ops fd_ops = {
    .base = {.create = fd_create, .destroy = fd_destroy},
    .identify = fd_identify,
};

SR_PLUGIN_DECLARE(SR_PLUGIN_DEVICE, "fixture", "1.0.0", "device driver fixture", fd_ops, 0)
