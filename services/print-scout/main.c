/*
 * sr-print-scout: the workstation agent. Today it runs the local IPP queue
 * and keeps what it receives encrypted in its job store; release commands
 * from the cloud and delivery to printers come with the cloud service.
 *
 * usage: sr-print-scout --config FILE
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipp_queue.h"
#include "log.h"
#include "loop.h"
#include "scout_store.h"
#include "service_config.h"
#include "service_plugins.h"

typedef struct scout {
  sr_config *doc;
  sr_service_config cfg;
  sr_loader *loader;
  sr_instance *storage;
  sr_site_key *key;
  scout_job_table *jobs;
  scout_queue *queue;
  scout_store store;
} scout;

static int usage(void) {
  fprintf(stderr, "usage: sr-print-scout --config FILE\n");
  return 64;
}

static void scout_free(scout *s) {
  scout_queue_stop(s->queue);
  scout_job_table_free(s->jobs);
  sr_instance_destroy(s->storage);
  sr_site_key_free(s->key);
  sr_loader_free(s->loader);
  sr_config_free(s->doc);
}

/* Loads configuration, plugins and the site key; prints every problem. */
static bool scout_init(scout *s, const char *config_path) {
  s->doc = sr_config_load_file(config_path);
  if (!s->doc)
    return false;
  bool ok = sr_service_config_apply(s->doc, &s->cfg);
  if (ok && s->cfg.service != SR_SERVICE_PRINT_SCOUT) {
    fprintf(stderr, "%s: this is a %s configuration, not a print-scout one\n", config_path,
            sr_service_kind_name(s->cfg.service));
    return false;
  }
  char err[1024];
  if (ok) {
    sr_log_set_level(s->cfg.log.level);
    s->loader = sr_loader_new(sr_loop_default());
    ok = s->loader && sr_service_plugin_paths(s->doc, &s->cfg, s->loader) == SR_OK &&
         sr_instance_create(s->loader, SR_PLUGIN_STORAGE, s->cfg.u.print_scout.storage, &s->storage,
                            err, sizeof err) == SR_OK;
  }
  for (size_t i = 0; i < sr_config_error_count(s->doc); i++)
    fprintf(stderr, "%s\n", sr_config_error(s->doc, i));
  if (!ok)
    return false;

  const sr_print_scout_config *c = &s->cfg.u.print_scout;
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN];
  char secret_path[1024];
  snprintf(secret_path, sizeof secret_path, "%s%s%s",
           c->secret_file[0] == '/' ? "" : sr_config_dir(s->doc),
           c->secret_file[0] == '/' ? "" : "/", c->secret_file);
  if (sr_site_secret_read_file(secret_path, secret, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-print-scout: %s\n", err);
    return false;
  }
  sr_site_salt_for_tenant(c->tenant, salt);
  int status = sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &s->key);
  memset(secret, 0, sizeof secret);
  if (status != SR_OK)
    return false;

  s->jobs = scout_job_table_new();
  s->store = (scout_store){.storage = s->storage, .key = s->key, .owner = c->user};
  scout_queue_options qo = {.address = c->queue.address,
                            .port = (int)c->queue.port,
                            .name = "securerelease",
                            .max_document = c->max_document};
  scout_queue_hooks hooks = {scout_store_document, scout_store_discard, &s->store};
  if (!s->jobs || scout_queue_start(&qo, &hooks, s->jobs, &s->queue, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-print-scout: %s\n", err);
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  const char *config = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
      config = argv[++i];
    else
      return usage();
  }
  if (!config)
    return usage();
  signal(SIGPIPE, SIG_IGN);
  scout s = {0};
  if (!scout_init(&s, config)) {
    scout_free(&s);
    return 1;
  }
  /* Tell whoever started us where the queue is (tests and run.sh read it). */
  printf("queue %s\n", scout_queue_uri(s.queue));
  fflush(stdout);
  struct ev_loop *loop = sr_loop_default();
  sr_loop_stop_on_signals(loop);
  /* the loop has nothing else to do yet: keep it alive until a signal */
  ev_ref(loop);
  ev_ref(loop);
  ev_run(loop, 0);
  scout_free(&s);
  sr_log(SR_LOG_INFO, "scout", "stopped");
  return 0;
}
