/*
 * Page counters. prtMarkerLifeCount (RFC 3805) is the total every printer
 * has; the PWG Imaging System Counter MIB (PWG 5106.1, icMIB under
 * 1.3.6.1.4.1.2699.1.3), where a device has it, adds impressions in
 * monochrome and colour, sheets and two-sided. Its tables are indexed by
 * (icKeyIndex, work type, persistence): this reads the system totals key,
 * workTotals (3), lifetime (3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mib_read.h"

#define PRT_LIFE_COUNT "1.3.6.1.2.1.43.10.2.1.4"

#define IC_OBJECTS "1.3.6.1.4.1.2699.1.3.1"
#define IC_KEY_SERVICE_TYPE IC_OBJECTS ".2.1.1.2"  /* icKeyServiceType */
#define IC_IMPRESSIONS_TOTAL IC_OBJECTS ".8.1.1.4" /* icImpressionTotalImps */
#define IC_IMPRESSIONS_MONO IC_OBJECTS ".8.1.1.5"  /* icImpressionMonochromeImps */
#define IC_IMPRESSIONS_COLOR IC_OBJECTS ".8.1.1.7" /* icImpressionFullColorImps */
#define IC_TWO_SIDED_TOTAL IC_OBJECTS ".9.1.1.4"   /* icTwoSidedTotalImps */
#define IC_SHEETS_TOTAL IC_OBJECTS ".10.1.1.4"     /* icSheetTotalSheets */
#define IC_SYSTEM_TOTALS 3                         /* IcServiceTypeTC systemTotals */
#define IC_WORK_TOTALS_LIFETIME ".3.3"             /* workTotals, lifetime */

/* A counter read as -1 when absent or not a count. */
static int64_t counter(const sr_device_target *t, const char *column, const char *index) {
  char value[64];
  if (mib_get_text(t, column, index, value, sizeof value) != SR_OK)
    return -1;
  char *end;
  long long n = strtoll(value, &end, 10);
  return end != value && *end == '\0' && n >= 0 ? (int64_t)n : -1;
}

typedef struct key_search {
  char index[32];
  bool system_totals;
} key_search;

/* Keeps the first key, or the system totals key once one turns up. */
static int consider_key(void *ctx, const char *index, const char *service_type) {
  key_search *k = ctx;
  bool totals = strtol(service_type, NULL, 10) == IC_SYSTEM_TOTALS;
  if (!k->index[0] || (totals && !k->system_totals)) {
    snprintf(k->index, sizeof k->index, "%s", index);
    k->system_totals = totals;
  }
  return totals ? SR_ERR_EXISTS : SR_OK;
}

int mib_read_meters(const sr_device_target *t, sr_device_meters *out) {
  out->total_pages = out->mono_pages = out->color_pages = -1;
  bool more = SR_HAS_MEMBER(out, color_impressions);
  if (more)
    out->sheets = out->two_sided_sheets = out->mono_impressions = out->color_impressions = -1;

  int status;
  char row[40];
  if (mib_first_row(t, PRT_LIFE_COUNT, row, sizeof row, &status))
    out->total_pages = counter(t, PRT_LIFE_COUNT, row);
  else if (status != SR_OK)
    return status; /* the agent did not answer */

  key_search key = {0};
  mib_each_row(t, IC_KEY_SERVICE_TYPE, 64, consider_key, &key);
  if (key.index[0]) {
    char index[64];
    snprintf(index, sizeof index, "%s" IC_WORK_TOTALS_LIFETIME, key.index);
    int64_t total = counter(t, IC_IMPRESSIONS_TOTAL, index);
    int64_t mono = counter(t, IC_IMPRESSIONS_MONO, index);
    int64_t color = counter(t, IC_IMPRESSIONS_COLOR, index);
    if (out->total_pages < 0)
      out->total_pages = total;
    out->mono_pages = mono;
    out->color_pages = color;
    if (more) {
      out->mono_impressions = mono;
      out->color_impressions = color;
      out->sheets = counter(t, IC_SHEETS_TOTAL, index);
      /* the MIB counts impressions on two-sided sheets: two per sheet */
      int64_t two_sided = counter(t, IC_TWO_SIDED_TOTAL, index);
      out->two_sided_sheets = two_sided >= 0 ? two_sided / 2 : -1;
    }
  }
  return out->total_pages >= 0 || key.index[0] ? SR_OK : SR_ERR_UNSUPPORTED;
}
