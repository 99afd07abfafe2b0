/*
 * An out-of-tree device driver, as a printer maker would write one: the
 * fictional Acme, whose enterprise number here is 32473 (RFC 5612's number
 * for documentation). Built against the installed SDK only (see Makefile
 * and docs/plugins.md, "Device drivers").
 *
 * Acme printers answer sysObjectID 1.3.6.1.4.1.32473.1.MODEL and keep
 * their counters in a private subtree, which the Printer MIB does not
 * have:
 *   1.3.6.1.4.1.32473.2.1.0  impressions, all          (Counter32)
 *   1.3.6.1.4.1.32473.2.2.0  impressions in monochrome
 *   1.3.6.1.4.1.32473.2.3.0  impressions in colour
 *   1.3.6.1.4.1.32473.2.4.0  sheets
 *   1.3.6.1.4.1.32473.2.5.0  two-sided sheets
 * The driver knows its models for certain, so it claims them with a score
 * above the generic printer_mib (10) and ipp_printer (20). Operations it
 * leaves NULL (status, supplies, alerts here) are unsupported for the
 * devices it wins: a real vendor driver reads those too.
 */
#include <sr/device.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACME_MODELS "1.3.6.1.4.1.32473.1."
#define ACME_COUNTERS "1.3.6.1.4.1.32473.2"

typedef struct acme {
  sr_plugin *self;
} acme;

static int acme_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  /* no settings: refuse any, so a typo in a configuration shows */
  if (config && sr_host->config_only_keys(config, (const char *const[]){NULL}) != SR_OK)
    return SR_ERR_CONFIG;
  acme *a = sr_host->alloc(sizeof *a);
  if (!a)
    return SR_ERR_NOMEM;
  a->self = self;
  *instance = a;
  return SR_OK;
}

static void acme_destroy(void *instance) { sr_host->free(instance); }

/* Acme's model numbers (the last arc of sysObjectID). */
static const char *model_name(long number) {
  switch (number) {
  case 1: return "Acme Office 3000";
  case 2: return "Acme Color 5000";
  default: return NULL;
  }
}

/* identify() sees only what discovery read (the probe): it must not ask
 * the device, and it should answer fast. */
static int acme_identify(void *instance, const sr_device_probe *probe, sr_device_identity *out) {
  (void)instance;
  const char *id = probe->sys_object_id;
  if (!id)
    return SR_ERR_UNSUPPORTED;
  if (*id == '.')
    id++;
  if (strncmp(id, ACME_MODELS, strlen(ACME_MODELS)) != 0)
    return SR_ERR_UNSUPPORTED;
  char *end;
  const char *model = model_name(strtol(id + strlen(ACME_MODELS), &end, 10));
  /* an Acme we do not know yet: ours still, but less sure */
  out->score = model && *end == '\0' ? 60 : 40;
  snprintf(out->vendor, sizeof out->vendor, "Acme");
  snprintf(out->model, sizeof out->model, "%s", model ? model : "Acme printer");
  /* probe->serial is an ABI 1.3 member: read it only when the host's
   * probe is that new */
  if (SR_HAS_MEMBER(probe, serial) && probe->serial)
    snprintf(out->serial, sizeof out->serial, "%s", probe->serial);
  return SR_OK;
}

/* One counter of the private subtree, -1 when absent or no count. */
static int64_t counter(const sr_device_target *t, const char *column) {
  char oid[64], value[64];
  snprintf(oid, sizeof oid, "%s.%s.0", ACME_COUNTERS, column);
  if (t->snmp_get(t->snmp_ctx, oid, value, sizeof value) != SR_OK)
    return -1;
  char *end;
  long long n = strtoll(value, &end, 10);
  return end != value && *end == '\0' && n >= 0 ? (int64_t)n : -1;
}

/* read_meters may block (it asks the device over the host's SNMP session):
 * the host calls it on a worker thread. */
static int acme_read_meters(void *instance, const sr_device_target *t, sr_device_meters *out) {
  acme *a = instance;
  if (!t->snmp_get) {
    sr_host->set_error(a->self, SR_ERR_UNSUPPORTED, "%s: Acme counters need SNMP", t->address);
    return SR_ERR_UNSUPPORTED;
  }
  out->total_pages = counter(t, "1");
  out->mono_pages = counter(t, "2");
  out->color_pages = counter(t, "3");
  if (SR_HAS_MEMBER(out, color_impressions)) {
    out->mono_impressions = out->mono_pages;
    out->color_impressions = out->color_pages;
    out->sheets = counter(t, "4");
    out->two_sided_sheets = counter(t, "5");
  }
  if (out->total_pages < 0) {
    sr_host->set_error(a->self, SR_ERR_PEER, "%s answers no Acme counters", t->address);
    return SR_ERR_PEER;
  }
  return SR_OK;
}

static const sr_device_ops acme_ops = {
    .base = {.create = acme_create, .destroy = acme_destroy},
    .identify = acme_identify,
    .read_meters = acme_read_meters,
};

/* The instance holds nothing that calls change: concurrent calls are fine. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_DEVICE, "acme", "1.0.0", "Acme printers (example vendor driver)",
                        acme_ops, 0, SR_PLUGIN_THREAD_SAFE)
