/*
 * sr-device-scout with the site service: serves the panel API to printer
 * panels and card readers, hashing their credentials with the site secret,
 * and, with a `cache`, prints released jobs from their cloud copy when
 * their workstation is away (deliverer.h).
 *
 * usage: sr-device-scout --config FILE
 *        sr-device-scout enroll --config FILE --token TOKEN
 *        sr-device-scout discover --once --config FILE [--json] [--upload]
 * Prints "panel https://ADDRESS:PORT" on stdout once it is listening, then
 * "release page BASE/r/DEVICE" with its release page's base URL when it
 * has one (public_url.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "deliverer.h"
#include "discovery.h"
#include "discovery_upload.h"
#include "enroll_client.h"
#include "heartbeat.h"
#include "kiosk.h"
#include "log.h"
#include "loop.h"
#include "monitor.h"
#include "panel.h"
#include "printer_list_signer.h"
#include "public_url.h"
#include "scout_health.h"
#include "service_main.h"
#include "service_plugins.h"
#include "site_key.h"
#include "sr/abi.h"
#include "submit_key.h"
#include "web_files.h"

#define MAX_IDPS 8
#define MAX_DRIVERS 16
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
  char submission_spki[SR_SUBMIT_SPKI_B64_MAX]; /* public: sent with each heartbeat */
  char submission_fingerprint[SR_SUBMIT_FINGERPRINT_LEN];
  panel panel;
  sr_web_files web; /* the release page, on the panel API's listener */
  sr_http_server *http;
  sr_worker_pool *pool;
  heartbeat heartbeat;                  /* tells the cloud this site is running */
  char public_url[SR_BASE_URL_MAX + 1]; /* the release page's base URL, "" unknown */
  deliverer deliverer;                  /* prints released jobs from their cloud copy (failover) */
  discovery discovery;                  /* scans the site's networks on the schedule */
  sr_instance *drivers[MAX_DRIVERS];    /* identify what discovery finds */
  size_t n_drivers;
  const char *printers[65];   /* the site's own printer hosts, NULL-terminated */
  char discovery_path[1100];  /* state_dir/discovery.json, "" without a state_dir */
  sr_printer_book *book;      /* the list the site signed, for its deliverer; NULL: none */
  printer_list_signer signer; /* signs the accepted devices the site vouches for */
  monitor *monitor;           /* reads the accepted printers, sends what changed */
  sr_scout_health *health;    /* the site's health report */
  const char *config_path;
} site;

static const sr_service_form forms[] = {{NULL, "--config FILE"},
                                        {"enroll", "--config FILE --token TOKEN"},
                                        {"discover", "--once --config FILE [--json] [--upload]"},
                                        {0}};

/* Each scheduled scan's result goes to the cloud (discovery_upload.h:
 * in parts, on the loop; it logs what the cloud made of it). */
static void discovery_result_to_cloud(void *ctx, json_t *result) {
  site *s = ctx;
  int rc = discovery_upload(s->panel.cloud, result, NULL, NULL);
  if (rc != SR_OK)
    sr_log(SR_LOG_WARN, "discovery", "the scan's result was not sent to the cloud: %s",
           sr_status_name(rc));
}

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

/* The signed printer list, when the site knows printers of its own: the
 * ones a scan found (state_dir) or its `printers:`. */
static bool start_signer(site *s) {
  const sr_device_scout_config *c = &s->cfg.u.device_scout;
  char id[128], state_dir[1024], err[256];
  size_t n_printers = sr_release_printers(c->printers, s->printers, 65);
  if (!c->state_dir && n_printers == 0) {
    sr_log(SR_LOG_INFO, "printers",
           "no state_dir and no printers: this site signs no printer "
           "list (print scouts then need their own printers:)");
    return true;
  }
  if (!site_scout_id(s->doc, &c->cloud_tls, id, sizeof id)) {
    fprintf(stderr, "sr-device-scout: cannot read the site's certificate (cloud_tls.cert) to "
                    "sign the printer list; enroll the site first\n");
    return false;
  }
  if (c->state_dir)
    sr_config_path(s->doc, c->state_dir, state_dir, sizeof state_dir);
  s->book = sr_printer_book_new(s->key, c->tenant, NULL, err, sizeof err);
  if (!s->book || !printer_list_signer_start(&s->signer, sr_loop_default(), s->panel.cloud, s->key,
                                             c->tenant, id, c->state_dir ? state_dir : NULL,
                                             s->printers, s->book, (double)c->printer_list_every)) {
    fprintf(stderr, "sr-device-scout: cannot start signing the printer list\n");
    return false;
  }
  return true;
}

/* The release page's URLs (docs/panel-app.md): /, /r/DEVICE,
 * /r/DEVICE/CODE, /panel/DEVICE and /oidc/callback all give index.html,
 * whose script reads the device and code from its address; /assets/NAME
 * one file of web/release/assets. */
static const sr_web_page release_pages[] = {
    {.path = "/", .file = "index.html"},
    {.path = "/oidc/callback", .file = "index.html"},
    {.path = "/r/", .min_segments = 1, .max_segments = 2, .file = "index.html"},
    {.path = "/panel/", .min_segments = 1, .max_segments = 1, .file = "index.html"},
};
static const sr_web_assets release_assets[] = {{"/assets/", "assets"}};

