/*
 * securerelease plugin SDK: the host API table.
 *
 * The host (the core library inside a service or srctl) passes this table to
 * the plugin's entry function. It is the only way a plugin reaches the core:
 * plugins link against nothing but the C library and their own dependencies.
 *
 * Growth rule: members are only ever appended. A plugin built for a newer
 * minor must check `struct_size` (or `abi_minor`) before using a member that
 * its headers have but the running host may not.
 */
#ifndef SR_HOST_H
#define SR_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A node of the YAML configuration: a map, a list or a scalar. Owned by the
 * host and valid for the lifetime of the plugin instance it was given to. */
typedef struct sr_config_node sr_config_node;

/* A loaded plugin, as the host sees it. Owned by the host. */
typedef struct sr_plugin sr_plugin;

typedef enum sr_log_level {
  SR_LOG_DEBUG = 0,
  SR_LOG_INFO = 1,
  SR_LOG_WARN = 2,
  SR_LOG_ERROR = 3,
} sr_log_level;

typedef struct sr_host_api {
  uint32_t struct_size; /* sizeof(sr_host_api) as the host was built */
  uint16_t abi_major;   /* the host's SR_ABI_MAJOR */
  uint16_t abi_minor;   /* the host's SR_ABI_MINOR */

  /* ---- ABI 1.0 ---- */

  /* Memory that crosses the boundary in either direction is allocated and
   * freed with these. alloc() returns zeroed memory or NULL. */
  void *(*alloc)(size_t size);
  void *(*realloc)(void *ptr, size_t size);
  void (*free)(void *ptr);
  /* Returns a copy of `s` the caller owns (free with host->free), or NULL. */
  char *(*strdup)(const char *s);

  /* Structured log line to the service's log, tagged with the plugin name.
   * Never pass secrets or document content. */
  void (*log)(const sr_plugin *self, int level, const char *fmt, ...) SR_PRINTF(3, 4);

  /* Records why the call in progress fails (call it on the thread the host
   * called you on, before returning; the last one of a call wins, 511 bytes
   * at most). The host uses only the text, and only if the call does not
   * return SR_OK; the status returned decides what happens, `code` (an
   * sr_status) is not used. Where the text is shown depends on the call
   * (docs/plugins.md, "Error reasons"): the SR_ERR_AUTH reason of an
   * idp's authenticate, for one, is shown to nobody. */
  void (*set_error)(sr_plugin *self, int code, const char *fmt, ...) SR_PRINTF(3, 4);

  /* Configuration accessors. `map` is the subtree the plugin instance was
   * given. Every accessor that finds a wrong value records an error naming
   * file:line:column and the key, and returns SR_ERR_CONFIG; a plugin just
   * returns that status from create(). Returned strings are owned by the
   * host and live as long as the instance. */

  /* Returns the child `key` of a map node, or NULL if absent. */
  const sr_config_node *(*config_child)(const sr_config_node *map, const char *key);
  /* Scalar text of the child `key`; `def` when absent (NULL: required). */
  int (*config_string)(const sr_config_node *map, const char *key, const char *def,
                       const char **out);
  /* Integer child `key` within [min, max]; `def` when absent. */
  int (*config_int)(const sr_config_node *map, const char *key, int64_t def, int64_t min,
                    int64_t max, int64_t *out);
  /* Boolean child `key` (true/false/yes/no/on/off); `def` when absent. */
  int (*config_bool)(const sr_config_node *map, const char *key, bool def, bool *out);
  /* Number of items of a list node (0 for anything else). */
  size_t (*config_list_size)(const sr_config_node *list);
  /* Item `index` of a list node, or NULL. */
  const sr_config_node *(*config_list_item)(const sr_config_node *list, size_t index);
  /* Text of a scalar node, or NULL if the node is not a scalar. */
  const char *(*config_scalar)(const sr_config_node *node);
  /* Records an error at the node's file:line:column (e.g. a value the
   * plugin understands but rejects), prefixed with the node's dotted key:
   * config_error(root, "expected an absolute directory path") records
   * "print-scout.yaml:9:11: 'storage.config.root': expected an absolute
   * directory path". Write only what is wrong. */
  void (*config_error)(const sr_config_node *node, const char *fmt, ...) SR_PRINTF(2, 3);
  /* Rejects every key of `map` not in the NULL-terminated `known` list, with
   * a "did you mean" hint; returns SR_OK or SR_ERR_CONFIG. */
  int (*config_only_keys)(const sr_config_node *map, const char *const *known);

  /* The service's event loop (a libev `struct ev_loop *`), or NULL in tools
   * that have none. Plugins add watchers to it, never run it. */
  void *(*event_loop)(const sr_plugin *self);
} sr_host_api;

#ifdef __cplusplus
}
#endif

#endif
