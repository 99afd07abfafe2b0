/*
 * Checks of the text fields the administration API stores and hands on:
 * names end up in every listing (addresses are checked by core's
 * address_check.h, which srctl shares).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"

static bool printable(const char *s) {
  for (; *s; s++) /* UTF-8 is fine (jansson checked it); control characters are not */
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return false;
  return true;
}

bool cloud_slug_ok(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > max || s[0] == '-')
    return false;
  for (; *s; s++)
    if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
      return false;
  return true;
}

bool cloud_name_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= CLOUD_NAME_MAX && printable(s);
}

bool cloud_text_field_ok(const json_t *v, size_t max) {
  return json_is_string(v) && json_string_length(v) <= max &&
         strlen(json_string_value(v)) == json_string_length(v) && /* no NUL inside */
         printable(json_string_value(v));
}

bool cloud_count_field_ok(const json_t *v, int64_t max) {
  return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= max;
}

bool cloud_location_field(json_t *body, sr_http_response *resp) {
  json_t *v = json_object_get(body, "location");
  if (!v || json_is_null(v) ||
      (cloud_text_field_ok(v, CLOUD_LOCATION_MAX) && json_string_length(v) > 0))
    return true;
  sr_http_reply_error(resp, 400, "invalid",
                      "'location' is text of 1 to %d bytes without control characters (where the "
                      "printer stands, printed on its label), or null for none",
                      CLOUD_LOCATION_MAX);
  return false;
}
