/*
 * sr-device-scout with the site service: serves the panel API to printer
 * panels and card readers, hashing their credentials with the site secret,
 * and, with a `cache`, prints released jobs from their cloud copy when
 * their workstation is away (deliverer.h).
 *
 * usage: sr-device-scout --config FILE
 *        sr-device-scout enroll --config FILE --token TOKEN
 * Prints "panel https://ADDRESS:PORT" on stdout once it is listening.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "deliverer.h"
#include "enroll_client.h"
#include "heartbeat.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "panel.h"
#include "scout_health.h"
#include "service_main.h"
#include "service_plugins.h"
#include "site_key.h"
#include "sr/abi.h"

#define MAX_IDPS 8
#define MAX_DRIVERS 8
/* Directory logins checked at once, and waiting beyond those (then 503):
 * each holds a thread for up to the provider's timeout. */
#define DIRECTORY_THREADS 4
#define DIRECTORY_QUEUE 64

typedef struct site {
  sr_config *doc;
  sr_service_config cfg;
  sr_loader *loader;
  sr_instance *idps[MAX_IDPS];
  size_t n_idps;
  sr_site_key *key;
  panel panel;
  sr_http_server *http;
  sr_worker_pool *pool;
  heartbeat heartbeat;               /* tells the cloud this site is running */
  deliverer deliverer;               /* prints released jobs from their cloud copy (failover) */
  sr_instance *drivers[MAX_DRIVERS]; /* device drivers, for monitoring */
  size_t n_drivers;
  monitor *monitor;        /* reads the printers, sends what changed */
  sr_scout_health *health; /* the site's health report */
  const char *config_path;
} site;

static const sr_service_form forms[] = {
    {NULL, "--config FILE"}, {"enroll", "--config FILE --token TOKEN"}, {0}};

