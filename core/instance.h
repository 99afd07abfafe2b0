/*
 * Plugin instances: a loaded plugin plus the state its create() made from
 * one configuration section. Services hold their storage, transports,
 * drivers and identity providers as instances.
 */
#ifndef SR_CORE_INSTANCE_H
#define SR_CORE_INSTANCE_H

#include <pthread.h>
#include <stdbool.h>

#include "config.h"
#include "loader.h"

typedef struct sr_instance {
  sr_plugin *plugin;             /* owned by the loader */
  void *state;                   /* owned by the plugin until destroy */
  const sr_config_node *section; /* owned by the configuration document */
  char name[72];                 /* the section's `name`, else the plugin's */
  bool serialised;               /* the plugin is not SR_PLUGIN_THREAD_SAFE */
  pthread_mutex_t calls;         /* held during each call when serialised */
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

/* Sets up the call bracketing of an instance whose `plugin` is set (done by
 * sr_instance_create; for instances made by hand, as tests do). */
void sr_instance_calls_init(sr_instance *instance);

/* Calls the plugin's destroy() and frees the instance; NULL is fine. */
void sr_instance_destroy(sr_instance *instance);

/*
 * Every call of an instance's operations is bracketed by these two, on the
 * calling thread (the execution contract, sr/plugin.h):
 *   sr_instance_call_begin(t); rc = ops->open(t->state, ...); sr_instance_call_end(t);
 * begin waits while another call of a serialised instance runs (plugins not
 * declared SR_PLUGIN_THREAD_SAFE, and all ABI 1.0 plugins) and clears this
 * thread's error record; end lets the next call in. The reason of a failed
 * call stays readable after end with sr_plugin_last_error(t->plugin), on
 * this thread, until its next begin. Never begin twice on one thread
 * without ending (the instance's lock is not recursive).
 */
void sr_instance_call_begin(sr_instance *instance);
void sr_instance_call_end(sr_instance *instance);

/* The instance's ops (host copy). */
const sr_plugin_ops_copy *sr_instance_ops_of(const sr_instance *instance);

#endif
