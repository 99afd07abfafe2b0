/*
 * An identity provider fixture that starts registrations it cannot finish:
 * registration_begin takes only the hint "begin-only@example.com" (others
 * pass on), and registration_complete is absent (NULL, which the ABI
 * allows). The cloud must answer a completion with a clear error, not
 * crash.
 */
#include <sr/idp.h>
#include <string.h>

static int bo_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  (void)self, (void)config;
  static int token;
  *instance = &token;
  return SR_OK;
}

static void bo_destroy(void *instance) { (void)instance; }

static int bo_begin(void *instance, const char *hint, sr_registration *reg) {
  (void)instance;
  if (!hint || strcmp(hint, "begin-only@example.com") != 0)
    return SR_ERR_DEFER;
  reg->message = sr_host->strdup("started, and never finished");
  reg->expires_in = 60;
  reg->interval = 1;
  return SR_OK;
}

static const sr_idp_ops bo_ops = {
    .base = {.create = bo_create, .destroy = bo_destroy},
    .registration_begin = bo_begin,
};

SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_IDP, "beginonly", "0.0.1",
                        "test fixture: registrations it cannot complete", bo_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
