/* The plugin loader against real shared objects: the in-tree plugins and
 * the fixtures of tests/plugins/fixture_plugin.c. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "instance.h"
#include "loader.h"

#define FIXTURE(name) SR_TEST_FIXTURE_DIR "/" name ".so"

static char err[1024];

static int setup(void **state) {
  *state = sr_loader_new((void *)&err); /* any pointer stands for the loop */
  err[0] = '\0';
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  sr_loader_free(*state);
  return 0;
}

static void assert_contains(const char *haystack, const char *needle) {
  if (!strstr(haystack, needle))
    fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void test_good_plugin(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, SR_TEST_PLUGIN_DIR "/sr_transport_null.so", 0, &p,
                                       err, sizeof err),
                   SR_OK);
  const sr_plugin_decl *d = sr_plugin_declaration(p);
  assert_int_equal(d->kind, SR_PLUGIN_TRANSPORT);
  assert_string_equal(d->name, "null");
  assert_int_equal(d->abi_major, SR_ABI_MAJOR);
  const sr_transport_ops *ops = &sr_plugin_ops(p)->transport;
  assert_non_null(ops->open);
  assert_null(ops->cancel); /* the null transport has no cancel */
  assert_true(ops->claims(NULL, "null"));
  assert_false(ops->claims(NULL, "ipps"));
  /* the host API hands the plugin the loader's event loop */
  assert_ptr_equal(sr_host_api_get()->event_loop(p), (void *)&err);
}

static void test_load_by_name_and_same_file_twice(void **state) {
  assert_int_equal(sr_loader_add_path(*state, "/nonexistent"), SR_OK);
  assert_int_equal(sr_loader_add_path(*state, SR_TEST_PLUGIN_DIR), SR_OK);
  sr_plugin *a = NULL, *b = NULL;
  assert_int_equal(sr_loader_load(*state, SR_PLUGIN_STORAGE, "local", &a, err, sizeof err), SR_OK);
  assert_int_equal(sr_loader_load_file(*state, SR_TEST_PLUGIN_DIR "/sr_storage_local.so", 0, &b,
                                       err, sizeof err),
                   SR_OK);
  assert_ptr_equal(a, b);
  assert_int_equal(sr_loader_load(*state, SR_PLUGIN_STORAGE, "absent", &a, err, sizeof err),
                   SR_ERR_NOT_FOUND);
  assert_contains(err, "sr_storage_absent.so is not in /nonexistent, " SR_TEST_PLUGIN_DIR);
}

static void test_older_minor(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("older"), 0, &p, err, sizeof err), SR_OK);
  const sr_storage_ops *ops = &sr_plugin_ops(p)->storage;
  assert_non_null(ops->put);
  assert_non_null(ops->get);
  /* the fixture's static table has them, but it declared a size without
   * them: they must read as unsupported, not as what lies beyond */
  assert_null(ops->remove);
  assert_null(ops->stat);
  assert_null(ops->list);
}

static void test_newer_minor(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("newer"), 0, &p, err, sizeof err), SR_OK);
  const sr_plugin_decl *d = sr_plugin_declaration(p);
  assert_int_equal(d->abi_minor, SR_ABI_MINOR + 1);
  assert_true(d->ops_size > sizeof(sr_storage_ops));
  const sr_storage_ops *ops = &sr_plugin_ops(p)->storage;
  assert_non_null(ops->list); /* everything the host knows is there */
  void *instance = NULL;
  assert_int_equal(ops->base.create(p, NULL, &instance), SR_OK);
  assert_non_null(instance);
}

static void test_wrong_major(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("major2"), 0, &p, err, sizeof err),
                   SR_ERR_ABI);
  assert_contains(err, "plugin built for ABI 2.0, this host provides ABI 1.5");
}

static void test_plugin_refuses_host(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("refuses"), 0, &p, err, sizeof err),
                   SR_ERR_ABI);
  assert_contains(err, "plugin refused to load: plugin built for ABI 2.0, host has 1.5");
}

