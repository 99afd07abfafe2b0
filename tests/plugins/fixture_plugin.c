/*
 * Loader test fixtures: one source, built once per FIXTURE_* variant, each
 * a plugin (or not quite one) in a way the loader must handle. They fill
 * the declaration by hand instead of using SR_PLUGIN_DECLARE so that they
 * can declare other ABI versions and sizes.
 */
#include <sr/plugin.h>
#include <sr/storage.h>
#include <stddef.h>
#include <string.h>

/* What the entry function was given, for fx_put's failures. */
static const sr_host_api *fx_host;
static sr_plugin *fx_self;

static int fx_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  (void)self;
  (void)config;
  static int token;
  *instance = &token;
  return SR_OK;
}
static void fx_destroy(void *instance) { (void)instance; }
/* A key "fail/WHY" fails with the reason WHY, recorded before the reader
 * is called once: a test's reader holds the call there until other
 * threads have recorded their reasons too (per-call errors). */
static int fx_put(void *i, const char *k, sr_read_fn r, void *c) {
  (void)i;
  if (strncmp(k, "fail/", 5) != 0)
    return SR_OK;
  fx_host->set_error(fx_self, SR_ERR_IO, "failed: %s", k + 5);
  char byte;
  r(c, &byte, 1);
  return SR_ERR_IO;
}
static int fx_get(void *i, const char *k, sr_write_fn w, void *c) {
  (void)i, (void)k, (void)w, (void)c;
  return SR_OK;
}
static int fx_remove(void *i, const char *k) {
  (void)i, (void)k;
  return SR_OK;
}
static int fx_stat(void *i, const char *k, sr_storage_stat *o) {
  (void)i, (void)k, (void)o;
  return SR_OK;
}
static int fx_list(void *i, const char *p, sr_storage_list_fn f, void *c) {
  (void)i, (void)p, (void)f, (void)c;
  return SR_OK;
}
static void fx_future(void) {}

/* A "newer minor" ops table: the 1.0 table plus a member the host does not
 * know; also used, with a smaller declared size, as an "older" one whose
 * last members a plugin of that minor would not have had. */
struct grown_ops {
  sr_storage_ops ops;
  void (*future_member)(void);
};
static const struct grown_ops fx_ops = {
    .ops = {.base = {.create = fx_create, .destroy = fx_destroy},
            .put = fx_put,
            .get = fx_get,
            .remove = fx_remove,
            .stat = fx_stat,
            .list = fx_list},
    .future_member = fx_future,
};

struct grown_decl {
  sr_plugin_decl decl;
  const char *future_field;
};

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif
#ifndef FIXTURE_KIND
#define FIXTURE_KIND SR_PLUGIN_STORAGE
#endif
#ifndef FIXTURE_MAJOR
#define FIXTURE_MAJOR SR_ABI_MAJOR
#endif
#ifndef FIXTURE_FLAGS
#define FIXTURE_FLAGS 0
#endif
#ifndef FIXTURE_MINOR
#define FIXTURE_MINOR SR_ABI_MINOR
#endif
#if defined(FIXTURE_OLDER)
/* as built before remove/stat/list existed */
#define FIXTURE_OPS_SIZE offsetof(sr_storage_ops, remove)
#define FIXTURE_DECL_SIZE offsetof(sr_plugin_decl, ops) + sizeof(void *)
#elif defined(FIXTURE_NEWER)
#define FIXTURE_OPS_SIZE sizeof(struct grown_ops)
#define FIXTURE_DECL_SIZE sizeof(struct grown_decl)
#elif defined(FIXTURE_NO_GET)
#define FIXTURE_OPS_SIZE offsetof(sr_storage_ops, get)
#define FIXTURE_DECL_SIZE sizeof(sr_plugin_decl)
#else
#define FIXTURE_OPS_SIZE sizeof(sr_storage_ops)
#define FIXTURE_DECL_SIZE sizeof(sr_plugin_decl)
#endif

__attribute__((unused)) static const struct grown_decl fx_decl = {
    .decl = {.struct_size = FIXTURE_DECL_SIZE,
             .abi_major = FIXTURE_MAJOR,
             .abi_minor = FIXTURE_MINOR,
             .kind = FIXTURE_KIND,
             .ops_size = FIXTURE_OPS_SIZE,
             .name = FIXTURE_NAME,
             .version = "0.0.1",
             .description = "loader test fixture",
             .ops = &fx_ops,
             .flags = FIXTURE_FLAGS},
    .future_field = "the host must not read this",
};

#ifndef FIXTURE_NO_SYMBOL
SR_EXPORT int sr_plugin_entry(const sr_host_api *host, sr_plugin *self,
                              const sr_plugin_decl **decl);
int sr_plugin_entry(const sr_host_api *host, sr_plugin *self, const sr_plugin_decl **decl) {
#if defined(FIXTURE_REFUSE)
  host->set_error(self, SR_ERR_ABI, "plugin built for ABI 2.0, host has %u.%u", host->abi_major,
                  host->abi_minor);
  (void)decl;
  return SR_ERR_ABI;
#elif defined(FIXTURE_NULL_DECL)
  (void)host, (void)self;
  *decl = NULL;
  return SR_OK;
#else
  fx_host = host;
  fx_self = self;
  *decl = &fx_decl.decl;
  return SR_OK;
#endif
}
#else
SR_EXPORT int not_the_entry(void);
int not_the_entry(void) { return 0; }
#endif
