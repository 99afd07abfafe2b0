/*
 * Plugin instances: a loaded plugin plus the state its create() made from
 * one configuration section. Services hold their storage, transports,
 * drivers and identity providers as instances.
 */
#ifndef SR_CORE_INSTANCE_H
#define SR_CORE_INSTANCE_H

#include "config.h"
#include "loader.h"

typedef struct sr_instance {
  sr_plugin *plugin;             /* owned by the loader */
  void *state;                   /* owned by the plugin until destroy */
  const sr_config_node *section; /* owned by the configuration document */
  char name[72];                 /* the section's `name`, else the plugin's */
} sr_instance;

/* Loads the plugin `section` names (kind `kind`) and creates an instance
 * from the section's `config` map. Configuration problems are recorded in
 * the section's document; `err` says what failed. On SR_OK the caller owns
 * *out and frees it with sr_instance_destroy(). */
int sr_instance_create(sr_loader *loader, int kind, const sr_config_node *section,
                       sr_instance **out, char *err, size_t err_size);

/* Creates one instance per section of the plugin list `list` (NULL: none)
 * into out[*n], out[*n + 1], ... up to `max`, advancing *n. SR_OK, or the
 * first failure with `err` set (instances made so far stay in out). */
int sr_instances_create(sr_loader *loader, int kind, const sr_config_node *list, sr_instance **out,
                        size_t max, size_t *n, char *err, size_t err_size);

/* Calls the plugin's destroy() and frees the instance; NULL is fine. */
void sr_instance_destroy(sr_instance *instance);

/* The instance's ops (host copy). */
const sr_plugin_ops_copy *sr_instance_ops_of(const sr_instance *instance);

#endif
