/*
 * Times the API takes: a Unix time (integer) or RFC 3339 UTC text, and
 * only within a sane range for what the time means. Unbounded input went
 * wrong quietly: 2^63-1 as a delegation's end was stored and shown back
 * as a garbled date, and a time far out is "for ever" in disguise.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"

/* Text to a Unix time: "YYYY-MM-DDTHH:MM:SSZ" (the Z may be left out) or
 * "YYYY-MM-DD" (midnight UTC). */
static bool parse_text(const char *s, int64_t *out) {
  struct tm tm = {0};
  const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (end) {
    if (strcmp(end, "Z") != 0 && *end)
      return false;
  } else {
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end)
      return false;
  }
  *out = (int64_t)timegm(&tm);
  return true;
}

bool cloud_time_field(json_t *v, const char *name, int64_t earliest, int64_t latest, int64_t *out,
                      sr_http_response *resp) {
  bool parsed = false;
  if (json_is_integer(v)) {
    *out = json_integer_value(v);
    parsed = true;
  } else if (json_is_string(v) && json_string_length(v) < 40) {
    parsed = parse_text(json_string_value(v), out);
  }
  if (parsed && *out >= earliest && *out <= latest)
    return true;
  char from[32], to[32];
  cloud_rfc3339(earliest, from);
  cloud_rfc3339(latest, to);
  sr_http_reply_error(resp, 400, "invalid",
                      "'%s' must be a time from %s to %s (RFC 3339 UTC text, or a Unix time)", name,
                      from, to);
  return false;
}
