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

bool cloud_name_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > CLOUD_NAME_MAX)
    return false;
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
