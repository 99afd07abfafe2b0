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
 * The execution contract (ABI 1.1; it holds for 1.0 plugins too).
 *
 * - Operations may block (network, disk): the host never calls them on an
 *   event-loop thread. Services call them on a bounded worker pool and
 *   deliver the results to the loop (core/worker_pool.c); tools without a
 *   loop call them directly. Exceptions that must not block: a transport's
 *   claims (called outside the per-instance serialisation below) and
 *   check_config.
 * - The host sets no timeout on a call. One that hangs holds a worker and,
 *   in a serialised instance, queues every later call: bound your own I/O
 *   and return SR_ERR_TIMEOUT.
 * - Calls of one instance may therefore come from several threads. A
 *   plugin whose instances take concurrent calls sets SR_PLUGIN_THREAD_SAFE
 *   in its declaration's `flags`; for every other plugin (and every plugin
 *   built for ABI 1.0, which has no `flags`) the host serialises the calls
 *   of each instance: at most one operation of an instance runs at a time,
 *   and each returns before the next begins. Different instances, and
 *   different plugins, still run in parallel.
 * - check_config then create run on the service's main thread at start-up,
 *   before its event loop runs; destroy on that thread at shutdown, after
 *   the threads that call the instance have stopped; never while another
 *   call of that instance runs. create may block (a bind at start-up
 *   delays the start; bound it); a failed create stops the service.
 * - host->set_error() reports why the call in progress failed: call it on
 *   the thread the host called you on, before returning.
 * - host->event_loop() is the service's loop: add watchers to it only from
 *   create()/destroy() or from the loop's own callbacks, never from an
 *   operation (operations run on worker threads; libev loops are not
 *   thread-safe).
 */
#define SR_PLUGIN_THREAD_SAFE 0x1u /* instances take concurrent calls */

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
  /* ---- ABI 1.1 ---- */
  uint32_t flags; /* SR_PLUGIN_THREAD_SAFE or 0 (see the execution contract) */
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
 * API pointer in `sr_host` for the plugin's own code. The plugin's calls
 * are serialised per instance; SR_PLUGIN_DECLARE_FLAGS declares more.
 */
#define SR_PLUGIN_DECLARE(kind_, name_, version_, description_, ops_, needs_minor_)                \
  SR_PLUGIN_DECLARE_FLAGS(kind_, name_, version_, description_, ops_, needs_minor_, 0)

/*
 * As SR_PLUGIN_DECLARE, with `flags` (SR_PLUGIN_THREAD_SAFE: the plugin's
 * instances take concurrent calls). A 1.0 host ignores the flags.
 */
#define SR_PLUGIN_DECLARE_FLAGS(kind_, name_, version_, description_, ops_, needs_minor_, flags_)  \
  const sr_host_api *sr_host;                                                                      \
  static const sr_plugin_decl sr_plugin_declaration_ = {sizeof(sr_plugin_decl),                    \
                                                        SR_ABI_MAJOR,                              \
                                                        SR_ABI_MINOR,                              \
                                                        (kind_),                                   \
                                                        sizeof(ops_),                              \
                                                        (name_),                                   \
                                                        (version_),                                \
                                                        (description_),                            \
                                                        &(ops_),                                   \
                                                        (flags_)};                                 \
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
