#include "ipp_supplies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const ipp_supply_attributes[] = {"printer-supply",    "printer-supply-description",
                                             "marker-names",      "marker-levels",
                                             "marker-colors",     "marker-types",
                                             "marker-high-levels"};
const int ipp_supply_attribute_count =
    (int)(sizeof ipp_supply_attributes / sizeof *ipp_supply_attributes);

/* The value of `key` in a "key=value;key=value;" printer-supply string, in
 * `out` ("" when absent). The string is the printer's: any bytes. */
static void supply_field(const char *supply, size_t len, const char *key, char *out, size_t size) {
  out[0] = '\0';
  size_t key_len = strlen(key);
  const char *p = supply, *end = supply + len;
  while (p < end) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *stop = semi ? semi : end;
    if ((size_t)(stop - p) > key_len && memcmp(p, key, key_len) == 0 && p[key_len] == '=') {
      const char *v = p + key_len + 1;
      snprintf(out, size, "%.*s", (int)(stop - v), v);
      return;
    }
    p = stop + 1;
  }
}

/* A level or capacity number, or `missing` when the text is none. */
static int32_t amount(const char *text, int32_t missing) {
  char *end;
  long v = strtol(text, &end, 10);
  if (end == text || *end || v < -3 || v > 0x7fffffff)
    return missing;
  return (int32_t)v;
}

static int32_t percent_of(int32_t level, int32_t capacity) {
  if (capacity <= 0 || level < 0)
    return -1;
  return (int32_t)((double)(level > capacity ? capacity : level) * 100 / capacity);
}

/* printer-supply: one octetString per supply. */
static void from_printer_supply(ipp_t *response, ipp_attribute_t *supply, sr_device_supplies *out,
                                int details) {
  ipp_attribute_t *names = ippFindAttribute(response, "printer-supply-description", IPP_TAG_ZERO);
  for (int i = 0; i < ippGetCount(supply) && out->count < SR_DEVICE_MAX_SUPPLIES; i++) {
    int len = 0;
    const char *bytes = ippGetOctetString(supply, i, &len);
    if (!bytes || len <= 0)
      continue;
    sr_device_supply *s = &out->items[out->count];
    char level[24], capacity[24], color[32], unit[24], type[32];
    supply_field(bytes, (size_t)len, "type", type, sizeof type);
    supply_field(bytes, (size_t)len, "level", level, sizeof level);
    supply_field(bytes, (size_t)len, "maxcapacity", capacity, sizeof capacity);
    supply_field(bytes, (size_t)len, "colorantname", color, sizeof color);
    supply_field(bytes, (size_t)len, "unit", unit, sizeof unit);
    const char *name = names && i < ippGetCount(names) ? ippGetString(names, i, NULL) : NULL;
    snprintf(s->name, sizeof s->name, "%s", name ? name : type);
    snprintf(s->type, sizeof s->type, "%s", type[0] ? type : "other");
    int32_t lv = amount(level, -2), cap = amount(capacity, -2);
    s->level_percent = percent_of(lv, cap);
    if (details) {
      sr_device_supply_detail *m = &out->more[out->count];
      memset(m, 0, sizeof *m);
      m->level = lv;
      m->capacity = cap;
      snprintf(m->color, sizeof m->color, "%s", strcmp(color, "unknown") == 0 ? "" : color);
      snprintf(m->unit, sizeof m->unit, "%s", unit);
    }
    out->count++;
  }
}

/* marker-colors are "#RRGGBB"; the four process colours get their names. */
static const char *color_name(const char *rgb) {
  static const struct {
    const char *rgb, *name;
  } known[] = {
      {"#000000", "black"}, {"#00FFFF", "cyan"}, {"#FF00FF", "magenta"}, {"#FFFF00", "yellow"}};
  for (size_t i = 0; rgb && i < sizeof known / sizeof *known; i++)
    if (strcasecmp(rgb, known[i].rgb) == 0)
      return known[i].name;
  return rgb ? rgb : "";
}

/* marker-names, marker-levels (percent), marker-colors, marker-types:
 * parallel arrays (CUPS, IPP Everywhere's predecessor). */
static void from_markers(ipp_t *response, ipp_attribute_t *names, sr_device_supplies *out,
                         int details) {
  ipp_attribute_t *levels = ippFindAttribute(response, "marker-levels", IPP_TAG_INTEGER);
  ipp_attribute_t *colors = ippFindAttribute(response, "marker-colors", IPP_TAG_ZERO);
  ipp_attribute_t *types = ippFindAttribute(response, "marker-types", IPP_TAG_ZERO);
  for (int i = 0; i < ippGetCount(names) && out->count < SR_DEVICE_MAX_SUPPLIES; i++) {
    sr_device_supply *s = &out->items[out->count];
    const char *name = ippGetString(names, i, NULL);
    const char *type = types && i < ippGetCount(types) ? ippGetString(types, i, NULL) : NULL;
    int level = levels && i < ippGetCount(levels) ? ippGetInteger(levels, i) : -2;
    snprintf(s->name, sizeof s->name, "%s", name ? name : "");
    snprintf(s->type, sizeof s->type, "%s", type ? type : "other");
    s->level_percent = level >= 0 && level <= 100 ? level : -1;
    if (details) {
      sr_device_supply_detail *m = &out->more[out->count];
      memset(m, 0, sizeof *m);
      m->level = level >= -3 ? level : -2;
      m->capacity = 100;
      snprintf(m->unit, sizeof m->unit, "percent");
      const char *rgb = colors && i < ippGetCount(colors) ? ippGetString(colors, i, NULL) : NULL;
      snprintf(m->color, sizeof m->color, "%s", color_name(rgb));
    }
    out->count++;
  }
}

void ipp_supplies_read(ipp_t *response, sr_device_supplies *out) {
  out->count = 0;
  int details = SR_HAS_MEMBER(out, more);
  ipp_attribute_t *supply = ippFindAttribute(response, "printer-supply", IPP_TAG_STRING);
  ipp_attribute_t *markers = ippFindAttribute(response, "marker-names", IPP_TAG_ZERO);
  if (supply)
    from_printer_supply(response, supply, out, details);
  else if (markers)
    from_markers(response, markers, out, details);
}
