/*
 * An identity provider fixture that starts registrations it cannot finish:
 * registration_begin takes only the hint "begin-only@example.com" (others
 * pass on), and registration_complete is absent (NULL, which the ABI
 * allows). The cloud must answer a completion with a clear error, not
 * crash.
 *
 * The hint "begin-fails@example.com" starts a registration (it keeps state)
 * and then fails, so the host must cancel it; registration_cancel logs
 * whether it ran on the thread that created the instance (the service's
 * loop thread) or on another one: the SDK promises never on a loop.
 */
#include <pthread.h>
#include <sr/idp.h>
#include <string.h>

static sr_plugin *me;
static pthread_t created_on; /* the service creates instances on its loop's thread */

static int bo_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  (void)config;
  static int token;
  me = self;
  created_on = pthread_self();
  *instance = &token;
  return SR_OK;
}

static void bo_destroy(void *instance) { (void)instance; }

static int bo_begin(void *instance, const char *hint, sr_registration *reg) {
  if (hint && strcmp(hint, "begin-fails@example.com") == 0) {
    reg->state = instance; /* something to cancel */
    sr_host->set_error(me, SR_ERR_IO, "begin-fails: started, then failed");
    return SR_ERR_IO;
  }
  if (!hint || strcmp(hint, "begin-only@example.com") != 0)
    return SR_ERR_DEFER;
  reg->message = sr_host->strdup("started, and never finished");
  reg->expires_in = 60;
  reg->interval = 1;
  return SR_OK;
}

static void bo_cancel(void *instance, sr_registration *reg) {
  (void)instance;
  sr_host->log(me, SR_LOG_INFO, "registration cancelled %s",
               pthread_equal(pthread_self(), created_on) ? "on the loop's thread" : "off the loop");
  reg->state = NULL;
}

static const sr_idp_ops bo_ops = {
    .base = {.create = bo_create, .destroy = bo_destroy},
    .registration_begin = bo_begin,
    .registration_cancel = bo_cancel,
};

SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_IDP, "beginonly", "0.0.1",
                        "test fixture: registrations it cannot complete", bo_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
