#include "device_read.h"

#include <stdio.h>
#include <string.h>

#include "device_pick.h"
#include "log.h"
#include "sr/abi.h"

static const char *const section_names[SECTION_COUNT] = {"status", "alerts", "meters", "supplies"};

const char *device_section_name(int section) {
  return section >= 0 && section < SECTION_COUNT ? section_names[section] : "?";
}

/* ---- picking a driver ---- */

int device_pick_driver(sr_instance **drivers, size_t n, const device_address *where,
                       const sr_snmp_options *snmp) {
  char descr[256] = "", object_id[128] = "", hr_descr[256] = "", serial[64] = "";
  char err[256];
  sr_snmp *session = NULL;
  /* silent: an agent that does not answer (or cannot be opened): then only
   * a driver reading IPP may know the device */
  bool silent = where->snmp != NULL;
  if (where->snmp && sr_snmp_open(where->snmp, snmp, &session, err, sizeof err) == SR_OK)
    silent = sr_snmp_get(session, "1.3.6.1.2.1.1.1.0", descr, sizeof descr) /* sysDescr */ ==
             SR_ERR_TIMEOUT;
  if (session && !silent) {
    sr_snmp_get(session, "1.3.6.1.2.1.1.2.0", object_id, sizeof object_id);      /* sysObjectID */
    sr_snmp_get(session, "1.3.6.1.2.1.25.3.2.1.3.1", hr_descr, sizeof hr_descr); /* hrDeviceDescr */
    sr_snmp_get(session, "1.3.6.1.2.1.43.5.1.1.17.1", serial, sizeof serial); /* prtGeneralSerial */
  }
  sr_snmp_close(session);
  sr_device_probe probe = {.struct_size = sizeof probe,
                           .address = where->snmp,
                           .snmp_address = silent ? NULL : where->snmp,
                           .sys_object_id = object_id,
                           .sys_descr = descr,
                           .hr_device_descr = hr_descr,
                           .ipp_uri = where->ipp_uri,
                           .serial = serial};
  int best = sr_device_pick(drivers, n, &probe, NULL);
  return best < 0 && silent ? -2 : best;
}

/* ---- the sections as JSON ---- */

static const char *state_name(int32_t state) {
  static const char *const names[] = {"unknown", "idle", "printing", "warmup", "error", "offline"};
  return state >= 0 && state <= SR_DEVICE_OFFLINE ? names[state] : "unknown";
}

static json_t *status_json(const sr_device_status *s) {
  static const struct {
    uint32_t bit;
    const char *name;
  } conditions[] = {{SR_ALERT_NO_PAPER, "no-paper"},       {SR_ALERT_JAM, "jam"},
                    {SR_ALERT_DOOR_OPEN, "door-open"},     {SR_ALERT_OFFLINE, "offline"},
                    {SR_ALERT_TONER_LOW, "toner-low"},     {SR_ALERT_TONER_EMPTY, "toner-empty"},
                    {SR_ALERT_OUTPUT_FULL, "output-full"}, {SR_ALERT_SERVICE, "service"}};
  json_t *list = json_array();
  for (size_t i = 0; i < sizeof conditions / sizeof *conditions; i++)
    if (s->alerts & conditions[i].bit)
      json_array_append_new(list, json_string(conditions[i].name));
  return json_pack("{s:s, s:s%, s:o}", "state", state_name(s->state), "message", s->message,
                   strnlen(s->message, sizeof s->message), "conditions", list);
}

/* Fixed-size text from a driver, cut at its buffer's end (a driver may
 * forget the NUL). */
static json_t *checked_string(const char *s, size_t max) {
  json_t *v = json_stringn(s, strnlen(s, max));
  return v ? v : json_string("?"); /* not UTF-8: the cloud would refuse the whole report */
}
#define TEXT(field) checked_string(field, sizeof field)

static json_t *alerts_json(const sr_device_alerts *a) {
  json_t *list = json_array();
  for (uint32_t i = 0; i < a->count && i < SR_DEVICE_MAX_ALERTS; i++) {
    const sr_device_alert *e = &a->items[i];
    const char *severity = e->severity == SR_ALERT_CRITICAL        ? "critical"
                           : e->severity == SR_ALERT_WARNING       ? "warning"
                           : e->severity == SR_ALERT_WARNING_EVENT ? "warning-event"
                                                                   : "other";
    json_array_append_new(list,
                          json_pack("{s:s, s:i, s:o, s:o, s:o}", "severity", severity, "code",
                                    e->code < 0 ? 0 : e->code, "group", TEXT(e->group), "reason",
                                    TEXT(e->reason), "description", TEXT(e->description)));
  }
  return list;
}

static json_t *meters_json(const sr_device_meters *m) {
  const struct {
    const char *name;
    int64_t value;
  } meters[] = {{"total_pages", m->total_pages},
                {"mono_pages", m->mono_pages},
                {"color_pages", m->color_pages},
                {"sheets", m->sheets},
                {"two_sided_sheets", m->two_sided_sheets},
                {"mono_impressions", m->mono_impressions},
                {"color_impressions", m->color_impressions}};
  json_t *o = json_object();
  for (size_t i = 0; i < sizeof meters / sizeof *meters; i++)
    if (meters[i].value >= 0) /* -1: the device does not count it */
      json_object_set_new(o, meters[i].name, json_integer(meters[i].value));
  return o;
}

