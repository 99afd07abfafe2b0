#include "loader.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call_error.h"
#include "log.h"
#include "plugin_private.h"

struct sr_loader {
  void *event_loop;
  char **paths;
  size_t n_paths;
  sr_plugin **plugins;
  size_t n_plugins;
};

/* Under AddressSanitizer plugins stay mapped after dlclose(): the leak
 * checker then sees the globals of the libraries they pulled in (libcups,
 * GnuTLS) as reachable, and can name plugin functions in its reports. */
#if defined(__SANITIZE_ADDRESS__)
#define SR_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)
#else
#define SR_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#endif

/* The smallest declaration any ABI 1 plugin can have: up to `ops`. */
#define DECL_MIN_SIZE (offsetof(sr_plugin_decl, ops) + sizeof(void *))

static void set_err(char *err, size_t size, const char *fmt, ...) SR_PRINTF(3, 4);
static void set_err(char *err, size_t size, const char *fmt, ...) {
  if (!err || !size)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, size, fmt, ap);
  va_end(ap);
}

sr_loader *sr_loader_new(void *event_loop) {
  sr_loader *l = calloc(1, sizeof *l);
  if (l)
    l->event_loop = event_loop;
  return l;
}

static void plugin_free(sr_plugin *p) {
  if (!p)
    return;
  if (p->handle)
    dlclose(p->handle);
  free(p->path);
  free(p);
}

void sr_loader_free(sr_loader *loader) {
  if (!loader)
    return;
  for (size_t i = 0; i < loader->n_plugins; i++)
    plugin_free(loader->plugins[i]);
  for (size_t i = 0; i < loader->n_paths; i++)
    free(loader->paths[i]);
  free(loader->plugins);
  free(loader->paths);
  free(loader);
}

int sr_loader_add_path(sr_loader *loader, const char *dir) {
  char **grown = realloc(loader->paths, (loader->n_paths + 1) * sizeof *grown);
  if (!grown)
    return SR_ERR_NOMEM;
  loader->paths = grown;
  if (!(loader->paths[loader->n_paths] = strdup(dir)))
    return SR_ERR_NOMEM;
  loader->n_paths++;
  return SR_OK;
}

static size_t host_ops_size(uint32_t kind) {
  switch (kind) {
  case SR_PLUGIN_IDP: return sizeof(sr_idp_ops);
  case SR_PLUGIN_STORAGE: return sizeof(sr_storage_ops);
  case SR_PLUGIN_TRANSPORT: return sizeof(sr_transport_ops);
  case SR_PLUGIN_DEVICE: return sizeof(sr_device_ops);
  default: return 0;
  }
}

/* Members a plugin of each kind must have; the rest may be NULL. */
static const char *missing_required(const sr_plugin *p) {
  const sr_plugin_ops_copy *o = &p->ops;
  if (!o->base.create)
    return "create";
  if (!o->base.destroy)
    return "destroy";
  switch (p->decl.kind) {
  case SR_PLUGIN_TRANSPORT:
    if (!o->transport.claims)
      return "claims";
    if (!o->transport.open)
      return "open";
    if (!o->transport.send)
      return "send";
    if (!o->transport.close)
      return "close";
    break;
  case SR_PLUGIN_STORAGE:
    if (!o->storage.put)
      return "put";
    if (!o->storage.get)
      return "get";
    break;
  case SR_PLUGIN_DEVICE:
    if (!o->device.identify)
      return "identify";
    break;
  default: break;
  }
  return NULL;
}

static bool name_ok(const char *s) {
  if (!s || !*s || strlen(s) > 64)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return false;
  return true;
}

