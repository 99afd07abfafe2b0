/* sr_device_pick: the most confident driver wins, the earlier on a tie,
 * none when no driver knows the device. The drivers are instances of a
 * fixture plugin (tests/plugins/fixture_device.c) with configured scores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "device_pick.h"

static const char yaml[] =
    "drivers:\n"
    "  - {plugin: fixture, name: generic, config: {prefix: '1.3.6.1.4.1', "
    "score: 10, vendor: Generic}}\n"
    "  - {plugin: fixture, name: acme, config: {prefix: '1.3.6.1.4.1.32473', "
    "score: 80, vendor: Acme}}\n"
    "  - {plugin: fixture, name: acme-too, config: {prefix: "
    "'1.3.6.1.4.1.32473', score: 80, vendor: AcmeToo}}\n"
    "  - {plugin: fixture, name: zero, config: {prefix: '1.3', score: 0, "
    "vendor: Zero}}\n";

typedef struct fixture {
  sr_config *cfg;
  sr_loader *loader;
  sr_instance *drivers[8];
  size_t n;
} fixture;

static int setup(void **state) {
  static fixture f;
  memset(&f, 0, sizeof f);
  f.cfg = sr_config_load_string("pick.yaml", yaml, strlen(yaml));
  f.loader = sr_loader_new(NULL);
  sr_loader_add_path(f.loader, SR_TEST_FIXTURE_DIR);
  char err[512];
  if (sr_instances_create(f.loader, SR_PLUGIN_DEVICE,
                          sr_config_get(sr_config_root(f.cfg), "drivers"), f.drivers, 8, &f.n, err,
                          sizeof err) != SR_OK) {
    print_message("%s\n", err);
    return -1;
  }
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  for (size_t i = 0; i < f->n; i++)
    sr_instance_destroy(f->drivers[i]);
  sr_loader_free(f->loader);
  sr_config_free(f->cfg);
  return 0;
}

static void test_the_most_confident_driver_wins(void **state) {
  fixture *f = *state;
  sr_device_probe probe = {.struct_size = sizeof probe, .sys_object_id = "1.3.6.1.4.1.32473.1.7"};
  sr_device_identity id;
  assert_int_equal(sr_device_pick(f->drivers, f->n, &probe, &id), 1);
  assert_int_equal(id.score, 80);
  assert_string_equal(id.vendor, "Acme");
  assert_int_equal(id.struct_size, sizeof id);
}

static void test_a_tie_goes_to_the_earlier_driver(void **state) {
  fixture *f = *state;
  sr_device_probe probe = {.struct_size = sizeof probe, .sys_object_id = "1.3.6.1.4.1.32473.2"};
  /* acme-too before acme in the list: now it wins the same score */
  sr_instance *reordered[] = {f->drivers[0], f->drivers[2], f->drivers[1]};
  sr_device_identity id;
  assert_int_equal(sr_device_pick(reordered, 3, &probe, &id), 1);
  assert_string_equal(id.vendor, "AcmeToo");
}

static void test_the_generic_driver_when_no_vendor_knows_it(void **state) {
  fixture *f = *state;
  sr_device_probe probe = {.struct_size = sizeof probe, .sys_object_id = "1.3.6.1.4.1.11.2.3"};
  sr_device_identity id;
  assert_int_equal(sr_device_pick(f->drivers, f->n, &probe, &id), 0);
  assert_string_equal(id.vendor, "Generic");
}

static void test_no_driver_knows_it(void **state) {
  fixture *f = *state;
  /* only the score-0 driver matches: a zero score is no claim */
  sr_device_probe probe = {.struct_size = sizeof probe, .sys_object_id = "1.3.6.1.2.1"};
  sr_device_identity id = {.score = -7};
  assert_int_equal(sr_device_pick(f->drivers, f->n, &probe, &id), -1);
  assert_int_equal(id.score, -7); /* untouched */
  sr_device_probe none = {.struct_size = sizeof none};
  assert_int_equal(sr_device_pick(f->drivers, f->n, &none, NULL), -1);
  assert_int_equal(sr_device_pick(f->drivers, 0, &probe, NULL), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_the_most_confident_driver_wins),
      cmocka_unit_test(test_a_tie_goes_to_the_earlier_driver),
      cmocka_unit_test(test_the_generic_driver_when_no_vendor_knows_it),
      cmocka_unit_test(test_no_driver_knows_it),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
