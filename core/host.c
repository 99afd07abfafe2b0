/* The host API table handed to every plugin. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_error.h"
#include "config.h"
#include "config_schema.h"
#include "log.h"
#include "plugin_private.h"

static void *host_alloc(size_t size) { return calloc(1, size ? size : 1); }
static void *host_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
static void host_free(void *ptr) { free(ptr); }
static char *host_strdup(const char *s) { return s ? strdup(s) : NULL; }

static void host_log(const sr_plugin *self, int level, const char *fmt, ...) {
  char comp[96];
  if (self && self->decl.name)
    snprintf(comp, sizeof comp, "%s.%s", sr_plugin_kind_name((int)self->decl.kind),
             self->decl.name);
  else
    snprintf(comp, sizeof comp, "plugin");
  va_list ap;
  va_start(ap, fmt);
  sr_logv(level, comp, fmt, ap);
  va_end(ap);
}

/* Per call, not per plugin: the reason goes to the calling thread's record
 * (call_error.h), so concurrent calls of one plugin keep their own. */
static void host_set_error(sr_plugin *self, int code, const char *fmt, ...) {
  if (!self)
    return;
  va_list ap;
  va_start(ap, fmt);
  sr_call_error_setv(self, code, fmt, ap);
  va_end(ap);
}

static const sr_config_node *host_config_child(const sr_config_node *map, const char *key) {
  return sr_config_get(map, key);
}

/* The scalar child `key`, or an error if present but not a scalar. */
static int scalar_child(const sr_config_node *map, const char *key, const sr_config_node **out) {
  *out = sr_config_get(map, key);
  if (*out && (*out)->type != SR_CONFIG_SCALAR) {
    sr_config_add_error(*out, false, "expected a single value, got a %s",
                        (*out)->type == SR_CONFIG_MAP ? "map" : "list");
    return SR_ERR_CONFIG;
  }
  return SR_OK;
}

static int missing(const sr_config_node *map, const char *key) {
  if (map)
    sr_config_add_error(map, false, "missing required key '%s'", key);
  return SR_ERR_CONFIG;
}

static int host_config_string(const sr_config_node *map, const char *key, const char *def,
                              const char **out) {
  const sr_config_node *n;
  if (scalar_child(map, key, &n) != SR_OK)
    return SR_ERR_CONFIG;
  if (!n && !def)
    return missing(map, key);
  *out = n ? n->value : def;
  return SR_OK;
}

static int host_config_int(const sr_config_node *map, const char *key, int64_t def, int64_t min,
                           int64_t max, int64_t *out) {
  const sr_config_node *n;
  if (scalar_child(map, key, &n) != SR_OK)
    return SR_ERR_CONFIG;
  if (!n) {
    *out = def;
    return SR_OK;
  }
  int64_t v;
  if (!sr_int_parse(n->value, &v) || v < min || v > max) {
    char got[256];
    sr_config_describe(n, got, sizeof got);
    sr_config_add_error(n, false, "expected an integer from %lld to %lld, got %s", (long long)min,
                        (long long)max, got);
    return SR_ERR_CONFIG;
  }
  *out = v;
  return SR_OK;
}

static int host_config_bool(const sr_config_node *map, const char *key, bool def, bool *out) {
  const sr_config_node *n;
  if (scalar_child(map, key, &n) != SR_OK)
    return SR_ERR_CONFIG;
  if (!n) {
    *out = def;
    return SR_OK;
  }
  if (!sr_bool_parse(n->value, out)) {
    char got[256];
    sr_config_describe(n, got, sizeof got);
    sr_config_add_error(n, false, "expected true or false, got %s", got);
    return SR_ERR_CONFIG;
  }
  return SR_OK;
}

static size_t host_config_list_size(const sr_config_node *list) {
  return list && list->type == SR_CONFIG_LIST ? list->count : 0;
}

static const sr_config_node *host_config_list_item(const sr_config_node *list, size_t index) {
  return index < host_config_list_size(list) ? list->items[index] : NULL;
}

static const char *host_config_scalar(const sr_config_node *node) {
  return node && node->type == SR_CONFIG_SCALAR ? node->value : NULL;
}

static void host_config_error(const sr_config_node *node, const char *fmt, ...) {
  if (!node)
    return;
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  sr_config_add_error(node, false, "%s", msg);
}

static int host_config_only_keys(const sr_config_node *map, const char *const *known) {
  return sr_config_reject_unknown(map, known) ? SR_ERR_CONFIG : SR_OK;
}

static void *host_event_loop(const sr_plugin *self) { return self ? self->event_loop : NULL; }

static const sr_host_api host_api = {
    .struct_size = sizeof(sr_host_api),
    .abi_major = SR_ABI_MAJOR,
    .abi_minor = SR_ABI_MINOR,
    .alloc = host_alloc,
    .realloc = host_realloc,
    .free = host_free,
    .strdup = host_strdup,
    .log = host_log,
    .set_error = host_set_error,
    .config_child = host_config_child,
    .config_string = host_config_string,
    .config_int = host_config_int,
    .config_bool = host_config_bool,
    .config_list_size = host_config_list_size,
    .config_list_item = host_config_list_item,
    .config_scalar = host_config_scalar,
    .config_error = host_config_error,
    .config_only_keys = host_config_only_keys,
    .event_loop = host_event_loop,
};

const sr_host_api *sr_host_api_get(void) { return &host_api; }