/* A supply's percent: the driver's, else from level and capacity when
 * both are units. */
static json_t *percent_json(const sr_device_supply *s, const sr_device_supply_detail *d) {
  if (s->level_percent >= 0 && s->level_percent <= 100)
    return json_integer(s->level_percent);
  if (d->level >= 0 && d->capacity > 0 && d->level <= d->capacity)
    return json_integer((json_int_t)d->level * 100 / d->capacity);
  return json_null();
}

static json_t *supplies_json(const sr_device_supplies *s) {
  json_t *list = json_array();
  for (uint32_t i = 0; i < s->count && i < SR_DEVICE_MAX_SUPPLIES; i++) {
    const sr_device_supply *item = &s->items[i];
    const sr_device_supply_detail *d = &s->more[i];
    json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:i, s:i, s:o, s:o}", "name",
                                          TEXT(item->name), "type", TEXT(item->type), "color",
                                          TEXT(d->color), "level", d->level < -3 ? -2 : d->level,
                                          "capacity", d->capacity < -3 ? -2 : d->capacity, "unit",
                                          TEXT(d->unit), "percent", percent_json(item, d)));
  }
  return list;
}

/* ---- reading ---- */

void device_read(sr_instance *driver, const device_address *where, const sr_snmp_options *snmp,
                 unsigned wanted, json_t *out[SECTION_COUNT], bool *answered) {
  for (int i = 0; i < SECTION_COUNT; i++)
    out[i] = NULL;
  *answered = false;
  char err[256] = "";
  sr_snmp *session = NULL;
  sr_device_target target = {.struct_size = sizeof target, .address = where->snmp};
  if (where->snmp && sr_snmp_open(where->snmp, snmp, &session, err, sizeof err) == SR_OK)
    sr_snmp_target(session, &target);
  target.ipp_uri = where->ipp_uri;
  const sr_device_ops *ops = &sr_instance_ops_of(driver)->device;
  /* the status first: a device that does not answer it is offline, and
   * the other sections are not asked (each would wait for its timeout) */
  sr_device_status status = {.struct_size = sizeof status};
  int rc = SR_ERR_UNSUPPORTED;
  if (where->snmp && !session) { /* its address does not resolve: as silent as can be */
    rc = SR_ERR_CONNECT;
  } else if (ops->read_status) {
    sr_instance_call_begin(driver);
    rc = ops->read_status(driver->state, &target, &status);
    sr_instance_call_end(driver);
  }
  if (rc == SR_ERR_TIMEOUT || rc == SR_ERR_CONNECT) {
    out[SECTION_STATUS] = json_pack("{s:s, s:s, s:[]}", "state", "offline", "message",
                                    "the printer does not answer", "conditions");
    sr_snmp_close(session);
    return;
  }
  *answered = true;
  if (rc == SR_OK && (wanted & (1u << SECTION_STATUS)))
    out[SECTION_STATUS] = status_json(&status);
  if ((wanted & (1u << SECTION_ALERTS)) && ops->read_alerts) {
    sr_device_alerts alerts = {.struct_size = sizeof alerts};
    sr_instance_call_begin(driver);
    if (ops->read_alerts(driver->state, &target, &alerts) == SR_OK)
      out[SECTION_ALERTS] = alerts_json(&alerts);
    sr_instance_call_end(driver);
  }
  if ((wanted & (1u << SECTION_METERS)) && ops->read_meters) {
    sr_device_meters meters = {.struct_size = sizeof meters,
                               .total_pages = -1,
                               .mono_pages = -1,
                               .color_pages = -1,
                               .sheets = -1,
                               .two_sided_sheets = -1,
                               .mono_impressions = -1,
                               .color_impressions = -1};
    sr_instance_call_begin(driver);
    if (ops->read_meters(driver->state, &target, &meters) == SR_OK)
      out[SECTION_METERS] = meters_json(&meters);
    sr_instance_call_end(driver);
  }
  if ((wanted & (1u << SECTION_SUPPLIES)) && ops->read_supplies) {
    static __thread sr_device_supplies supplies; /* large: not on a worker's stack */
    memset(&supplies, 0, sizeof supplies);
    supplies.struct_size = sizeof supplies;
    for (size_t i = 0; i < SR_DEVICE_MAX_SUPPLIES; i++) /* unknown unless an ABI 1.3 driver says */
      supplies.more[i].level = supplies.more[i].capacity = -2;
    sr_instance_call_begin(driver);
    if (ops->read_supplies(driver->state, &target, &supplies) == SR_OK)
      out[SECTION_SUPPLIES] = supplies_json(&supplies);
    sr_instance_call_end(driver);
  }
  sr_snmp_close(session);
}
