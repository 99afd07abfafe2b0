/*
 * The `ipp_printer` device driver: reads a printer over IPP
 * Get-Printer-Attributes (RFC 8011, PWG 5100.13) with libcups, for devices
 * whose SNMP agent is missing, locked down or silent about serials and
 * meters. identify() needs the probe's ipp_uri and asks the printer
 * itself: printer-make-and-model, printer-device-id (MFG, MDL, SN) and
 * printer-uuid. Status and alerts come from printer-state and
 * printer-state-reasons, supplies from printer-supply or marker-*
 * (ipp_supplies.c), meters from printer-impressions-completed and friends.
 * Every call blocks for at most `timeout_ms` per exchange (config, default
 * 5000): the host runs drivers on worker threads.
 */
#include <sr/device.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ipp_query.h"
#include "ipp_supplies.h"

typedef struct driver {
  sr_plugin *self;
  int timeout_ms;
} driver;

static const char *const known_keys[] = {"timeout_ms", NULL};

static int ip_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  int64_t timeout;
  if (!config)
    return SR_OK;
  if (sr_host->config_only_keys(config, known_keys) != SR_OK ||
      sr_host->config_int(config, "timeout_ms", 5000, 100, 120000, &timeout) != SR_OK)
    return SR_ERR_CONFIG;
  return SR_OK;
}

static int ip_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  int64_t timeout = 5000;
  if (ip_check_config(self, config) != SR_OK)
    return SR_ERR_CONFIG;
  if (config)
    sr_host->config_int(config, "timeout_ms", 5000, 100, 120000, &timeout);
  driver *d = sr_host->alloc(sizeof *d);
  if (!d)
    return SR_ERR_NOMEM;
  d->self = self;
  d->timeout_ms = (int)timeout;
  *instance = d;
  return SR_OK;
}

static void ip_destroy(void *instance) { sr_host->free(instance); }

static const char *target_uri(const sr_device_target *t) {
  return SR_HAS_MEMBER(t, ipp_uri) ? t->ipp_uri : NULL;
}

/* Reads `names` from the target's printer; SR_ERR_UNSUPPORTED when the
 * host gave no IPP URI. */
static int query_target(driver *d, const sr_device_target *t, const char *const *names, int n,
                        ipp_t **out) {
  const char *uri = target_uri(t);
  if (!uri) {
    sr_host->set_error(d->self, SR_ERR_UNSUPPORTED,
                       "%s has no IPP URI: ipp_printer reads printers over IPP",
                       t->address ? t->address : "the device");
    return SR_ERR_UNSUPPORTED;
  }
  return ipp_query(d->self, uri, d->timeout_ms, names, n, out);
}

static const char *text_of(ipp_t *response, const char *name) {
  ipp_attribute_t *a = ippFindAttribute(response, name, IPP_TAG_ZERO);
  return a ? ippGetString(a, 0, NULL) : NULL;
}

/* The value of `key` in an IEEE 1284 device ID ("MFG:Acme;MDL:X;SN:1;"),
 * also under its long name (MANUFACTURER, MODEL, SERIALNUMBER). */
static void device_id_field(const char *id, const char *key, const char *long_key, char *out,
                            size_t size) {
  out[0] = '\0';
  for (const char *p = id; p && *p;) {
    while (*p == ' ')
      p++;
    const char *colon = strchr(p, ':'), *semi = strchr(p, ';');
    if (!colon || (semi && semi < colon))
      break;
    size_t klen = (size_t)(colon - p);
    const char *v = colon + 1, *end = semi ? semi : v + strlen(v);
    if ((klen == strlen(key) && strncasecmp(p, key, klen) == 0) ||
        (klen == strlen(long_key) && strncasecmp(p, long_key, klen) == 0)) {
      snprintf(out, size, "%.*s", (int)(end - v), v);
      return;
    }
    p = semi ? semi + 1 : NULL;
  }
}

static int ip_identify(void *instance, const sr_device_probe *probe, sr_device_identity *out) {
  driver *d = instance;
  const char *uri = SR_HAS_MEMBER(probe, ipp_uri) ? probe->ipp_uri : NULL;
  if (!uri || !*uri)
    return SR_ERR_UNSUPPORTED; /* nothing to ask */
  static const char *const names[] = {"printer-make-and-model", "printer-device-id",
                                      "printer-uuid"};
  ipp_t *response;
  int status = ipp_query(d->self, uri, d->timeout_ms, names, 3, &response);
  if (status != SR_OK)
    return status == SR_ERR_INVALID ? SR_ERR_UNSUPPORTED : status;
  const char *make_model = text_of(response, "printer-make-and-model");
  const char *device_id = text_of(response, "printer-device-id");
  const char *uuid = text_of(response, "printer-uuid");
  char vendor[64], model[128], serial[64];
  device_id_field(device_id, "MFG", "MANUFACTURER", vendor, sizeof vendor);
  device_id_field(device_id, "MDL", "MODEL", model, sizeof model);
  device_id_field(device_id, "SN", "SERIALNUMBER", serial, sizeof serial);
  /* above printer_mib (10): the printer states its own make, model and
   * serial here, where SNMP has only descriptions; below vendor drivers */
  out->score = 20;
  snprintf(out->vendor, sizeof out->vendor, "%s", vendor);
  snprintf(out->model, sizeof out->model, "%s",
           model[0]     ? model
           : make_model ? make_model
                        : "IPP printer");
  /* without a serial, printer-uuid is the printer's lasting identity */
  snprintf(out->serial, sizeof out->serial, "%s", serial[0] ? serial : uuid ? uuid : "");
  ippDelete(response);
  return SR_OK;
}

