#include "route.h"

#include <stdio.h>
#include <string.h>

/* Segments a {name} may stand for: ids the APIs make (u-..., d-..., hex
 * job ids, device slugs); nothing that could be a path of its own. */
static const char id_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

bool sr_route_path_matches(const char *pattern, const char *path, char *id, size_t id_size) {
  while (*pattern && *path) {
    if (*pattern == '{') {
      const char *close = strchr(pattern, '}');
      size_t n = strspn(path, id_chars);
      if (!close || n == 0 || n >= id_size || (path[n] && path[n] != '/') ||
          (n == 1 && path[0] == '.') || (n == 2 && path[0] == '.' && path[1] == '.'))
        return false;
      memcpy(id, path, n);
      id[n] = '\0';
      pattern = close + 1;
      path += n;
    } else if (*pattern++ != *path++) {
      return false;
    }
  }
  return *pattern == '\0' && *path == '\0';
}

long sr_route_find(const void *table, size_t n, size_t stride, const char *method, const char *path,
                   char *id, size_t id_size, char *allow, size_t allow_size) {
  char scratch[128];
  size_t used = 0, scratch_size = id_size < sizeof scratch ? id_size : sizeof scratch;
  allow[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    const sr_route *r = (const sr_route *)((const char *)table + i * stride);
    if (!sr_route_path_matches(r->pattern, path, scratch, scratch_size))
      continue;
    if (strcmp(r->method, method) == 0) {
      memcpy(id, scratch, scratch_size);
      return (long)i;
    }
    int w = snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", r->method);
    if (w > 0 && (size_t)w < allow_size - used)
      used += (size_t)w;
  }
  return -1;
}
