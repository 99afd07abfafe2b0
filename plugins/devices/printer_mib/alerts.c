/*
 * prtAlertTable (RFC 3805 section 2.2.13) as sr_device_alerts: each row's
 * severity, group, code and description, and a PWG printer-state-reasons
 * keyword (PWG 5100.9) for the code, so alerts read over SNMP and over IPP
 * compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mib_read.h"

#define PRT_ALERT "1.3.6.1.2.1.43.18.1.1"
#define ALERT_SEVERITY PRT_ALERT ".2"
#define ALERT_GROUP PRT_ALERT ".4"
#define ALERT_CODE PRT_ALERT ".7"
#define ALERT_DESCRIPTION PRT_ALERT ".8"

/* PrtAlertGroupTC (IANA-PRINTER-MIB) keywords. */
static const char *group_keyword(long group) {
  static const struct {
    long value;
    const char *keyword;
  } groups[] = {
      {1, "other"},
      {3, "hostResourcesMIBStorageTable"},
      {4, "hostResourcesMIBDeviceTable"},
      {5, "generalPrinter"},
      {6, "cover"},
      {7, "localization"},
      {8, "input"},
      {9, "output"},
      {10, "marker"},
      {11, "markerSupplies"},
      {12, "markerColorant"},
      {13, "mediaPath"},
      {14, "channel"},
      {15, "interpreter"},
      {16, "consoleDisplayBuffer"},
      {17, "consoleLights"},
      {18, "alert"},
      {30, "finDevice"},
      {31, "finSupply"},
      {32, "finSupplyMediaInput"},
      {33, "finAttribute"},
  };
  for (size_t i = 0; i < sizeof groups / sizeof *groups; i++)
    if (groups[i].value == group)
      return groups[i].keyword;
  return "other";
}

/* PrtAlertCodeTC values whose meaning needs no group. */
static const struct {
  long code;
  const char *reason;
} code_reasons[] = {
    {3, "cover-open"},
    {5, "interlock-open"},
    {8, "media-jam"},
    {22, "offline"},
    {501, "door-open"},
    {801, "input-tray-missing"},
    {807, "media-low"},
    {808, "media-empty"},
    {809, "media-needed"},
    {810, "media-needed"},
    {901, "output-tray-missing"},
    {902, "output-area-almost-full"},
    {903, "output-area-full"},
    {1001, "fuser-under-temp"},
    {1002, "fuser-over-temp"},
    {1101, "toner-empty"},
    {1102, "marker-supply-empty"},
    {1103, "marker-supply-empty"},
    {1104, "toner-low"},
    {1105, "marker-supply-low"},
    {1106, "marker-supply-low"},
    {1107, "marker-waste-almost-full"},
    {1108, "marker-waste-almost-full"},
    {1109, "marker-waste-full"},
    {1110, "marker-waste-full"},
    {1111, "opc-near-eol"},
    {1112, "opc-life-over"},
    {1113, "developer-low"},
    {1114, "developer-empty"},
    {1115, "marker-supply-missing"},
    {1301, "input-tray-missing"},
    {1302, "output-area-almost-full"},
    {1303, "output-area-full"},
    {1507, "interpreter-resource-unavailable"},
};

/* The PWG keyword for an alert: the code's own, else what the generic
 * subunit codes (almost empty, empty, almost full, full, missing) mean for
 * the group they are in; "other" when neither says. */
static const char *reason_for(long group, long code) {
  for (size_t i = 0; i < sizeof code_reasons / sizeof *code_reasons; i++)
    if (code_reasons[i].code == code)
      return code_reasons[i].reason;
  bool input = group == 8, output = group == 9, supplies = group == 11 || group == 12;
  switch (code) {
  case 9: /* subunitMissing */
    return input ? "input-tray-missing" : output ? "output-tray-missing" : "other";
  case 12: /* subunitAlmostEmpty */
    return input ? "media-low" : supplies ? "marker-supply-low" : "other";
  case 13: /* subunitEmpty */
    return input ? "media-empty" : supplies ? "marker-supply-empty" : "other";
  case 14: /* subunitAlmostFull */
    return output ? "output-area-almost-full" : supplies ? "marker-waste-almost-full" : "other";
  case 15: /* subunitFull */
    return output ? "output-area-full" : supplies ? "marker-waste-full" : "other";
  case 18: /* subunitOpened */ return group == 6 ? "cover-open" : "other";
  default: return "other";
  }
}

typedef struct alert_walk {
  const sr_device_target *target;
  sr_device_alerts *out;
} alert_walk;

/* One call per prtAlertSeverityLevel row: reads the row's other columns. */
static int add_alert(void *ctx, const char *index, const char *severity) {
  alert_walk *w = ctx;
  if (w->out->count >= SR_DEVICE_MAX_ALERTS)
    return SR_ERR_EXISTS;
  sr_device_alert *a = &w->out->items[w->out->count++];
  memset(a, 0, sizeof *a);
  long level = strtol(severity, NULL, 10), group = 1, code = 1;
  a->severity =
      level == SR_ALERT_CRITICAL || level == SR_ALERT_WARNING || level == SR_ALERT_WARNING_EVENT
          ? (int32_t)level
          : SR_ALERT_OTHER;
  mib_get_int(w->target, ALERT_GROUP, index, &group); /* each column is optional */
  mib_get_int(w->target, ALERT_CODE, index, &code);
  a->code = code >= 1 && code <= 0x7fffffff ? (int32_t)code : 1;
  snprintf(a->group, sizeof a->group, "%s", group_keyword(group));
  snprintf(a->reason, sizeof a->reason, "%s", reason_for(group, a->code));
  mib_get_text(w->target, ALERT_DESCRIPTION, index, a->description, sizeof a->description);
  return SR_OK;
}

int mib_read_alerts(const sr_device_target *t, sr_device_alerts *out) {
  out->count = 0;
  alert_walk w = {t, out};
  /* a printer keeps few rows; the bound stops an agent that lists more */
  return mib_each_row(t, ALERT_SEVERITY, SR_DEVICE_MAX_ALERTS + 1, add_alert, &w);
}
