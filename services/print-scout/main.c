/*
 * sr-print-scout: the workstation agent. It runs the local IPP queue, keeps
 * what it receives encrypted in its job store, tells the cloud a job is
 * held (metadata only), and prints on the cloud's release commands.
 *
 * usage: sr-print-scout --config FILE
 *        sr-print-scout enroll --config FILE --token TOKEN
 *        sr-print-scout passcode --config FILE --renew
 *        sr-print-scout register --config FILE [--email ADDRESS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "announcer.h"
#include "copy_uploader.h"
#include "enroll_client.h"
#include "expirer.h"
#include "health_report.h"
#include "ipp_queue.h"
#include "log.h"
#include "loop.h"
#include "passcode.h"
#include "register.h"
#include "release_link.h"
#include "scout_store.h"
#include "service_main.h"
#include "service_plugins.h"
#include "sleep_guard.h"
#include "x509_issue.h"

typedef struct scout {
  sr_config *doc;
  sr_service_config cfg;
  sr_loader *loader;
  sr_instance *storage;
  sr_site_key *key;
  scout_job_table *jobs;
  scout_queue *queue;
  scout_store store;
  sr_instance *transports[8];
  size_t n_transports;
  sr_instance *driver;
  sr_instance *idps[8]; /* directory lookups (user_source: directory) */
  size_t n_idps;
  sr_instance *cache;       /* fetched cloud copies (serve_others), or NULL */
  const char *printers[65]; /* NULL-terminated */
  sr_printer_book *book;    /* the site's signed printer lists, without `printers` */
  const char *spoolers[33]; /* trusted spoolers, NULL-terminated; borrowed from doc */
  char queue_socket[1024];
  sr_release_link link; /* MQTT: release commands in, outcomes and presence out */
  sr_cloud_client *cloud;
  scout_announcer *announcer; /* NULL without a cloud */
  scout_expirer *expirer;
  sr_cloud_client *copy_cloud;    /* the uploader's own connection, until it takes it */
  scout_copy_uploader *uploader;  /* NULL without a cloud */
  scout_sleep_guard *sleep_guard; /* uploads before the computer sleeps; NULL without */
  char scout_id[128];
  sr_cloud_client *health_cloud; /* the health report's connection, until it takes it */
  scout_health_report health;    /* zeroed without a cloud */
} scout;

static const sr_service_form forms[] = {{NULL, "--config FILE"},
                                        {"enroll", "--config FILE --token TOKEN"},
                                        {"passcode", "--config FILE --renew"},
                                        {"register", "--config FILE [--email ADDRESS]"},
                                        {0}};

static void scout_free(scout *s) {
  scout_health_report_stop(&s->health);
  sr_cloud_client_free(s->health_cloud);
  /* the queue's threads store, announce and use the plugins: they go first */
  scout_queue_stop(s->queue);
  scout_announcer_free(s->announcer);
  scout_sleep_guard_free(s->sleep_guard); /* it asks the uploader */
  scout_copy_uploader_free(s->uploader);  /* after the announcer: its answers reach it */
  sr_cloud_client_free(s->copy_cloud);
  scout_expirer_free(s->expirer);
  sr_release_link_stop(&s->link);
  sr_printer_book_free(s->book); /* after the releaser that asks it */
  for (size_t i = 0; i < s->n_transports; i++)
    sr_instance_destroy(s->transports[i]);
  for (size_t i = 0; i < s->n_idps; i++)
    sr_instance_destroy(s->idps[i]);
  sr_instance_destroy(s->driver);
  scout_job_table_free(s->jobs);
  sr_instance_destroy(s->cache);
  sr_instance_destroy(s->storage);
  sr_site_key_free(s->key);
  sr_cloud_client_free(s->cloud);
  sr_loader_free(s->loader);
  sr_config_free(s->doc);
}

/* (Re)connected to the broker: jobs held while the cloud was out of reach
 * are announced, off the loop, so release commands are taken meanwhile. */
static void on_connected(void *ctx) {
  scout *s = ctx;
  if (s->announcer)
    scout_announcer_all(s->announcer);
}