/* printer-state-reasons keywords (RFC 8011 5.4.12, PWG 5100.9), without
 * their -error/-warning/-report suffix, as SR_ALERT_* bits. */
static const struct {
  const char *reason;
  uint32_t alert;
} reason_alerts[] = {
    {"media-empty", SR_ALERT_NO_PAPER},
    {"media-needed", SR_ALERT_NO_PAPER},
    {"media-jam", SR_ALERT_JAM},
    {"door-open", SR_ALERT_DOOR_OPEN},
    {"cover-open", SR_ALERT_DOOR_OPEN},
    {"interlock-open", SR_ALERT_DOOR_OPEN},
    {"offline", SR_ALERT_OFFLINE},
    {"shutdown", SR_ALERT_OFFLINE},
    {"toner-low", SR_ALERT_TONER_LOW},
    {"marker-supply-low", SR_ALERT_TONER_LOW},
    {"toner-empty", SR_ALERT_TONER_EMPTY},
    {"marker-supply-empty", SR_ALERT_TONER_EMPTY},
    {"output-area-full", SR_ALERT_OUTPUT_FULL},
    {"fuser-over-temp", SR_ALERT_SERVICE},
    {"fuser-under-temp", SR_ALERT_SERVICE},
    {"opc-life-over", SR_ALERT_SERVICE},
};

/* Splits "media-empty-error" into its keyword and severity. */
static int32_t split_reason(const char *keyword, char *reason, size_t size) {
  static const struct {
    const char *suffix;
    int32_t severity;
  } suffixes[] = {
      {"-error", SR_ALERT_CRITICAL}, {"-warning", SR_ALERT_WARNING}, {"-report", SR_ALERT_OTHER}};
  size_t len = strlen(keyword);
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    size_t slen = strlen(suffixes[i].suffix);
    if (len > slen && strcmp(keyword + len - slen, suffixes[i].suffix) == 0) {
      snprintf(reason, size, "%.*s", (int)(len - slen), keyword);
      return suffixes[i].severity;
    }
  }
  snprintf(reason, size, "%s", keyword);
  return SR_ALERT_CRITICAL; /* RFC 8011: no suffix is an error */
}

static uint32_t alert_bit(const char *reason) {
  for (size_t i = 0; i < sizeof reason_alerts / sizeof *reason_alerts; i++)
    if (strcmp(reason, reason_alerts[i].reason) == 0)
      return reason_alerts[i].alert;
  return 0;
}

static int ip_read_status(void *instance, const sr_device_target *t, sr_device_status *out) {
  driver *d = instance;
  static const char *const names[] = {"printer-state", "printer-state-reasons",
                                      "printer-state-message"};
  ipp_t *response;
  int status = query_target(d, t, names, 3, &response);
  if (status != SR_OK)
    return status;
  ipp_attribute_t *state = ippFindAttribute(response, "printer-state", IPP_TAG_ENUM);
  ipp_attribute_t *reasons = ippFindAttribute(response, "printer-state-reasons", IPP_TAG_ZERO);
  const uint32_t stopping = SR_ALERT_NO_PAPER | SR_ALERT_JAM | SR_ALERT_DOOR_OPEN |
                            SR_ALERT_TONER_EMPTY | SR_ALERT_OUTPUT_FULL;
  bool stopped_by_error = false;
  out->alerts = 0;
  for (int i = 0; reasons && i < ippGetCount(reasons); i++) {
    const char *keyword = ippGetString(reasons, i, NULL);
    char reason[64];
    int32_t severity = split_reason(keyword ? keyword : "", reason, sizeof reason);
    uint32_t bit = alert_bit(reason);
    out->alerts |= bit;
    if ((bit & stopping) && severity == SR_ALERT_CRITICAL)
      stopped_by_error = true;
  }
  int value = state ? ippGetInteger(state, 0) : 0;
  if (out->alerts & SR_ALERT_OFFLINE)
    out->state = SR_DEVICE_OFFLINE;
  else if (stopped_by_error || value == IPP_PSTATE_STOPPED)
    out->state = SR_DEVICE_ERROR;
  else if (value == IPP_PSTATE_PROCESSING)
    out->state = SR_DEVICE_PRINTING;
  else if (value == IPP_PSTATE_IDLE)
    out->state = SR_DEVICE_IDLE;
  else
    out->state = SR_DEVICE_UNKNOWN;
  const char *message = text_of(response, "printer-state-message");
  snprintf(out->message, sizeof out->message, "%s", message ? message : "");
  ippDelete(response);
  return SR_OK;
}

