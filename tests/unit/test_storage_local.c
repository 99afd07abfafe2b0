/* The `local` storage plugin, loaded through the loader as a service would,
 * in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "instance.h"
#include "loader.h"
#include "storage_client.h"

typedef struct fixture {
  char dir[64];
  sr_loader *loader;
  sr_plugin *plugin;
  const sr_storage_ops *ops;
  sr_config *cfg;
  sr_instance *instance;
  void *store; /* the plugin's own state, for calls that bypass the host */
  char err[512];
} fixture;

typedef struct source {
  const char *data;
  size_t len, off;
  int fail_after; /* return an error once this many bytes were read (-1: never) */
} source;

static int64_t source_read(void *ctx, void *buf, size_t len) {
  source *s = ctx;
  if (s->fail_after >= 0 && s->off >= (size_t)s->fail_after)
    return SR_ERR_IO;
  size_t n = s->len - s->off < len ? s->len - s->off : len;
  if (n > 3)
    n = 3; /* small pieces */
  memcpy(buf, s->data + s->off, n);
  s->off += n;
  return (int64_t)n;
}

static char got[256];
static size_t got_len;
static int collect(void *ctx, const void *p, size_t len) {
  (void)ctx;
  if (got_len + len >= sizeof got)
    return SR_ERR_INVALID;
  memcpy(got + got_len, p, len);
  got_len += len;
  got[got_len] = '\0';
  return SR_OK;
}

static char listed[1024];
static int list_key(void *ctx, const char *key) {
  (void)ctx;
  strcat(listed, key);
  strcat(listed, ";");
  return SR_OK;
}

/* Creates the instance the way a service does: from a plugin section. */
static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  strcpy(f->dir, "/tmp/sr-test-local-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  char yaml[256];
  snprintf(yaml, sizeof yaml,
           "store:\n  plugin: local\n  name: jobs\n  config:\n    root: %s/store\n", f->dir);
  f->cfg = sr_config_load_string("test.yaml", yaml, strlen(yaml));
  f->loader = sr_loader_new(NULL);
  sr_loader_add_path(f->loader, SR_TEST_PLUGIN_DIR);
  if (sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                         sr_config_get(sr_config_root(f->cfg), "store"), &f->instance, f->err,
                         sizeof f->err) != SR_OK) {
    print_message("%s\n", f->err);
    return -1;
  }
  f->plugin = f->instance->plugin;
  f->ops = &sr_plugin_ops(f->plugin)->storage;
  f->store = f->instance->state;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  sr_instance_destroy(f->instance);
  sr_loader_free(f->loader);
  sr_config_free(f->cfg);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static int put(fixture *f, const char *key, const char *data, int fail_after) {
  source s = {data, strlen(data), 0, fail_after};
  return sr_store_put(f->instance, key, source_read, &s, f->err, sizeof f->err);
}

static const char *get(fixture *f, const char *key, int *status) {
  got_len = 0;
  got[0] = '\0';
  *status = sr_store_get(f->instance, key, collect, NULL, f->err, sizeof f->err);
  return got;
}