/* The control channel: release commands in, outcomes and presence out. */
static bool scout_connect_cloud(scout *s) {
  const sr_print_scout_config *c = &s->cfg.u.print_scout;
  char err[512];
  /* where releases may print: the static hosts, else the site's signed
   * lists (fetched from the cloud, kept in printer_lists) */
  if (sr_release_printers(c->printers, s->printers, 65) == 0) {
    char path[1024];
    if (!c->printer_lists || !s->cloud) {
      fprintf(stderr, "sr-print-scout: without 'printers' (the site's printer hosts), this scout "
                      "prints only to the printers the site signed: set 'printer_lists' (a file "
                      "to keep them in) and tls (its certificate, to fetch them)\n");
      return false;
    }
    sr_config_path(s->doc, c->printer_lists, path, sizeof path);
    if (!(s->book = sr_printer_book_new(s->key, c->tenant, path, err, sizeof err))) {
      fprintf(stderr, "sr-print-scout: %s\n", err);
      return false;
    }
  }
  if (c->serve_others && (!s->cache || !s->cloud)) {
    fprintf(stderr, "sr-print-scout: serve_others needs 'cache' (storage for the copies it "
                    "fetches) and tls (its certificate, to fetch them)\n");
    return false;
  }
  s->link = (sr_release_link){.releaser = {.loop = sr_loop_default(),
                                           .jobs = s->jobs,
                                           .storage = s->storage,
                                           .key = s->key,
                                           .transports = s->transports,
                                           .n_transports = s->n_transports,
                                           .driver = s->driver,
                                           .printers = s->printers,
                                           .book = s->book,
                                           .lists_cloud = s->book ? s->cloud : NULL,
                                           .lists_every = (double)c->printer_lists_every,
                                           .busy_deadline = c->delivery.busy_deadline,
                                           .cloud = c->serve_others ? s->cloud : NULL,
                                           .cache = s->cache},
                              .presence = c->serve_others ? "online serve-others" : "online",
                              .connected = on_connected,
                              .connected_ctx = s};
  if (!sr_release_link_start(&s->link, s->doc, c->tenant, s->scout_id, &c->mqtt, NULL, err,
                             sizeof err)) {
    fprintf(stderr, "sr-print-scout: %s\n", err);
    return false;
  }
  return true;
}