/* Copies and checks what the entry function returned. */
static int adopt_declaration(sr_plugin *p, const sr_plugin_decl *d, int expect_kind, char *err,
                             size_t err_size) {
  if (!d) {
    set_err(err, err_size, "%s: plugin returned no declaration", p->path);
    return SR_ERR_INVALID;
  }
  /* struct_size and abi_major sit at the same place in every ABI major. */
  if (d->abi_major != SR_ABI_MAJOR) {
    set_err(err, err_size, "%s: plugin built for ABI %u.%u, this host provides ABI %d.%d", p->path,
            d->abi_major, d->abi_minor, SR_ABI_MAJOR, SR_ABI_MINOR);
    return SR_ERR_ABI;
  }
  if (d->struct_size < DECL_MIN_SIZE) {
    set_err(err, err_size, "%s: declaration is %u bytes, at least %zu expected", p->path,
            d->struct_size, (size_t)DECL_MIN_SIZE);
    return SR_ERR_INVALID;
  }
  memcpy(&p->decl, d, d->struct_size < sizeof p->decl ? d->struct_size : sizeof p->decl);

  size_t ops_size = host_ops_size(p->decl.kind);
  if (!ops_size) {
    set_err(err, err_size, "%s: unknown plugin kind %u", p->path, p->decl.kind);
    return SR_ERR_INVALID;
  }
  if (expect_kind && (int)p->decl.kind != expect_kind) {
    set_err(err, err_size, "%s: this is a %s plugin, a %s plugin was expected", p->path,
            sr_plugin_kind_name((int)p->decl.kind), sr_plugin_kind_name(expect_kind));
    return SR_ERR_INVALID;
  }
  if (!name_ok(p->decl.name)) {
    set_err(err, err_size, "%s: plugin name must be 1-64 characters of [a-z0-9_-]", p->path);
    return SR_ERR_INVALID;
  }
  if (!p->decl.ops || p->decl.ops_size < sizeof(sr_instance_ops)) {
    set_err(err, err_size, "%s: plugin '%s' has no ops table", p->path, p->decl.name);
    return SR_ERR_INVALID;
  }
  memcpy(&p->ops, p->decl.ops, p->decl.ops_size < ops_size ? p->decl.ops_size : ops_size);
  /* struct_size and ops_size keep what the plugin declared (srctl shows
   * them); ops now points at the host's zero-filled copy. */
  p->decl.ops = &p->ops;
  const char *member = missing_required(p);
  if (member) {
    set_err(err, err_size, "%s: %s plugin '%s' lacks the required member '%s'", p->path,
            sr_plugin_kind_name((int)p->decl.kind), p->decl.name, member);
    return SR_ERR_INVALID;
  }
  return SR_OK;
}

static sr_plugin *find_loaded(const sr_loader *l, const char *path, uint32_t kind,
                              const char *name) {
  for (size_t i = 0; i < l->n_plugins; i++) {
    sr_plugin *p = l->plugins[i];
    if (path && strcmp(p->path, path) == 0)
      return p;
    if (name && p->decl.kind == kind && strcmp(p->decl.name, name) == 0)
      return p;
  }
  return NULL;
}

