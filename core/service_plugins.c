#include "service_plugins.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SR_PLUGIN_INSTALL_DIR
#define SR_PLUGIN_INSTALL_DIR "/usr/local/lib/securerelease/plugins"
#endif

/* A binary run from its CMake build tree (bin/ beside CMakeCache.txt) finds
 * the plugins built with it in that tree's plugins/, so that
 * `build/bin/srctl config check` works without SR_PLUGIN_PATH. An installed
 * binary has no CMakeCache.txt above it and searches no such folder.
 * Returns false when the running binary is not in a build tree. */
static bool build_tree_plugin_dir(char *out, size_t size) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return false;
  exe[n] = '\0';
  char *slash = strrchr(exe, '/'); /* .../build/bin/srctl -> .../build/bin */
  if (!slash)
    return false;
  *slash = '\0';
  if (!(slash = strrchr(exe, '/'))) /* -> .../build */
    return false;
  *slash = '\0';
  char cache[PATH_MAX];
  if ((size_t)snprintf(cache, sizeof cache, "%s/CMakeCache.txt", exe) >= sizeof cache ||
      access(cache, F_OK) != 0)
    return false;
  return (size_t)snprintf(out, size, "%s/plugins", exe) < size;
}

int sr_service_plugin_paths(const sr_config *doc, const sr_service_config *cfg, sr_loader *loader) {
  int status = SR_OK;
  const char *env = getenv("SR_PLUGIN_PATH");
  if (env && *env) {
    char *copy = strdup(env);
    if (!copy)
      return SR_ERR_NOMEM;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && status == SR_OK;
         dir = strtok_r(NULL, ":", &save))
      status = sr_loader_add_path(loader, dir);
    free(copy);
  }
  const sr_config_node *paths = cfg->plugins.paths;
  for (size_t i = 0; paths && i < paths->count && status == SR_OK; i++) {
    if (paths->items[i]->type != SR_CONFIG_SCALAR)
      continue; /* the schema reported it */
    const char *dir = paths->items[i]->value;
    char joined[PATH_MAX];
    if (dir[0] != '/') {
      snprintf(joined, sizeof joined, "%s/%s", sr_config_dir(doc), dir);
      dir = joined;
    }
    status = sr_loader_add_path(loader, dir);
  }
  char build_dir[PATH_MAX];
  if (status == SR_OK && build_tree_plugin_dir(build_dir, sizeof build_dir))
    status = sr_loader_add_path(loader, build_dir);
  if (status == SR_OK)
    status = sr_loader_add_path(loader, SR_PLUGIN_INSTALL_DIR);
  return status;
}

static int each_in(const sr_config_node *list, int kind, sr_plugin_section_fn fn, void *ctx) {
  for (size_t i = 0; list && i < list->count; i++) {
    int status = fn(ctx, kind, list->items[i]);
    if (status != SR_OK)
      return status;
  }
  return SR_OK;
}

int sr_service_each_plugin(const sr_service_config *cfg, sr_plugin_section_fn fn, void *ctx) {
  int status = SR_OK;
  switch (cfg->service) {
  case SR_SERVICE_CLOUD:
    status = each_in(cfg->u.cloud.storage, SR_PLUGIN_STORAGE, fn, ctx);
    if (status == SR_OK)
      status = each_in(cfg->u.cloud.idp, SR_PLUGIN_IDP, fn, ctx);
    return status;
  case SR_SERVICE_PRINT_SCOUT:
    if (cfg->u.print_scout.storage)
      status = fn(ctx, SR_PLUGIN_STORAGE, cfg->u.print_scout.storage);
    if (status == SR_OK)
      status = each_in(cfg->u.print_scout.transports, SR_PLUGIN_TRANSPORT, fn, ctx);
    if (status == SR_OK && cfg->u.print_scout.driver)
      status = fn(ctx, SR_PLUGIN_DEVICE, cfg->u.print_scout.driver);
    if (status == SR_OK)
      status = each_in(cfg->u.print_scout.idp, SR_PLUGIN_IDP, fn, ctx);
    return status;
  case SR_SERVICE_DEVICE_SCOUT:
    status = each_in(cfg->u.device_scout.drivers, SR_PLUGIN_DEVICE, fn, ctx);
    if (status == SR_OK)
      status = each_in(cfg->u.device_scout.idp, SR_PLUGIN_IDP, fn, ctx);
    return status;
  default: return SR_OK;
  }
}

int sr_plugin_section_check(sr_loader *loader, int kind, const sr_config_node *section,
                            sr_plugin **out) {
  const sr_config_node *name = sr_config_get(section, "plugin");
  if (!name || name->type != SR_CONFIG_SCALAR)
    return SR_ERR_CONFIG; /* the schema already said so */
  sr_plugin *plugin = NULL;
  char err[1024];
  int status = sr_loader_load(loader, kind, name->value, &plugin, err, sizeof err);
  if (status != SR_OK) {
    sr_config_add_error(name, false, "%s", err);
    return status;
  }
  const sr_instance_ops *ops = &sr_plugin_ops(plugin)->base;
  if (ops->check_config) {
    sr_plugin_clear_error(plugin);
    status = ops->check_config(plugin, sr_config_get(section, "config"));
    if (status != SR_OK && sr_plugin_last_error(plugin)[0])
      sr_config_add_error(section, false, "%s plugin '%s': %s", sr_plugin_kind_name(kind),
                          name->value, sr_plugin_last_error(plugin));
  }
  if (out)
    *out = plugin;
  return status;
}
