/*
 * The `printer_mib` device driver: any printer that speaks the standard
 * Printer MIB (RFC 3805) and HOST-RESOURCES-MIB (RFC 2790), which is nearly
 * all network printers. It identifies devices with a low score so that a
 * vendor driver wins when one knows the model, and reads status
 * (hrPrinterDetectedErrorState), alerts (prtAlertTable, alerts.c), page
 * counters (prtMarkerLifeCount and the PWG Imaging System Counter MIB,
 * meters.c) and supplies with their colorant, capacity and unit through the
 * host's SNMP session.
 * No configuration.
 */
#include <sr/device.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mib_read.h"

#define HR_DEVICE_STATUS "1.3.6.1.2.1.25.3.2.1.5"
#define HR_PRINTER_STATUS "1.3.6.1.2.1.25.3.5.1.1"
#define HR_PRINTER_ERRORS "1.3.6.1.2.1.25.3.5.1.2"
#define PRT_SUPPLY "1.3.6.1.2.1.43.11.1.1"
#define PRT_COLORANT_VALUE "1.3.6.1.2.1.43.12.1.1.4"

typedef struct driver {
  sr_plugin *self;
} driver;

static int pm_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  if (config && sr_host->config_only_keys(config, (const char *const[]){NULL}) != SR_OK)
    return SR_ERR_CONFIG;
  driver *d = sr_host->alloc(sizeof *d);
  if (!d)
    return SR_ERR_NOMEM;
  d->self = self;
  *instance = d;
  return SR_OK;
}

static void pm_destroy(void *instance) { sr_host->free(instance); }

/* A device known only by its IPP URI: this driver reads SNMP. */
static int no_snmp(driver *d, const sr_device_target *t) {
  sr_host->set_error(d->self, SR_ERR_UNSUPPORTED,
                     "%s has no SNMP agent: printer_mib reads the Printer MIB over SNMP",
                     t->address ? t->address : "the device");
  return SR_ERR_UNSUPPORTED;
}

/* Enterprise numbers (IANA) of common printer makers. */
static const struct {
  const char *prefix;
  const char *vendor;
} vendors[] = {
    {"1.3.6.1.4.1.11.", "HP"},
    {"1.3.6.1.4.1.1602.", "Canon"},
    {"1.3.6.1.4.1.2435.", "Brother"},
    {"1.3.6.1.4.1.367.", "Ricoh"},
    {"1.3.6.1.4.1.253.", "Xerox"},
    {"1.3.6.1.4.1.1248.", "Epson"},
    {"1.3.6.1.4.1.18334.", "Konica Minolta"},
    {"1.3.6.1.4.1.1347.", "Kyocera"},
    {"1.3.6.1.4.1.641.", "Lexmark"},
    {"1.3.6.1.4.1.2001.", "OKI"},
    {"1.3.6.1.4.1.236.", "Samsung"},
    {"1.3.6.1.4.1.1129.", "Toshiba"},
};

static int pm_identify(void *instance, const sr_device_probe *probe, sr_device_identity *out) {
  (void)instance;
  const char *model = probe->hr_device_descr && *probe->hr_device_descr ? probe->hr_device_descr
                      : probe->make_and_model && *probe->make_and_model ? probe->make_and_model
                                                                        : probe->sys_descr;
  if (!model || !*model)
    return SR_ERR_UNSUPPORTED;
  /* An ABI 1.3 host has read prtGeneralSerialNumber, which every Printer
   * MIB has: without it (and no IPP make and model) the agent is no
   * printer, however it describes itself (a router, a server). */
  if (SR_HAS_MEMBER(probe, serial) && !(probe->serial && *probe->serial) &&
      !(probe->make_and_model && *probe->make_and_model))
    return SR_ERR_UNSUPPORTED;
  out->score = 10; /* generic: any vendor driver that knows the model wins */
  snprintf(out->model, sizeof out->model, "%s", model);
  const char *id = probe->sys_object_id ? probe->sys_object_id : "";
  if (*id == '.')
    id++;
  for (size_t i = 0; i < sizeof vendors / sizeof *vendors; i++)
    if (strncmp(id, vendors[i].prefix, strlen(vendors[i].prefix)) == 0)
      snprintf(out->vendor, sizeof out->vendor, "%s", vendors[i].vendor);
  /* discovery reads prtGeneralSerialNumber into the probe (ABI 1.3) */
  if (SR_HAS_MEMBER(probe, serial) && probe->serial)
    snprintf(out->serial, sizeof out->serial, "%s", probe->serial);
  return SR_OK;
}

/* hrPrinterDetectedErrorState bits (RFC 3805 section 2.2.13.4), first two
 * octets, most significant bit first. */