static void test_put_get_stat_list_remove(void **state) {
  fixture *f = *state;
  int status;
  assert_int_equal(put(f, "tenant-1/jobs/a.job", "hello world", -1), SR_OK);
  assert_int_equal(put(f, "tenant-1/jobs/b.job", "second", -1), SR_OK);
  assert_int_equal(put(f, "tenant-2/jobs/c.job", "other tenant", -1), SR_OK);
  assert_string_equal(get(f, "tenant-1/jobs/a.job", &status), "hello world");
  assert_int_equal(status, SR_OK);

  sr_storage_stat st;
  assert_int_equal(sr_store_stat(f->instance, "tenant-1/jobs/b.job", &st, f->err, sizeof f->err),
                   SR_OK);
  assert_int_equal(st.size, 6);
  assert_true(st.modified > 1700000000);

  listed[0] = '\0';
  assert_int_equal(sr_store_list(f->instance, "tenant-1/", list_key, NULL, f->err, sizeof f->err),
                   SR_OK);
  /* order is unspecified: check membership */
  assert_non_null(strstr(listed, "tenant-1/jobs/a.job;"));
  assert_non_null(strstr(listed, "tenant-1/jobs/b.job;"));
  assert_null(strstr(listed, "tenant-2"));

  /* replacing keeps one object */
  assert_int_equal(put(f, "tenant-1/jobs/a.job", "replaced", -1), SR_OK);
  assert_string_equal(get(f, "tenant-1/jobs/a.job", &status), "replaced");

  assert_int_equal(sr_store_remove(f->instance, "tenant-1/jobs/a.job", f->err, sizeof f->err),
                   SR_OK);
  get(f, "tenant-1/jobs/a.job", &status);
  assert_int_equal(status, SR_ERR_NOT_FOUND);
  assert_int_equal(sr_store_remove(f->instance, "tenant-1/jobs/a.job", f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
  assert_int_equal(sr_store_stat(f->instance, "tenant-1/jobs/a.job", &st, f->err, sizeof f->err),
                   SR_ERR_NOT_FOUND);
  /* the error names the instance, the key and the file the plugin tried */
  assert_non_null(strstr(f->err, "storage 'jobs': stat tenant-1/jobs/a.job: cannot stat "));
  assert_non_null(strstr(f->err, "/store/tenant-1/jobs/a.job: No such file or directory"));
}

static void test_failed_put_keeps_the_old_object(void **state) {
  fixture *f = *state;
  int status;
  assert_int_equal(put(f, "k/doc", "original", -1), SR_OK);
  assert_int_equal(put(f, "k/doc", "a much longer replacement", 6), SR_ERR_IO);
  assert_string_equal(f->err, "storage 'jobs': put k/doc: I/O error");
  assert_string_equal(get(f, "k/doc", &status), "original");
  /* and no temporary file is left behind or listed */
  listed[0] = '\0';
  assert_int_equal(sr_store_list(f->instance, "", list_key, NULL, f->err, sizeof f->err), SR_OK);
  assert_string_equal(listed, "k/doc;");
}

static void test_only_regular_files_are_objects(void **state) {
  fixture *f = *state;
  int status;
  assert_int_equal(put(f, "k/doc", "x", -1), SR_OK);
  get(f, "k", &status); /* a directory */
  assert_int_equal(status, SR_ERR_NOT_FOUND);
  char fifo[128];
  snprintf(fifo, sizeof fifo, "%s/store/k/fifo", f->dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  get(f, "k/fifo", &status); /* would block forever if opened for reading */
  assert_int_equal(status, SR_ERR_NOT_FOUND);
}

static void test_keys_cannot_escape(void **state) {
  fixture *f = *state;
  static const char *const bad[] = {
      "../escape", "a/../../escape", "/etc/passwd", "a//b", "a/./b",  "a/",
      "",          "a\\b",           ".tmp-xyz",    "..",   "sp ace", "new\nline"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    /* the host refuses the key before the plugin sees it... */
    assert_int_equal(put(f, bad[i], "x", -1), SR_ERR_INVALID);
    if (i != 8) /* ".tmp-xyz" is a valid key the local plugin itself reserves */
      assert_non_null(strstr(f->err, "storage 'jobs': invalid key"));
    int status;
    get(f, bad[i], &status);
    assert_int_equal(status, SR_ERR_INVALID);
    /* ...and the plugin refuses it too when called directly */
    source s = {"x", 1, 0, -1};
    assert_int_equal(f->ops->put(f->store, bad[i], source_read, &s), SR_ERR_INVALID);
    assert_int_equal(f->ops->remove(f->store, bad[i]), SR_ERR_INVALID);
  }
  char outside[128];
  snprintf(outside, sizeof outside, "%s/escape", f->dir);
  assert_int_not_equal(access(outside, F_OK), 0);
  assert_int_equal(sr_store_list(f->instance, "../", list_key, NULL, f->err, sizeof f->err),
                   SR_ERR_INVALID);
  /* a key of the maximum length is refused, one shorter is fine */
  char key[SR_STORAGE_KEY_MAX + 1];
  memset(key, 'a', SR_STORAGE_KEY_MAX);
  for (size_t i = 100; i < SR_STORAGE_KEY_MAX; i += 101)
    key[i] = '/';
  key[SR_STORAGE_KEY_MAX] = '\0';
  assert_int_equal(put(f, key, "x", -1), SR_ERR_INVALID);
  key[SR_STORAGE_KEY_MAX - 1] = '\0';
  assert_int_equal(put(f, key, "x", -1), SR_OK);
}

static void test_config_errors(void **state) {
  fixture *f = *state;
  const char *yaml = "config:\n  rot: /x\n";
  sr_config *cfg = sr_config_load_string("bad.yaml", yaml, strlen(yaml));
  const sr_config_node *config = sr_config_get(sr_config_root(cfg), "config");
  void *instance = NULL;
  assert_int_equal(f->ops->base.create(f->plugin, config, &instance), SR_ERR_CONFIG);
  assert_null(instance);
  assert_int_equal(sr_config_error_count(cfg), 2);
  assert_string_equal(sr_config_error(cfg, 0),
                      "bad.yaml:2:3: 'config.rot': unknown key (did you mean 'root'?)");
  assert_string_equal(sr_config_error(cfg, 1),
                      "bad.yaml:2:3: 'config': missing required key 'root'");
  sr_config_free(cfg);
}

static void test_instance_errors_name_the_place(void **state) {
  fixture *f = *state;
  const char *yaml = "a:\n  plugin: local\n  config:\n    root: relative\n"
                     "b:\n  plugin: absent\n"
                     "c:\n  plugin: \"null\"\n";
  sr_config *cfg = sr_config_load_string("svc.yaml", yaml, strlen(yaml));
  const sr_config_node *root = sr_config_get(sr_config_root(cfg), "a");
  sr_instance *inst = NULL;
  char err[512];
  assert_int_equal(sr_instance_create(f->loader, SR_PLUGIN_STORAGE, root, &inst, err, sizeof err),
                   SR_ERR_CONFIG);
  assert_string_equal(err, "svc.yaml:4:11: 'a.config.root': expected an absolute directory path");
  assert_int_equal(sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                                      sr_config_get(sr_config_root(cfg), "b"), &inst, err,
                                      sizeof err),
                   SR_ERR_NOT_FOUND);
  assert_non_null(strstr(err, "svc.yaml:6:11: 'b.plugin': no storage plugin 'absent'"));
  /* a transport plugin where a storage one belongs */
  sr_loader_add_path(f->loader, SR_TEST_PLUGIN_DIR);
  assert_int_equal(sr_instance_create(f->loader, SR_PLUGIN_STORAGE,
                                      sr_config_get(sr_config_root(cfg), "c"), &inst, err,
                                      sizeof err),
                   SR_ERR_NOT_FOUND);
  assert_null(inst);
  sr_config_free(cfg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_put_get_stat_list_remove, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_put_keeps_the_old_object, setup, teardown),
      cmocka_unit_test_setup_teardown(test_only_regular_files_are_objects, setup, teardown),
      cmocka_unit_test_setup_teardown(test_keys_cannot_escape, setup, teardown),
      cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_instance_errors_name_the_place, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