/* Loads configuration, plugins and the site key; prints every problem. */
static bool scout_init(scout *s, const char *config_path) {
  bool ok = sr_service_config_load(config_path, SR_SERVICE_PRINT_SCOUT, &s->doc, &s->cfg);
  size_t shown = s->doc ? sr_config_error_count(s->doc) : 0; /* printed already */
  char err[1024] = "";
  if (ok) {
    s->loader = sr_loader_new(sr_loop_default());
    ok = s->loader && sr_service_plugin_paths(s->doc, &s->cfg, s->loader) == SR_OK &&
         sr_instance_create(s->loader, SR_PLUGIN_STORAGE, s->cfg.u.print_scout.storage, &s->storage,
                            err, sizeof err) == SR_OK;
  }
  if (ok && s->cfg.u.print_scout.cache)
    ok = sr_instance_create(s->loader, SR_PLUGIN_STORAGE, s->cfg.u.print_scout.cache, &s->cache,
                            err, sizeof err) == SR_OK;
  ok = ok && sr_instances_create(s->loader, SR_PLUGIN_TRANSPORT, s->cfg.u.print_scout.transports,
                                 s->transports, 8, &s->n_transports, err, sizeof err) == SR_OK;
  if (ok && s->cfg.u.print_scout.driver)
    ok = sr_instance_create(s->loader, SR_PLUGIN_DEVICE, s->cfg.u.print_scout.driver, &s->driver,
                            err, sizeof err) == SR_OK;
  ok = ok && sr_instances_create(s->loader, SR_PLUGIN_IDP, s->cfg.u.print_scout.idp, s->idps, 8,
                                 &s->n_idps, err, sizeof err) == SR_OK;
  if (ok && s->cfg.u.print_scout.user_source == 1 && s->n_idps == 0) {
    snprintf(err, sizeof err, "user_source: directory needs an identity provider under 'idp'");
    ok = false;
  }
  for (size_t i = shown; s->doc && i < sr_config_error_count(s->doc); i++)
    fprintf(stderr, "%s\n", sr_config_error(s->doc, i));
  if (!ok && s->doc && !sr_config_error_count(s->doc) && err[0])
    fprintf(stderr, "sr-print-scout: %s\n", err);
  if (!ok)
    return false;

  const sr_print_scout_config *c = &s->cfg.u.print_scout;
  char secret_path[1024];
  sr_config_path(s->doc, c->secret_file, secret_path, sizeof secret_path);
  if (sr_site_key_load(secret_path, c->tenant, &s->key, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-print-scout: %s\n", err);
    return false;
  }

  /* Our identity is our certificate's CN (given at enrollment) unless the
   * configuration names one. */
  snprintf(s->scout_id, sizeof s->scout_id, "%s", c->scout_id);
  if (c->tls.cert && c->tls.key && c->tls.ca) {
    char cert[1024], key[1024], ca[1024];
    sr_config_path(s->doc, c->tls.cert, cert, sizeof cert);
    sr_config_path(s->doc, c->tls.key, key, sizeof key);
    sr_config_path(s->doc, c->tls.ca, ca, sizeof ca);
    FILE *f = fopen(cert, "r");
    if (f) {
      char pem[16384];
      size_t n = fread(pem, 1, sizeof pem - 1, f);
      pem[n] = '\0';
      fclose(f);
      if (!s->scout_id[0])
        sr_x509_cert_cn(pem, s->scout_id, sizeof s->scout_id);
      sr_cloud_options co = {.base_url = c->cloud_url,
                             .ca_file = ca,
                             .cert_file = cert,
                             .key_file = key,
                             .timeout_ms = (long)c->cloud_timeout * 1000};
      s->cloud = sr_cloud_client_new(&co);
      s->copy_cloud = sr_cloud_client_new(&co);
      s->health_cloud = sr_cloud_client_new(&co);
    }
  }
  s->jobs = scout_job_table_new();
  s->store = (scout_store){.storage = s->storage,
                           .key = s->key,
                           .owner = c->user,
                           .cloud = s->cloud,
                           .idps = s->idps,
                           .n_idps = c->user_source == 1 ? s->n_idps : 0};
  if (s->jobs)
    scout_store_recover(&s->store, s->jobs);
  /* after the recovery: the first report counts the jobs held from before */
  if (s->jobs && s->health_cloud) {
    bool started = scout_health_report_start(&s->health, sr_loop_default(), s->health_cloud,
                                             config_path, s->jobs);
    s->health_cloud = NULL; /* the report's now */
    if (!started) {
      fprintf(stderr, "sr-print-scout: out of memory for the health report\n");
      return false;
    }
  }
  /* held jobs expire here too, whether or not the cloud is reachable */
  if (s->jobs &&
      !(s->expirer = scout_expirer_new(sr_loop_default(), s->jobs, s->storage, c->hold_time))) {
    fprintf(stderr, "sr-print-scout: cannot start the thread that deletes expired jobs\n");
    return false;
  }
  if (s->jobs && s->cloud) {
    s->announcer =
        scout_announcer_new(sr_loop_default(), &s->store, s->jobs, (double)c->announce_retry);
    if (!s->announcer) {
      fprintf(stderr, "sr-print-scout: cannot start the thread that announces jobs\n");
      return false;
    }
    s->store.announce_soon = scout_announcer_soon;
    s->store.announce_soon_ctx = s->announcer;
    /* cloud copies: on a thread and a connection of their own */
    s->uploader =
        s->copy_cloud ? scout_copy_uploader_new(s->storage, s->jobs, s->copy_cloud) : NULL;
    if (!s->uploader) {
      fprintf(stderr, "sr-print-scout: cannot start the thread that uploads cloud copies\n");
      return false;
    }
    s->copy_cloud = NULL; /* the uploader's now */
    s->store.announced = scout_copy_uploader_announced;
    s->store.announced_ctx = s->uploader;
    s->sleep_guard = scout_sleep_guard_new(s->uploader); /* optional: NULL is fine */
  }
  /* the spoolers whose word on the user is taken: the OS's print system,
   * which authenticated its user already (docs/workstation-users.md) */
  size_t n_spoolers = 0;
  if (!c->trusted_spoolers) {
    s->spoolers[n_spoolers++] = "root";
    s->spoolers[n_spoolers++] = "lp";
  }
  for (size_t i = 0; c->trusted_spoolers && i < c->trusted_spoolers->count && n_spoolers < 32; i++)
    s->spoolers[n_spoolers++] = c->trusted_spoolers->items[i]->value;
  s->spoolers[n_spoolers] = NULL;
  if (c->queue.socket)
    sr_config_path(s->doc, c->queue.socket, s->queue_socket, sizeof s->queue_socket);
  scout_queue_options qo = {
      .address = c->queue.address,
      .port = (int)c->queue.port,
      .name = "securerelease",
      .max_document = c->max_document,
      .trusted_spoolers = s->spoolers,
      .socket_path = c->queue.socket ? s->queue_socket : NULL,
      .held_as_pending = c->queue.held_jobs_as == 1,
      .max_connections = (int)c->queue_limits.max_connections,
      .header_timeout_ms = (int)c->queue_limits.header_timeout_ms,
      .body_timeout_ms = (int)c->queue_limits.body_timeout_ms,
      .min_upload_rate = (int)c->queue_limits.min_upload_rate,
      .upload_rate_window_ms = (int)c->queue_limits.upload_rate_window_ms,
      .max_upload_memory = c->queue_limits.max_upload_memory,
      .max_connections_per_account = (int)c->queue_limits.max_connections_per_account,
      .max_upload_memory_per_account = c->queue_limits.max_upload_memory_per_account,
      .incoming_expiry = (int)c->queue_limits.incoming_expiry,
      .max_jobs_per_user = (int)c->queue_limits.max_jobs_per_user,
      .pin_min_length = (int)c->pin_jobs.min_length,
      .pin_max_length = (int)c->pin_jobs.max_length};
  scout_queue_hooks hooks = {.store = scout_store_document,
                             .discard = scout_store_discard,
                             .held = scout_store_held,
                             .hash_pin = c->pin_jobs.enabled ? scout_store_hash_pin : NULL,
                             .ctx = &s->store};
  if (!s->jobs || scout_queue_start(&qo, &hooks, s->jobs, &s->queue, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-print-scout: %s\n", err);
    return false;
  }
  return s->scout_id[0] ? scout_connect_cloud(s) : true;
}

/* Enrollment: our own key pair, a certificate from the cloud, written where
 * tls.cert and tls.key say (mqtt.tls may name the same files). */
static int enroll(const char *config_path, const char *token) {
  sr_config *doc = NULL;
  sr_service_config cfg;
  int rc = 1;
  if (sr_service_config_load(config_path, SR_SERVICE_PRINT_SCOUT, &doc, &cfg)) {
    const sr_print_scout_config *c = &cfg.u.print_scout;
    char cert[1024], key[1024], ca[1024], id[128], err[1024];
    if (!c->tls.cert || !c->tls.key || !c->tls.ca) {
      fprintf(stderr, "sr-print-scout: tls needs cert, key and ca to enroll\n");
    } else {
      sr_config_path(doc, c->tls.cert, cert, sizeof cert);
      sr_config_path(doc, c->tls.key, key, sizeof key);
      sr_config_path(doc, c->tls.ca, ca, sizeof ca);
      if (sr_enroll(c->cloud_url, ca, token, cert, key, id, sizeof id, err, sizeof err) != SR_OK) {
        fprintf(stderr, "sr-print-scout: %s\n", err);
      } else {
        printf("enrolled as %s; certificate in %s\n", id, cert);
        rc = 0;
      }
    }
  }
  sr_config_free(doc);
  return rc;
}

/* Runs a one-shot command (register, passcode) with the configuration. */
static int run_command(const char *config_path, const char *email,
                       int (*command)(const sr_service_config *, const sr_config *, const char *,
                                      char *, size_t)) {
  sr_config *doc = NULL;
  sr_service_config cfg;
  char err[1024] = "";
  int rc = 1;
  if (sr_service_config_load(config_path, SR_SERVICE_PRINT_SCOUT, &doc, &cfg)) {
    if (command(&cfg, doc, email, err, sizeof err) == SR_OK)
      rc = 0;
    else
      fprintf(stderr, "sr-print-scout: %s\n", err);
  }
  sr_config_free(doc);
  return rc;
}

static int register_oidc(const sr_service_config *cfg, const sr_config *doc, const char *unused,
                         char *err, size_t err_size) {
  (void)unused;
  return scout_register_oidc(cfg, doc, err, err_size);
}

static int renew_passcode(const sr_service_config *cfg, const sr_config *doc, const char *unused,
                          char *err, size_t err_size) {
  (void)unused;
  return scout_passcode_renew(cfg, doc, err, err_size);
}

int main(int argc, char **argv) {
  sr_service_args args;
  int status = sr_service_args_parse("sr-print-scout", forms, argc, argv, &args);
  if (status >= 0)
    return status;
  if (args.enroll)
    return enroll(args.config, args.token);
  if (args.verb && strcmp(args.verb, "register") == 0)
    return args.email ? run_command(args.config, args.email, scout_register_email)
                      : run_command(args.config, NULL, register_oidc);
  if (args.verb) { /* passcode */
    if (!args.renew) {
      fprintf(stderr, "sr-print-scout passcode: a passcode is shown only once; get a new one "
                      "with passcode --renew\nusage: sr-print-scout passcode --config FILE "
                      "--renew\n");
      return 64;
    }
    return run_command(args.config, NULL, renew_passcode);
  }
  const char *config = args.config;
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