static const struct {
  unsigned bit;
  uint32_t alert;
  const char *words;
} error_bits[] = {
    {1, SR_ALERT_NO_PAPER, "no paper"},
    {3, SR_ALERT_TONER_EMPTY, "no toner"},
    {4, SR_ALERT_DOOR_OPEN, "door open"},
    {5, SR_ALERT_JAM, "paper jam"},
    {6, SR_ALERT_OFFLINE, "offline"},
    {7, SR_ALERT_SERVICE, "service requested"},
    {2, SR_ALERT_TONER_LOW, "toner low"},
    {12, SR_ALERT_OUTPUT_FULL, "output bin full"},
    {13, SR_ALERT_NO_PAPER, "input tray empty"},
};

static unsigned hex_digit(char c) {
  return c >= '0' && c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* The error-state octets from the text form ("hex:4000" or raw bytes). */
static size_t error_octets(const char *value, unsigned char *out, size_t max) {
  size_t n = 0;
  if (strncmp(value, "hex:", 4) == 0) {
    for (const char *p = value + 4; p[0] && p[1] && n < max; p += 2)
      out[n++] = (unsigned char)(hex_digit(p[0]) << 4 | hex_digit(p[1]));
  } else {
    for (; value[n] && n < max; n++)
      out[n] = (unsigned char)value[n];
  }
  return n;
}

static int pm_read_status(void *instance, const sr_device_target *t, sr_device_status *out) {
  driver *d = instance;
  if (!t->snmp_walk)
    return no_snmp(d, t);
  int status;
  char index[40], value[128] = "";
  if (!mib_first_row(t, HR_PRINTER_STATUS, index, sizeof index, &status)) {
    if (status != SR_OK)
      return status;
    sr_host->set_error(d->self, SR_ERR_UNSUPPORTED, "%s has no Printer MIB", t->address);
    return SR_ERR_UNSUPPORTED;
  }
  long device = 0, printer = 0;
  mib_get_int(t, HR_DEVICE_STATUS, index, &device); /* optional */
  if ((status = mib_get_int(t, HR_PRINTER_STATUS, index, &printer)) != SR_OK)
    return status;
  mib_get_text(t, HR_PRINTER_ERRORS, index, value, sizeof value); /* absent: no errors */

  unsigned char octets[4] = {0};
  size_t n = error_octets(value, octets, sizeof octets);
  out->alerts = 0;
  char message[256] = "";
  for (size_t i = 0; i < sizeof error_bits / sizeof *error_bits; i++) {
    unsigned bit = error_bits[i].bit;
    if (bit / 8 < n && (octets[bit / 8] & (0x80u >> (bit % 8)))) {
      out->alerts |= error_bits[i].alert;
      size_t used = strlen(message);
      snprintf(message + used, sizeof message - used, "%s%s", used ? ", " : "",
               error_bits[i].words);
    }
  }
  const uint32_t stopping = SR_ALERT_NO_PAPER | SR_ALERT_JAM | SR_ALERT_DOOR_OPEN |
                            SR_ALERT_OFFLINE | SR_ALERT_TONER_EMPTY | SR_ALERT_OUTPUT_FULL;
  if (out->alerts & SR_ALERT_OFFLINE)
    out->state = SR_DEVICE_OFFLINE;
  else if ((out->alerts & stopping) || device == 5 /* down */)
    out->state = SR_DEVICE_ERROR;
  else if (printer == 4)
    out->state = SR_DEVICE_PRINTING;
  else if (printer == 5)
    out->state = SR_DEVICE_WARMUP;
  else if (printer == 3)
    out->state = SR_DEVICE_IDLE;
  else
    out->state = SR_DEVICE_UNKNOWN;
  if (!message[0] && device == 5)
    snprintf(message, sizeof message, "device down");
  snprintf(out->message, sizeof out->message, "%s", message);
  return SR_OK;
}

static int pm_read_meters(void *instance, const sr_device_target *t, sr_device_meters *out) {
  driver *d = instance;
  if (!t->snmp_walk)
    return no_snmp(d, t);
  int status = mib_read_meters(t, out);
  if (status == SR_ERR_UNSUPPORTED)
    sr_host->set_error(d->self, status, "%s has no page counters", t->address);
  return status;
}

static int pm_read_alerts(void *instance, const sr_device_target *t, sr_device_alerts *out) {
  driver *d = instance;
  if (!t->snmp_walk)
    return no_snmp(d, t);
  return mib_read_alerts(t, out);
}

/* prtMarkerSuppliesType values (RFC 3805), as keywords. */
static const char *supply_type(long v) {
  static const char *const names[] = {"other",     "unknown",      "toner",     "wasteToner",
                                      "ink",       "inkCartridge", "inkRibbon", "wasteInk",
                                      "opc",       "developer",    "fuserOil",  "solidWax",
                                      "ribbonWax", "wasteWax",     "fuser"};
  return v >= 1 && v <= 15 ? names[v - 1] : "other";
}

/* PrtMarkerSuppliesSupplyUnitTC values (IANA-PRINTER-MIB), as keywords. */
static const char *supply_unit(long v) {
  static const struct {
    long value;
    const char *keyword;
  } units[] = {{3, "tenThousandthsOfInches"},
               {4, "micrometers"},
               {7, "impressions"},
               {8, "sheets"},
               {11, "hours"},
               {12, "thousandthsOfOunces"},
               {13, "tenthsOfGrams"},
               {14, "hundrethsOfFluidOunces"},
               {15, "tenthsOfMilliliters"},
               {16, "feet"},
               {17, "meters"},
               {18, "items"},
               {19, "percent"}};
  for (size_t i = 0; i < sizeof units / sizeof *units; i++)
    if (units[i].value == v)
      return units[i].keyword;
  return "";
}

/* A Printer MIB level or capacity: units, or -1 other, -2 unknown, -3
 * "some remains"; anything else the agent says is "unknown". */
static int32_t supply_amount(long v) { return v >= -3 && v <= 0x7fffffff ? (int32_t)v : -2; }

typedef struct supply_walk {
  const sr_device_target *target;
  sr_device_supplies *out;
  bool details;
} supply_walk;

/* One call per prtMarkerSuppliesDescription row: reads the row's other
 * columns. */
static int add_supply(void *ctx, const char *index, const char *value) {
  supply_walk *w = ctx;
  sr_device_supplies *out = w->out;
  if (out->count >= SR_DEVICE_MAX_SUPPLIES)
    return SR_ERR_EXISTS;
  sr_device_supply *s = &out->items[out->count];
  snprintf(s->name, sizeof s->name, "%s", value);
  long type = 0, max = -2, level = -2, unit = 0, colorant = 0;
  mib_get_int(w->target, PRT_SUPPLY ".5", index, &type);
  mib_get_int(w->target, PRT_SUPPLY ".8", index, &max);
  mib_get_int(w->target, PRT_SUPPLY ".9", index, &level);
  snprintf(s->type, sizeof s->type, "%s", supply_type(type));
  /* negative values mean "unknown" or "some remains". The agent's numbers
   * can be anything (a Counter64 reads as LONG_MAX): level * 100 overflowed
   * a long (found by tests/fuzz/fuzz_snmp), so the level is capped at the
   * maximum and the percentage computed in double. */
  long capped = level > max ? max : level;
  s->level_percent = max > 0 && capped >= 0 ? (int32_t)((double)capped * 100 / (double)max) : -1;
  if (w->details) {
    sr_device_supply_detail *more = &out->more[out->count];
    memset(more, 0, sizeof *more);
    more->level = supply_amount(level);
    more->capacity = supply_amount(max);
    mib_get_int(w->target, PRT_SUPPLY ".7", index, &unit);
    snprintf(more->unit, sizeof more->unit, "%s", supply_unit(unit));
    /* the colorant row is (hrDeviceIndex, prtMarkerSuppliesColorantIndex);
     * 0 means the supply has no colorant (a fuser, a waste box) */
    if (mib_get_int(w->target, PRT_SUPPLY ".3", index, &colorant) == SR_OK && colorant > 0) {
      char row[48];
      snprintf(row, sizeof row, ".%ld.%ld", strtol(index + 1, NULL, 10), colorant);
      mib_get_text(w->target, PRT_COLORANT_VALUE, row, more->color, sizeof more->color);
    }
  }
  out->count++;
  return SR_OK;
}

static int pm_read_supplies(void *instance, const sr_device_target *t, sr_device_supplies *out) {
  driver *d = instance;
  if (!t->snmp_walk)
    return no_snmp(d, t);
  out->count = 0;
  supply_walk w = {t, out, SR_HAS_MEMBER(out, more)};
  return mib_each_row(t, PRT_SUPPLY ".6", SR_DEVICE_MAX_SUPPLIES + 1, add_supply, &w);
}

static const sr_device_ops pm_ops = {
    .base = {.create = pm_create, .destroy = pm_destroy},
    .identify = pm_identify,
    .read_status = pm_read_status,
    .read_meters = pm_read_meters,
    .read_supplies = pm_read_supplies,
    .read_alerts = pm_read_alerts,
};

/* Instances hold nothing that calls change; each call reads its own target. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_DEVICE, "printer_mib", "1.0.0",
                        "any printer with the standard Printer MIB", pm_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
