#include "job_info.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr/abi.h"

static const char *const sides_values[] = {"one-sided", "two-sided-long-edge",
                                           "two-sided-short-edge", NULL};
static const char *const color_values[] = {"color", "monochrome", "auto", NULL};

static bool one_of(const char *s, const char *const *values) {
  for (size_t i = 0; values[i]; i++)
    if (strcmp(s, values[i]) == 0)
      return true;
  return false;
}

void sr_job_info_init(sr_job_info *info) {
  memset(info, 0, sizeof *info);
  info->pages = -1;
  info->copies = 1;
  strcpy(info->sides, "one-sided");
  strcpy(info->color_mode, "auto");
}

static bool format_time(int64_t t, char *out, size_t size) {
  time_t tt = (time_t)t;
  struct tm tm;
  return gmtime_r(&tt, &tm) && strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
}

static bool parse_time(const char *text, int64_t *t) {
  struct tm tm = {0};
  const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end)
    return false;
  *t = (int64_t)timegm(&tm);
  return true;
}

int sr_job_info_to_json(const sr_job_info *info, char **json) {
  char when[32];
  if (info->copies < 1 || info->copies > 999 || info->pages < -1 || info->size < 0 ||
      !one_of(info->sides, sides_values) || !one_of(info->color_mode, color_values) ||
      !format_time(info->submitted_at, when, sizeof when))
    return SR_ERR_INVALID;
  json_t *o = json_pack("{s:s, s:s, s:o, s:I, s:i, s:s, s:s, s:s, s:s}", "title", info->title,
                        "document_format", info->document_format, "pages",
                        info->pages < 0 ? json_null() : json_integer(info->pages), "size",
                        (json_int_t)info->size, "copies", (int)info->copies, "sides", info->sides,
                        "color_mode", info->color_mode, "owner", info->owner, "submitted_at", when);
  if (!o)
    return SR_ERR_INVALID; /* e.g. a title that is not UTF-8 */
  if ((info->login[0] && json_object_set_new(o, "login", json_string(info->login)) != 0) ||
      (info->pin_hash[0] && json_object_set_new(o, "pin_hash", json_string(info->pin_hash)) != 0)) {
    json_decref(o);
    return SR_ERR_INVALID;
  }
  *json = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return *json ? SR_OK : SR_ERR_NOMEM;
}

/* Copies string member `key` into `out` if present. */
static bool get_string(json_t *o, const char *key, char *out, size_t size, char *why,
                       size_t why_size) {
  json_t *v = json_object_get(o, key);
  if (!v)
    return true;
  if (!json_is_string(v) || json_string_length(v) >= size) {
    snprintf(why, why_size, "'%s' must be text of fewer than %zu bytes", key, size);
    return false;
  }
  memcpy(out, json_string_value(v), json_string_length(v) + 1);
  return true;
}

int sr_job_info_from_json(const char *json, sr_job_info *info, char *why, size_t why_size) {
  sr_job_info_init(info);
  json_error_t error;
  json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &error);
  if (!o || !json_is_object(o)) {
    snprintf(why, why_size, "job information is not a JSON object: %s",
             o ? "wrong type" : error.text);
    json_decref(o);
    return SR_ERR_INVALID;
  }
  int status = SR_ERR_INVALID;
  char when[64] = "";
  if (!get_string(o, "title", info->title, sizeof info->title, why, why_size) ||
      !get_string(o, "document_format", info->document_format, sizeof info->document_format, why,
                  why_size) ||
      !get_string(o, "sides", info->sides, sizeof info->sides, why, why_size) ||
      !get_string(o, "color_mode", info->color_mode, sizeof info->color_mode, why, why_size) ||
      !get_string(o, "owner", info->owner, sizeof info->owner, why, why_size) ||
      !get_string(o, "login", info->login, sizeof info->login, why, why_size) ||
      !get_string(o, "pin_hash", info->pin_hash, sizeof info->pin_hash, why, why_size) ||
      !get_string(o, "submitted_at", when, sizeof when, why, why_size))
    goto out;
  if (info->pin_hash[0] &&
      (strlen(info->pin_hash) != 64 || strspn(info->pin_hash, "0123456789abcdef") != 64)) {
    snprintf(why, why_size, "'pin_hash' must be 64 lower-case hex digits");
    goto out;
  }
  json_t *pages = json_object_get(o, "pages"), *copies = json_object_get(o, "copies");
  json_t *size = json_object_get(o, "size");
  if (pages && !json_is_null(pages) && (!json_is_integer(pages) || json_integer_value(pages) < 0)) {
    snprintf(why, why_size, "'pages' must be a count or null (unknown)");
    goto out;
  }
  info->pages = pages && json_is_integer(pages) ? json_integer_value(pages) : -1;
  if (copies && (!json_is_integer(copies) || json_integer_value(copies) < 1 ||
                 json_integer_value(copies) > 999)) {
    snprintf(why, why_size, "'copies' must be a whole number from 1 to 999");
    goto out;
  }
  if (copies)
    info->copies = (int32_t)json_integer_value(copies);
  if (size && (!json_is_integer(size) || json_integer_value(size) < 0)) {
    snprintf(why, why_size, "'size' must be a byte count");
    goto out;
  }
  info->size = size ? json_integer_value(size) : 0;
  if (!one_of(info->sides, sides_values)) {
    snprintf(why, why_size,
             "'sides' must be one-sided, two-sided-long-edge or two-sided-short-edge");
    goto out;
  }
  if (!one_of(info->color_mode, color_values)) {
    snprintf(why, why_size, "'color_mode' must be color, monochrome or auto");
    goto out;
  }
  if (*when && !parse_time(when, &info->submitted_at)) {
    snprintf(why, why_size, "'submitted_at' must be an RFC 3339 UTC time (2026-01-31T12:00:00Z)");
    goto out;
  }
  status = SR_OK;
out:
  json_decref(o);
  return status;
}