static void test_missing_symbol(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("nosymbol"), 0, &p, err, sizeof err),
                   SR_ERR_INVALID);
  assert_contains(err, "not a securerelease plugin (no symbol sr_plugin_entry)");
}

static void test_null_declaration(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("nulldecl"), 0, &p, err, sizeof err),
                   SR_ERR_INVALID);
  assert_contains(err, "plugin returned no declaration");
}

static void test_wrong_kind(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, SR_TEST_PLUGIN_DIR "/sr_transport_null.so",
                                       SR_PLUGIN_STORAGE, &p, err, sizeof err),
                   SR_ERR_INVALID);
  assert_contains(err, "this is a transport plugin, a storage plugin was expected");
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("badkind"), 0, &p, err, sizeof err),
                   SR_ERR_INVALID);
  assert_contains(err, "unknown plugin kind 99");
}

static void test_missing_required_member(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("noget"), 0, &p, err, sizeof err),
                   SR_ERR_INVALID);
  assert_contains(err, "storage plugin 'noget' lacks the required member 'get'");
}

static void test_duplicate_name(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("good"), 0, &p, err, sizeof err), SR_OK);
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("twin"), 0, &p, err, sizeof err),
                   SR_ERR_EXISTS);
  assert_contains(err, "duplicate storage plugin name 'fixture'");
}

static void test_declared_name_must_match_file_name(void **state) {
  char dir[] = "/tmp/sr-test-loader-XXXXXX", cmd[256];
  assert_non_null(mkdtemp(dir));
  snprintf(cmd, sizeof cmd, "cp %s %s/sr_storage_local.so", FIXTURE("good"), dir);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(sr_loader_add_path(*state, dir), SR_OK);
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load(*state, SR_PLUGIN_STORAGE, "local", &p, err, sizeof err),
                   SR_ERR_INVALID);
  assert_contains(err, "sr_storage_local.so declares the name 'fixture', not 'local'");
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_not_a_shared_object(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(
      sr_loader_load_file(*state, SR_TEST_SOURCE_DIR "/CMakeLists.txt", 0, &p, err, sizeof err),
      SR_ERR_INVALID);
  assert_contains(err, "cannot load");
  assert_int_equal(sr_loader_load_file(*state, "/nonexistent/x.so", 0, &p, err, sizeof err),
                   SR_ERR_NOT_FOUND);
}

/* Two calls of one plugin failing at once, each with its own reason: both
 * record their reason before either returns (the fixture's put calls the
 * reader after set_error; the reader waits for the other thread), and
 * each caller must then read its own. */
typedef struct failing_call {
  sr_plugin *plugin;
  const char *key;
  pthread_barrier_t *both_recorded;
  int status;
  char seen[128];
} failing_call;

static int64_t wait_for_other(void *ctx, void *buf, size_t len) {
  (void)buf, (void)len;
  pthread_barrier_wait(ctx);
  return 0;
}

static void *call_failing(void *arg) {
  failing_call *c = arg;
  sr_plugin_clear_error(c->plugin);
  c->status = sr_plugin_ops(c->plugin)->storage.put(NULL, c->key, wait_for_other, c->both_recorded);
  snprintf(c->seen, sizeof c->seen, "%s", sr_plugin_last_error(c->plugin));
  return NULL;
}

