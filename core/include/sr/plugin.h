/*
 * securerelease plugin SDK: the plugin declaration and entry symbol.
 *
 * A plugin is a shared object exporting one symbol, `sr_plugin_entry`. The
 * host calls it once after dlopen() with the host API table; the plugin checks
 * the host's ABI and returns a pointer to its static declaration, or refuses.
 * Most plugins write one line: SR_PLUGIN_DECLARE(...).
 */
#ifndef SR_PLUGIN_H
#define SR_PLUGIN_H

#include "abi.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SR_PLUGIN_ENTRY_SYMBOL "sr_plugin_entry"

/*
 * The lifecycle members every ops table starts with (frozen for ABI 1).
 * `self` is the host's handle for this plugin; keep it to log and report
 * errors. `config` is this instance's own configuration subtree (a map, or
 * NULL when the instance has none); the host owns it and keeps it alive
 * until destroy().
 */
typedef struct sr_instance_ops {
  /* Optional. Validates `config` without opening anything (srctl config
   * check calls it). Returns SR_OK or SR_ERR_CONFIG after recording errors
   * through host->config_* accessors. */
  int (*check_config)(sr_plugin *self, const sr_config_node *config);
  /* Required. Creates an instance; on SR_OK *instance is owned by the
   * plugin until destroy(). On error nothing is leaked and *instance is
   * untouched. */
  int (*create)(sr_plugin *self, const sr_config_node *config, void **instance);
  /* Required. Releases everything create() made. Never fails. */
  void (*destroy)(void *instance);
} sr_instance_ops;

/*
 * What the plugin is. Static storage in the plugin; the host copies
 * min(struct_size, sizeof host's sr_plugin_decl) bytes of it into a zeroed
 * struct, and likewise min(ops_size, host's ops size) bytes of the ops table,
 * so members a plugin does not have read as NULL (= unsupported).
 */
typedef struct sr_plugin_decl {
  uint32_t struct_size; /* sizeof(sr_plugin_decl) as the plugin was built */
  uint16_t abi_major;   /* SR_ABI_MAJOR the plugin was built against */
  uint16_t abi_minor;   /* SR_ABI_MINOR the plugin was built against */
  uint32_t kind;        /* sr_plugin_kind */
  uint32_t ops_size;    /* sizeof the kind's ops struct as the plugin was built */
  const char *name;     /* unique per kind; [a-z0-9_-], used in configs */
  const char *version;  /* the plugin's own version, free text */
  const char *description;
  const void *ops; /* sr_idp_ops, sr_storage_ops, sr_transport_ops or sr_device_ops */
} sr_plugin_decl;

/*
 * The entry point. Returns SR_OK and sets *decl to a declaration with static
 * lifetime, or returns SR_ERR_ABI (or another status) to refuse, after
 * saying why with host->set_error(self, ...).
 */
typedef int (*sr_plugin_entry_fn)(const sr_host_api *host, sr_plugin *self,
                                  const sr_plugin_decl **decl);

/*
 * Declares the entry point of a plugin. `needs_minor` is the lowest host
 * minor whose host API members the plugin uses (usually 0). Keeps the host
 * API pointer in `sr_host` for the plugin's own code.
 */
#define SR_PLUGIN_DECLARE(kind_, name_, version_, description_, ops_, needs_minor_)                \
  const sr_host_api *sr_host;                                                                      \
  static const sr_plugin_decl sr_plugin_declaration_ = {sizeof(sr_plugin_decl),                    \
                                                        SR_ABI_MAJOR,                              \
                                                        SR_ABI_MINOR,                              \
                                                        (kind_),                                   \
                                                        sizeof(ops_),                              \
                                                        (name_),                                   \
                                                        (version_),                                \
                                                        (description_),                            \
                                                        &(ops_)};                                  \
  SR_EXPORT int sr_plugin_entry(const sr_host_api *host, sr_plugin *self,                          \
                                const sr_plugin_decl **decl);                                      \
  int sr_plugin_entry(const sr_host_api *host, sr_plugin *self, const sr_plugin_decl **decl) {     \
    if (host->abi_major != SR_ABI_MAJOR || host->abi_minor < (needs_minor_)) {                     \
      if (host->abi_major == SR_ABI_MAJOR)                                                         \
        host->set_error(self, SR_ERR_ABI, "plugin needs host ABI %d.%d or later, host has %u.%u",  \
                        SR_ABI_MAJOR, (needs_minor_), host->abi_major, host->abi_minor);           \
      else                                                                                         \
        host->set_error(self, SR_ERR_ABI, "plugin built for ABI %d.%d, host has %u.%u",            \
                        SR_ABI_MAJOR, SR_ABI_MINOR, host->abi_major, host->abi_minor);             \
      return SR_ERR_ABI;                                                                           \
    }                                                                                              \
    sr_host = host;                                                                                \
    *decl = &sr_plugin_declaration_;                                                               \
    return SR_OK;                                                                                  \
  }

/* The host API pointer SR_PLUGIN_DECLARE keeps for the plugin. */
extern const sr_host_api *sr_host;

#ifdef __cplusplus
}
#endif

#endif
