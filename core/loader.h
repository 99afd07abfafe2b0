/*
 * Plugin loader: finds, dlopen()s and checks plugins, and keeps them loaded
 * until the loader is freed.
 *
 * A plugin named NAME of kind KIND is the file sr_KIND_NAME.so in one of the
 * search directories, tried in the order they were added. Loading never
 * crashes on a bad file: every refusal is a status plus a message naming the
 * file and what is wrong.
 */
#ifndef SR_CORE_LOADER_H
#define SR_CORE_LOADER_H

#include <stdbool.h>
#include <stddef.h>

#include "sr/device.h"
#include "sr/idp.h"
#include "sr/plugin.h"
#include "sr/storage.h"
#include "sr/transport.h"

typedef struct sr_loader sr_loader;

/* The host's copy of a plugin's ops, zero-filled past what the plugin has. */
typedef union sr_plugin_ops_copy {
  sr_instance_ops base;
  sr_idp_ops idp;
  sr_storage_ops storage;
  sr_transport_ops transport;
  sr_device_ops device;
} sr_plugin_ops_copy;

/* Returns a new loader, or NULL when out of memory. `event_loop` (a libev
 * loop, may be NULL) is what host->event_loop() gives plugins. */
sr_loader *sr_loader_new(void *event_loop);

/* Unloads every plugin; destroy their instances first. */
void sr_loader_free(sr_loader *loader);

/* Appends a search directory (copied). */
int sr_loader_add_path(sr_loader *loader, const char *dir);

/* Loads the shared object at `file`. `expect_kind` is the kind the caller
 * needs, or 0 for any. On SR_OK *out is owned by the loader. On error `err`
 * holds the reason. Loading the same file again returns the same plugin. */
int sr_loader_load_file(sr_loader *loader, const char *file, int expect_kind, sr_plugin **out,
                        char *err, size_t err_size);

/* Loads plugin `name` of `kind` from the search directories. */
int sr_loader_load(sr_loader *loader, int kind, const char *name, sr_plugin **out, char *err,
                   size_t err_size);

/* The host's copy of the declaration (strings point into the plugin). */
const sr_plugin_decl *sr_plugin_declaration(const sr_plugin *plugin);

/* The host's copy of the ops table for the plugin's kind. */
const sr_plugin_ops_copy *sr_plugin_ops(const sr_plugin *plugin);

/* The file the plugin was loaded from. */
const char *sr_plugin_path(const sr_plugin *plugin);

/* The message the plugin set with host->set_error() during the last call
 * this thread made, or "". Per thread (call_error.h): concurrent calls on
 * other threads do not change it. Valid until this thread's next call. */
const char *sr_plugin_last_error(const sr_plugin *plugin);

/* Forgets this thread's last error (call before an op to get only its
 * message). */
void sr_plugin_clear_error(sr_plugin *plugin);

/* The host API table given to plugins (also used by in-tree tests). */
const sr_host_api *sr_host_api_get(void);

#endif