/* The panel listener: the API under /api/, the release page elsewhere. */
static void site_http(void *ctx, const sr_http_request *req, sr_http_response *resp) {
  site *s = ctx;
  if (strncmp(req->path, "/api/", 5) != 0)
    sr_web_files_handle(&s->web, req, resp);
  else
    panel_handle(&s->panel, req, resp);
}

/* Printer monitoring and the health report, both through the panel's
 * cloud client (on the loop). */
static bool start_monitoring(site *s) {
  const sr_device_scout_config *c = &s->cfg.u.device_scout;
  if (c->state_dir) {
    char dir[1024];
    sr_config_path(s->doc, c->state_dir, dir, sizeof dir);
    snprintf(s->discovery_path, sizeof s->discovery_path, "%s/discovery.json", dir);
  }
  monitor_options mo = {.loop = sr_loop_default(),
                        .cloud = s->panel.cloud,
                        .drivers = s->drivers,
                        .n_drivers = s->n_drivers,
                        .snmp = {.version = c->snmp.version,
                                 .community = c->snmp.community,
                                 .timeout_ms = (int)c->snmp.timeout_ms,
                                 .retries = (int)c->snmp.retries},
                        .every = c->monitor,
                        .discovery_path = s->discovery_path,
                        .static_hosts = s->printers};
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
  /* the public half of the submission key, what browsers seal uploads
   * with: published with the heartbeats, its fingerprint logged so that an
   * administrator can compare it with what the portal shows */
  if (sr_submit_key_public(s->key, s->submission_spki, sizeof s->submission_spki,
                           s->submission_fingerprint) != SR_OK) {
    fprintf(stderr, "sr-device-scout: cannot derive the site's submission key\n");
    return false;
  }
  sr_log(SR_LOG_INFO, "site", "submission key %s", s->submission_fingerprint);
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
  if (!site_public_url_check(c->panel.public_url, err, sizeof err)) {
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
  char web_root[PATH_MAX] = "";
  if (c->panel.web_root)
    sr_config_path(s->doc, c->panel.web_root, web_root, sizeof web_root);
  if (!sr_web_files_init(&s->web, web_root, SR_WEB_INSTALL_DIR, SR_WEB_SOURCE_DIR, "index.html",
                         "panel.web_root", release_pages,
                         sizeof release_pages / sizeof *release_pages, release_assets,
                         sizeof release_assets / sizeof *release_assets, err, sizeof err)) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
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
  if (sr_http_server_start(sr_loop_default(), &ho, site_http, s, &s->http, err, sizeof err) !=
      SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  site_public_url(c->panel.public_url, c->panel.address, sr_http_server_port(s->http),
                  s->public_url, sizeof s->public_url);
  s->panel.public_url = s->public_url;
  if (kiosk_setup(&s->panel, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  heartbeat_start(&s->heartbeat, sr_loop_default(), s->panel.cloud, s->public_url,
                  s->submission_spki, s->submission_fingerprint);
  if (sr_instances_create(s->loader, SR_PLUGIN_DEVICE, c->drivers, s->drivers, MAX_DRIVERS,
                          &s->n_drivers, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  s->discovery = (discovery){.loop = sr_loop_default(),
                             .doc = s->doc,
                             .cfg = c,
                             .drivers = s->drivers,
                             .n_drivers = s->n_drivers,
                             .on_result = discovery_result_to_cloud,
                             .result_ctx = s};
  discovery_schedule(&s->discovery);
  if (!start_signer(s))
    return false;
  return deliverer_start(&s->deliverer, s->doc, &s->cfg, s->loader, s->key, &co, s->book) &&
         start_monitoring(s);
}

static void site_free(site *s) {
  discovery_free(&s->discovery); /* before the drivers it identifies with */
  monitor_free(s->monitor);      /* likewise; waits for its reads */
  for (size_t i = 0; i < s->n_drivers; i++)
    sr_instance_destroy(s->drivers[i]);
  heartbeat_stop(&s->heartbeat);        /* before the client its calls use */
  sr_scout_health_free(s->health);      /* likewise */
  printer_list_signer_stop(&s->signer); /* likewise */
  sr_worker_pool_free(s->pool);         /* first: finished checks go on to the cloud */
  sr_cloud_client_free(s->panel.cloud); /* then: its calls still answer panels */
  sr_http_server_free(s->http);
  deliverer_free(&s->deliverer); /* before the plugins and the key it uses */
  sr_printer_book_free(s->book); /* after the deliverer that asks it */
  for (size_t i = 0; i < s->n_idps; i++)
    sr_instance_destroy(s->idps[i]);
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
  if (args.verb && strcmp(args.verb, "discover") == 0) {
    rc = discovery_once(s.doc, &s.cfg, args.json, args.upload);
  } else if (args.enroll) {
    rc = enroll(&s, args.token);
  } else if (start(&s)) {
    printf("panel https://%s:%d\n", s.cfg.u.device_scout.panel.address,
           sr_http_server_port(s.http));
    if (s.public_url[0])
      printf("release page %s/r/DEVICE\n", s.public_url);
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