/* The Printer MIB alert group a reason belongs to, so that alerts read
 * over IPP group like those read over SNMP. */
static const char *reason_group(const char *reason) {
  static const struct {
    const char *prefix, *group;
  } groups[] = {{"media-jam", "mediaPath"},
                {"media-", "input"},
                {"input-", "input"},
                {"output-", "output"},
                {"toner-", "markerSupplies"},
                {"marker-", "markerSupplies"},
                {"developer-", "markerSupplies"},
                {"opc-", "marker"},
                {"fuser-", "marker"},
                {"door-", "cover"},
                {"cover-", "cover"},
                {"interlock-", "cover"}};
  for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
    if (strncmp(reason, groups[i].prefix, strlen(groups[i].prefix)) == 0)
      return groups[i].group;
  return "generalPrinter";
}

static int ip_read_alerts(void *instance, const sr_device_target *t, sr_device_alerts *out) {
  driver *d = instance;
  static const char *const names[] = {"printer-state-reasons"};
  ipp_t *response;
  int status = query_target(d, t, names, 1, &response);
  if (status != SR_OK)
    return status;
  ipp_attribute_t *reasons = ippFindAttribute(response, "printer-state-reasons", IPP_TAG_ZERO);
  out->count = 0;
  for (int i = 0; reasons && i < ippGetCount(reasons) && out->count < SR_DEVICE_MAX_ALERTS; i++) {
    const char *keyword = ippGetString(reasons, i, NULL);
    if (!keyword || strcmp(keyword, "none") == 0)
      continue;
    sr_device_alert *a = &out->items[out->count++];
    memset(a, 0, sizeof *a);
    a->severity = split_reason(keyword, a->reason, sizeof a->reason);
    a->code = 1; /* IPP has no prtAlertCode */
    snprintf(a->group, sizeof a->group, "%s", reason_group(a->reason));
    snprintf(a->description, sizeof a->description, "%s", keyword);
  }
  ippDelete(response);
  return SR_OK;
}

static int ip_read_supplies(void *instance, const sr_device_target *t, sr_device_supplies *out) {
  driver *d = instance;
  ipp_t *response;
  int status = query_target(d, t, ipp_supply_attributes, ipp_supply_attribute_count, &response);
  if (status != SR_OK)
    return status;
  ipp_supplies_read(response, out);
  ippDelete(response);
  return SR_OK;
}

static int64_t integer_of(ipp_t *response, const char *name) {
  ipp_attribute_t *a = ippFindAttribute(response, name, IPP_TAG_INTEGER);
  return a && ippGetInteger(a, 0) >= 0 ? ippGetInteger(a, 0) : -1;
}

/* A member of a counter collection such as printer-impressions-completed-col. */
static int64_t member_of(ipp_t *response, const char *collection, const char *member) {
  ipp_attribute_t *a = ippFindAttribute(response, collection, IPP_TAG_BEGIN_COLLECTION);
  ipp_t *col = a ? ippGetCollection(a, 0) : NULL;
  return col ? integer_of(col, member) : -1;
}

static int ip_read_meters(void *instance, const sr_device_target *t, sr_device_meters *out) {
  driver *d = instance;
  static const char *const names[] = {
      "printer-impressions-completed", "printer-impressions-completed-col",
      "printer-media-sheets-completed", "printer-media-sheets-completed-col",
      "printer-impressions-two-sided-completed"};
  ipp_t *response;
  int status = query_target(d, t, names, 5, &response);
  if (status != SR_OK)
    return status;
  out->total_pages = integer_of(response, "printer-impressions-completed");
  out->mono_pages = member_of(response, "printer-impressions-completed-col", "monochrome");
  out->color_pages = member_of(response, "printer-impressions-completed-col", "full-color");
  int64_t sheets = integer_of(response, "printer-media-sheets-completed");
  int64_t two_sided = integer_of(response, "printer-impressions-two-sided-completed");
  if (SR_HAS_MEMBER(out, color_impressions)) {
    out->mono_impressions = out->mono_pages;
    out->color_impressions = out->color_pages;
    out->sheets = sheets;
    /* two impressions on each two-sided sheet */
    out->two_sided_sheets = two_sided >= 0 ? two_sided / 2 : -1;
  }
  ippDelete(response);
  if (out->total_pages < 0 && sheets < 0) {
    sr_host->set_error(d->self, SR_ERR_UNSUPPORTED, "the printer at %s reports no counters",
                       target_uri(t));
    return SR_ERR_UNSUPPORTED;
  }
  return SR_OK;
}

static const sr_device_ops ip_ops = {
    .base = {.check_config = ip_check_config, .create = ip_create, .destroy = ip_destroy},
    .identify = ip_identify,
    .read_status = ip_read_status,
    .read_meters = ip_read_meters,
    .read_supplies = ip_read_supplies,
    .read_alerts = ip_read_alerts,
};

/* Instances hold only their configuration; each call opens its own
 * connection. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_DEVICE, "ipp_printer", "1.0.0",
                        "any printer over IPP Get-Printer-Attributes", ip_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