static int enroll(site *s, const char *token) {
  const sr_device_scout_config *c = &s->cfg.u.device_scout;
  char cert[1024], key[1024], ca[1024], id[128], err[1024];
  if (!c->cloud_tls.cert || !c->cloud_tls.key || !c->cloud_tls.ca) {
    fprintf(stderr, "sr-device-scout: cloud_tls needs cert, key and ca\n");
    return 1;
  }
  sr_config_path(s->doc, c->cloud_tls.cert, cert, sizeof cert);
  sr_config_path(s->doc, c->cloud_tls.key, key, sizeof key);
  sr_config_path(s->doc, c->cloud_tls.ca, ca, sizeof ca);
  if (sr_enroll(c->cloud_url, ca, token, cert, key, id, sizeof id, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return 1;
  }
  printf("enrolled as %s; certificate in %s\n", id, cert);
  return 0;
}

/* Printer monitoring and the health report, both through the panel's
 * cloud client (on the loop). */
static bool start_monitoring(site *s) {
  const sr_device_scout_config *c = &s->cfg.u.device_scout;
  char err[1024];
  if (sr_instances_create(s->loader, SR_PLUGIN_DEVICE, c->drivers, s->drivers, MAX_DRIVERS,
                          &s->n_drivers, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  monitor_options mo = {.loop = sr_loop_default(),
                        .cloud = s->panel.cloud,
                        .drivers = s->drivers,
                        .n_drivers = s->n_drivers,
                        .snmp = {.version = c->snmp.version,
                                 .community = c->snmp.community,
                                 .timeout_ms = (int)c->snmp.timeout_ms,
                                 .retries = (int)c->snmp.retries},
                        .every = c->monitor};
  s->monitor = monitor_start(&mo);
  if (!s->monitor && s->n_drivers > 0) {
    fprintf(stderr, "sr-device-scout: cannot start the threads that read printers\n");
    return false;
  }
  sr_scout_health_options ho = {.loop = sr_loop_default(),
                                .cloud = s->panel.cloud,
                                .config_path = s->config_path,
                                .every = (double)c->monitor.health};
  s->health = sr_scout_health_start(&ho);
  return s->health != NULL;
}

static bool start(site *s) {
  const sr_device_scout_config *c = &s->cfg.u.device_scout;
  char secret_path[1024], cert[1024], key[1024], ca[1024], err[1024];
  char cloud_cert[1024], cloud_key[1024]; /* kept for the deliverer's client */
  if (!c->identity.secret_file || !c->tls.cert || !c->tls.key || !c->cloud_tls.cert ||
      !c->cloud_tls.key || !c->cloud_tls.ca) {
    fprintf(stderr, "sr-device-scout: needs identity.secret_file, tls (cert, key) and cloud_tls "
                    "(cert, key, ca)\n");
    return false;
  }
  sr_config_path(s->doc, c->identity.secret_file, secret_path, sizeof secret_path);
  if (sr_site_key_load(secret_path, c->tenant, &s->key, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  sr_config_path(s->doc, c->cloud_tls.cert, cloud_cert, sizeof cloud_cert);
  sr_config_path(s->doc, c->cloud_tls.key, cloud_key, sizeof cloud_key);
  sr_config_path(s->doc, c->cloud_tls.ca, ca, sizeof ca);
  sr_cloud_options co = {
      .base_url = c->cloud_url, .ca_file = ca, .cert_file = cloud_cert, .key_file = cloud_key};
  /* identity providers, asked in order (directory passwords stay here) */
  s->loader = sr_loader_new(sr_loop_default());
  if (!s->loader || sr_service_plugin_paths(s->doc, &s->cfg, s->loader) != SR_OK)
    return false;
  if (sr_instances_create(s->loader, SR_PLUGIN_IDP, c->idp, s->idps, MAX_IDPS, &s->n_idps, err,
                          sizeof err) != SR_OK) {
    for (size_t k = 0; k < sr_config_error_count(s->doc); k++)
      fprintf(stderr, "%s\n", sr_config_error(s->doc, k));
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  /* directory binds block: they run here, never on the panel loop */
  s->pool = sr_worker_pool_new(sr_loop_default(), DIRECTORY_THREADS, DIRECTORY_QUEUE);
  if (!s->pool) {
    fprintf(stderr, "sr-device-scout: cannot start worker threads\n");
    return false;
  }
  s->panel = (panel){.cloud = sr_cloud_client_new(&co),
                     .pool = s->pool,
                     .idps = s->idps,
                     .n_idps = s->n_idps,
                     .tenant = c->tenant,
                     .key = s->key,
                     .card_rule = {.format = c->identity.card_format,
                                   .strip_leading_zeros = c->identity.card_strip_zeros},
                     .pin_length = (int)c->identity.pin_length};
  if (!s->panel.cloud || sr_cloud_client_use_loop(s->panel.cloud, sr_loop_default()) != SR_OK)
    return false;
  sr_config_path(s->doc, c->tls.cert, cert, sizeof cert);
  sr_config_path(s->doc, c->tls.key, key, sizeof key);
  sr_http_options ho = {.address = c->panel.address,
                        .port = (int)c->panel.port,
                        .cert_file = cert,
                        .key_file = key,
                        .max_body = 16384,
                        .name = "panel-api",
                        .header_timeout_s = (int)c->api_limits.header_timeout,
                        .body_timeout_s = (int)c->api_limits.body_timeout,
                        .idle_timeout_s = (int)c->api_limits.idle_timeout,
                        .max_connections = (int)c->api_limits.max_connections,
                        .max_connections_per_address =
                            (int)c->api_limits.max_connections_per_address};
  if (sr_http_server_start(sr_loop_default(), &ho, panel_handle, &s->panel, &s->http, err,
                           sizeof err) != SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  heartbeat_start(&s->heartbeat, sr_loop_default(), s->panel.cloud);
  return deliverer_start(&s->deliverer, s->doc, &s->cfg, s->loader, s->key, &co) &&
         start_monitoring(s);
}

static void site_free(site *s) {
  heartbeat_stop(&s->heartbeat);        /* before the client its calls use */
  sr_scout_health_free(s->health);      /* likewise */
  monitor_free(s->monitor);             /* likewise; waits for its reads */
  sr_worker_pool_free(s->pool);         /* first: finished checks go on to the cloud */
  sr_cloud_client_free(s->panel.cloud); /* then: its calls still answer panels */
  sr_http_server_free(s->http);
  deliverer_free(&s->deliverer); /* before the plugins and the key it uses */
  for (size_t i = 0; i < s->n_idps; i++)
    sr_instance_destroy(s->idps[i]);
  for (size_t i = 0; i < s->n_drivers; i++)
    sr_instance_destroy(s->drivers[i]);
  sr_loader_free(s->loader);
  sr_site_key_free(s->key);
  sr_config_free(s->doc);
}

int main(int argc, char **argv) {
  /* the route table, for the test that holds it against docs/api/panel.yaml */
  if (argc == 2 && strcmp(argv[1], "--routes") == 0) {
    json_t *list = panel_routes_json();
    int ok = json_dumpf(list, stdout, JSON_INDENT(1)) == 0;
    json_decref(list);
    return ok ? 0 : 1;
  }
  sr_service_args args;
  int status = sr_service_args_parse("sr-device-scout", forms, argc, argv, &args);
  if (status >= 0)
    return status;
  signal(SIGPIPE, SIG_IGN);
  site s = {.config_path = args.config};
  int rc = 1;
  if (!sr_service_config_load(args.config, SR_SERVICE_DEVICE_SCOUT, &s.doc, &s.cfg)) {
    site_free(&s);
    return 1;
  }
  if (args.enroll) {
    rc = enroll(&s, args.token);
  } else if (start(&s)) {
    printf("panel https://%s:%d\n", s.cfg.u.device_scout.panel.address,
           sr_http_server_port(s.http));
    fflush(stdout);
    struct ev_loop *loop = sr_loop_default();
    sr_loop_stop_on_signals(loop);
    ev_run(loop, 0);
    sr_log(SR_LOG_INFO, "site", "stopped");
    rc = 0;
  }
  site_free(&s);
  return rc;
}