int sr_loader_load_file(sr_loader *loader, const char *file, int expect_kind, sr_plugin **out,
                        char *err, size_t err_size) {
  char resolved[PATH_MAX];
  if (!realpath(file, resolved)) {
    set_err(err, err_size, "%s: no such plugin file", file);
    return SR_ERR_NOT_FOUND;
  }
  sr_plugin *existing = find_loaded(loader, resolved, 0, NULL);
  if (existing) {
    if (expect_kind && (int)existing->decl.kind != expect_kind) {
      set_err(err, err_size, "%s: this is a %s plugin, a %s plugin was expected", file,
              sr_plugin_kind_name((int)existing->decl.kind), sr_plugin_kind_name(expect_kind));
      return SR_ERR_INVALID;
    }
    *out = existing;
    return SR_OK;
  }

  sr_plugin *p = calloc(1, sizeof *p);
  sr_plugin **grown = realloc(loader->plugins, (loader->n_plugins + 1) * sizeof *grown);
  if (grown)
    loader->plugins = grown;
  if (!p || !grown || !(p->path = strdup(resolved))) {
    free(p);
    set_err(err, err_size, "%s: out of memory", file);
    return SR_ERR_NOMEM;
  }
  p->loader = loader;
  p->event_loop = loader->event_loop;

  int status;
  dlerror();
  p->handle = dlopen(resolved, SR_DLOPEN_FLAGS);
  if (!p->handle) {
    const char *why = dlerror();
    set_err(err, err_size, "%s: cannot load: %s", file, why ? why : "unknown dlopen error");
    status = SR_ERR_INVALID;
    goto out_free;
  }
  sr_plugin_entry_fn entry;
  /* POSIX allows this conversion for dlsym results. */
  *(void **)&entry = dlsym(p->handle, SR_PLUGIN_ENTRY_SYMBOL);
  if (!entry) {
    set_err(err, err_size, "%s: not a securerelease plugin (no symbol %s)", file,
            SR_PLUGIN_ENTRY_SYMBOL);
    status = SR_ERR_INVALID;
    goto out_free;
  }
  const sr_plugin_decl *decl = NULL;
  sr_call_error_begin(p);
  status = entry(sr_host_api_get(), p, &decl);
  if (status != SR_OK) {
    set_err(err, err_size, "%s: plugin refused to load: %s", file,
            *sr_call_error_message(p) ? sr_call_error_message(p) : sr_status_name(status));
    goto out_free;
  }
  status = adopt_declaration(p, decl, expect_kind, err, err_size);
  if (status != SR_OK)
    goto out_free;
  sr_plugin *twin = find_loaded(loader, NULL, p->decl.kind, p->decl.name);
  if (twin) {
    set_err(err, err_size, "%s: duplicate %s plugin name '%s' (already loaded from %s)", file,
            sr_plugin_kind_name((int)p->decl.kind), p->decl.name, twin->path);
    status = SR_ERR_EXISTS;
    goto out_free;
  }
  loader->plugins[loader->n_plugins++] = p;
  sr_log(SR_LOG_DEBUG, "loader", "loaded %s plugin %s %s (ABI %u.%u) from %s",
         sr_plugin_kind_name((int)p->decl.kind), p->decl.name,
         p->decl.version ? p->decl.version : "", p->decl.abi_major, p->decl.abi_minor, p->path);
  *out = p;
  return SR_OK;

out_free:
  plugin_free(p);
  return status;
}

int sr_loader_load(sr_loader *loader, int kind, const char *name, sr_plugin **out, char *err,
                   size_t err_size) {
  if (!name_ok(name) || !host_ops_size((uint32_t)kind)) {
    set_err(err, err_size, "bad plugin name '%s'", name ? name : "");
    return SR_ERR_INVALID;
  }
  sr_plugin *loaded = find_loaded(loader, NULL, (uint32_t)kind, name);
  if (loaded) {
    *out = loaded;
    return SR_OK;
  }
  char file[PATH_MAX];
  for (size_t i = 0; i < loader->n_paths; i++) {
    snprintf(file, sizeof file, "%s/sr_%s_%s.so", loader->paths[i], sr_plugin_kind_name(kind),
             name);
    if (access(file, F_OK) != 0)
      continue;
    int status = sr_loader_load_file(loader, file, kind, out, err, err_size);
    if (status == SR_OK && strcmp(sr_plugin_declaration(*out)->name, name) != 0) {
      /* the file name is the contract: a mismatch would shadow another plugin */
      set_err(err, err_size, "%s declares the name '%s', not '%s'", file,
              sr_plugin_declaration(*out)->name, name);
      return SR_ERR_INVALID;
    }
    return status;
  }
  char searched[512] = "";
  for (size_t i = 0; i < loader->n_paths; i++) {
    strncat(searched, i ? ", " : "", sizeof searched - strlen(searched) - 1);
    strncat(searched, loader->paths[i], sizeof searched - strlen(searched) - 1);
  }
  set_err(err, err_size, "no %s plugin '%s': sr_%s_%s.so is not in %s", sr_plugin_kind_name(kind),
          name, sr_plugin_kind_name(kind), name,
          loader->n_paths ? searched : "any plugin directory (set plugins.paths)");
  return SR_ERR_NOT_FOUND;
}

const sr_plugin_decl *sr_plugin_declaration(const sr_plugin *plugin) { return &plugin->decl; }
const sr_plugin_ops_copy *sr_plugin_ops(const sr_plugin *plugin) { return &plugin->ops; }
const char *sr_plugin_path(const sr_plugin *plugin) { return plugin->path; }
const char *sr_plugin_last_error(const sr_plugin *plugin) { return sr_call_error_message(plugin); }
void sr_plugin_clear_error(sr_plugin *plugin) { sr_call_error_begin(plugin); }
