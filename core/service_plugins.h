/*
 * Plugin sections of a service configuration: where plugins are searched
 * and how each section's plugin is loaded and checked.
 */
#ifndef SR_CORE_SERVICE_PLUGINS_H
#define SR_CORE_SERVICE_PLUGINS_H

#include "loader.h"
#include "service_config.h"

/* Adds the search directories, in this order: SR_PLUGIN_PATH (colon
 * separated), the file's plugins.paths (relative ones taken from the file's
 * directory), the plugins/ folder of the build tree the running binary was
 * built in (only when it runs from one), then the installed plugin
 * directory. */
int sr_service_plugin_paths(const sr_config *doc, const sr_service_config *cfg, sr_loader *loader);

/* Calls `fn` for every plugin section of the service, with the plugin kind
 * that section takes; stops at the first non-SR_OK return. */
typedef int (*sr_plugin_section_fn)(void *ctx, int kind, const sr_config_node *section);
int sr_service_each_plugin(const sr_service_config *cfg, sr_plugin_section_fn fn, void *ctx);

/* Loads the plugin a section names and runs its check_config() on the
 * section's `config` map. Every problem becomes an error of the section's
 * document. On SR_OK *out (may be NULL) is the loaded plugin. */
int sr_plugin_section_check(sr_loader *loader, int kind, const sr_config_node *section,
                            sr_plugin **out);

#endif