static void test_errors_are_per_call(void **state) {
  sr_plugin *p = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("good"), 0, &p, err, sizeof err), SR_OK);
  pthread_barrier_t both;
  pthread_barrier_init(&both, NULL, 2);
  failing_call a = {.plugin = p, .key = "fail/reason of a", .both_recorded = &both};
  failing_call b = {.plugin = p, .key = "fail/reason of b", .both_recorded = &both};
  pthread_t ta, tb;
  assert_int_equal(pthread_create(&ta, NULL, call_failing, &a), 0);
  assert_int_equal(pthread_create(&tb, NULL, call_failing, &b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  pthread_barrier_destroy(&both);
  assert_int_equal(a.status, SR_ERR_IO);
  assert_int_equal(b.status, SR_ERR_IO);
  assert_string_equal(a.seen, "failed: reason of a");
  assert_string_equal(b.seen, "failed: reason of b");
  /* and this thread, which made no call, has no reason of either */
  assert_string_equal(sr_plugin_last_error(p), "");
}

/* The execution contract: an instance of a plugin without
 * SR_PLUGIN_THREAD_SAFE (and of every 1.0 plugin) takes one call at a time;
 * a thread-safe one lets others in. One thread stays inside a call (the
 * fixture's put waits in our reader) while we look at the instance's lock. */
typedef struct held_call {
  sr_instance *inst;
  pthread_barrier_t inside, release;
} held_call;

static int64_t hold_inside(void *ctx, void *buf, size_t len) {
  (void)buf, (void)len;
  held_call *h = ctx;
  pthread_barrier_wait(&h->inside);  /* the test may look now */
  pthread_barrier_wait(&h->release); /* until it has looked */
  return 0;
}

static void *call_and_hold(void *arg) {
  held_call *h = arg;
  sr_instance_call_begin(h->inst);
  sr_instance_ops_of(h->inst)->storage.put(h->inst->state, "fail/held", hold_inside, h);
  sr_instance_call_end(h->inst);
  return NULL;
}

/* Whether a second caller would wait for the call in progress. */
static bool busy_during_a_call(sr_plugin *p) {
  sr_instance inst = {.plugin = p};
  sr_instance_calls_init(&inst);
  held_call h = {.inst = &inst};
  pthread_barrier_init(&h.inside, NULL, 2);
  pthread_barrier_init(&h.release, NULL, 2);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, call_and_hold, &h), 0);
  pthread_barrier_wait(&h.inside);
  int rc = pthread_mutex_trylock(&inst.calls);
  if (rc == 0)
    pthread_mutex_unlock(&inst.calls);
  pthread_barrier_wait(&h.release);
  pthread_join(t, NULL);
  /* and after the call, the next one goes in at once */
  assert_int_equal(pthread_mutex_trylock(&inst.calls), 0);
  pthread_mutex_unlock(&inst.calls);
  pthread_barrier_destroy(&h.inside);
  pthread_barrier_destroy(&h.release);
  pthread_mutex_destroy(&inst.calls);
  return rc == EBUSY;
}

static void test_calls_serialised_unless_thread_safe(void **state) {
  sr_plugin *older = NULL, *current = NULL, *safe = NULL;
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("older"), 0, &older, err, sizeof err),
                   SR_OK);
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("good"), 0, &current, err, sizeof err),
                   SR_OK);
  assert_int_equal(sr_loader_load_file(*state, FIXTURE("threadsafe"), 0, &safe, err, sizeof err),
                   SR_OK);
  /* a 1.0 declaration ends before `flags`: they read as 0 */
  assert_int_equal(sr_plugin_declaration(older)->flags, 0);
  assert_int_equal(sr_plugin_declaration(safe)->flags, SR_PLUGIN_THREAD_SAFE);
  assert_true(busy_during_a_call(older));
  assert_true(busy_during_a_call(current));
  assert_false(busy_during_a_call(safe));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_good_plugin, setup, teardown),
      cmocka_unit_test_setup_teardown(test_load_by_name_and_same_file_twice, setup, teardown),
      cmocka_unit_test_setup_teardown(test_older_minor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_newer_minor, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_major, setup, teardown),
      cmocka_unit_test_setup_teardown(test_plugin_refuses_host, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_symbol, setup, teardown),
      cmocka_unit_test_setup_teardown(test_null_declaration, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_kind, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_required_member, setup, teardown),
      cmocka_unit_test_setup_teardown(test_duplicate_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_declared_name_must_match_file_name, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_a_shared_object, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors_are_per_call, setup, teardown),
      cmocka_unit_test_setup_teardown(test_calls_serialised_unless_thread_safe, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
