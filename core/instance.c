#include "instance.h"

#include <stdio.h>
#include <stdlib.h>

#include "service_plugins.h"

int sr_instance_create(sr_loader *loader, int kind, const sr_config_node *section,
                       sr_instance **out, char *err, size_t err_size) {
  sr_plugin *plugin = NULL;
  size_t errors_before = sr_config_error_count(section->doc);
  int status = sr_plugin_section_check(loader, kind, section, &plugin);
  if (status == SR_OK && sr_config_error_count(section->doc) > errors_before)
    status = SR_ERR_CONFIG;
  if (status != SR_OK) {
    snprintf(err, err_size, "%s",
             sr_config_error(section->doc, errors_before)
                 ? sr_config_error(section->doc, errors_before)
                 : sr_status_name(status));
    return status;
  }
  sr_instance *inst = calloc(1, sizeof *inst);
  if (!inst)
    return SR_ERR_NOMEM;
  inst->plugin = plugin;
  inst->section = section;
  sr_instance_calls_init(inst);
  const sr_config_node *name = sr_config_get(section, "name");
  snprintf(inst->name, sizeof inst->name, "%s",
           name && name->type == SR_CONFIG_SCALAR ? name->value
                                                  : sr_plugin_declaration(plugin)->name);
  sr_plugin_clear_error(plugin);
  status =
      sr_plugin_ops(plugin)->base.create(plugin, sr_config_get(section, "config"), &inst->state);
  if (status != SR_OK) {
    const char *why = sr_config_error_count(section->doc) > errors_before
                          ? sr_config_error(section->doc, errors_before)
                          : sr_plugin_last_error(plugin);
    snprintf(err, err_size, "%s plugin '%s' could not start: %s", sr_plugin_kind_name(kind),
             sr_plugin_declaration(plugin)->name, *why ? why : sr_status_name(status));
    pthread_mutex_destroy(&inst->calls);
    free(inst);
    return status;
  }
  *out = inst;
  return SR_OK;
}

void sr_instance_destroy(sr_instance *instance) {
  if (!instance)
    return;
  sr_plugin_ops(instance->plugin)->base.destroy(instance->state);
  pthread_mutex_destroy(&instance->calls);
  free(instance);
}

void sr_instance_calls_init(sr_instance *instance) {
  /* a 1.0 declaration has no flags: they read as 0, so it is serialised */
  instance->serialised = !(sr_plugin_declaration(instance->plugin)->flags & SR_PLUGIN_THREAD_SAFE);
  pthread_mutex_init(&instance->calls, NULL);
}

void sr_instance_call_begin(sr_instance *instance) {
  if (instance->serialised)
    pthread_mutex_lock(&instance->calls);
  sr_plugin_clear_error(instance->plugin);
}

void sr_instance_call_end(sr_instance *instance) {
  if (instance->serialised)
    pthread_mutex_unlock(&instance->calls);
}

const sr_plugin_ops_copy *sr_instance_ops_of(const sr_instance *instance) {
  return sr_plugin_ops(instance->plugin);
}

int sr_instances_create(sr_loader *loader, int kind, const sr_config_node *list, sr_instance **out,
                        size_t max, size_t *n, char *err, size_t err_size) {
  for (size_t i = 0; list && i < list->count; i++) {
    if (*n == max) {
      snprintf(err, err_size, "at most %zu %s plugins", max, sr_plugin_kind_name(kind));
      return SR_ERR_CONFIG;
    }
    int status = sr_instance_create(loader, kind, list->items[i], &out[*n], err, err_size);
    if (status != SR_OK)
      return status;
    (*n)++;
  }
  return SR_OK;
}
