/*
 * sr-cloud: the multi-tenant service. REST API over HTTPS (scouts by client
 * certificate, administrators by bearer token), SQLite metadata, release
 * orchestration over MQTT. It never sees a document in clear or a site
 * secret (cloud copies are job files encrypted at the workstation).
 *
 * usage: sr-cloud --config FILE
 * Prints "api https://ADDRESS:PORT" on stdout once it is listening.
 */
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aead.h"
#include "cloud.h"
#include "db.h"
#include "log.h"
#include "loop.h"
#include "service_main.h"
#include "service_plugins.h"
#include "sr/abi.h"

/* Registration steps (SMTP, OpenID provider) running at once, and waiting
 * beyond those (then 503): each holds a thread for up to 20 s. */
#define REGISTRATION_THREADS 4
#define REGISTRATION_QUEUE 64

static const sr_service_form forms[] = {{NULL, "--config FILE"}, {0}};

/* Reads a whole small file (PEM, token) into a malloc'd string. */
static char *read_text(const char *path, bool secret, char *err, size_t err_size) {
  struct stat st;
  FILE *f = fopen(path, "r");
  if (!f || fstat(fileno(f), &st) != 0) {
    snprintf(err, err_size, "%s: cannot read it", path);
    if (f)
      fclose(f);
    return NULL;
  }
  if (secret && (st.st_mode & 077)) {
    snprintf(err, err_size, "%s: readable by its group or others (mode %03o); chmod 600 it", path,
             (unsigned)(st.st_mode & 0777));
    fclose(f);
    return NULL;
  }
  char *text = calloc(1, (size_t)st.st_size + 1);
  size_t n = text ? fread(text, 1, (size_t)st.st_size, f) : 0;
  fclose(f);
  if (text)
    text[n] = '\0';
  return text;
}

/* Key files the service reads must not be readable by other accounts. */
static bool private_key_file(const char *what, const char *path, char *err, size_t err_size) {
  struct stat st;
  if (stat(path, &st) != 0) {
    snprintf(err, err_size, "%s %s: cannot read it", what, path);
    return false;
  }
  if (st.st_mode & 077) {
    snprintf(err, err_size, "%s %s: readable by its group or others (mode %03o); chmod 600 it",
             what, path, (unsigned)(st.st_mode & 0777));
    return false;
  }
  return true;
}

/* Each second: the database's sweeps in one instance at a time (the others
 * skip their turn: docs/scaling.md), then what is this process's own. */
static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  cloud *c = w->data;
  /* what the deliverers said before their deadlines may wait in the
   * socket behind this timer: heard first, so none is passed over */
  sr_mqtt_read_pending(c->mqtt);
  unsigned reconnections = cloud_db_reconnections(c->db);
  if (reconnections != c->db_reconnections) {
    /* the scouts' answers that came while the database was away are lost */
    c->db_reconnections = reconnections;
    sr_log(SR_LOG_WARN, "cloud",
           "the database is back: asking the scouts again about the releases under way");
    cloud_release_resume(c);
  }
  if (cloud_db_sweep_begin(c->db)) {
    cloud_release_sweep(c);
    cloud_regions_sweep(c);
    cloud_monitoring_sweep(c);
    cloud_web_sessions_sweep(c);
    cloud_db_sweep_end(c->db);
  }
  cloud_registrations_sweep(c, false);
  cloud_events_report(false);
}

static bool cloud_init(cloud *c, const char *config_path) {
  c->loop = sr_loop_default();
  if (!sr_service_config_load(config_path, SR_SERVICE_CLOUD, &c->doc, &c->cfg))
    return false;
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  char err[1024], path[1024], cert[1024], key[1024], ca[1024];
  if (cc->admin_token_file) {
    sr_config_path(c->doc, cc->admin_token_file, path, sizeof path);
    char *token = read_text(path, true, err, sizeof err);
    if (!token) {
      fprintf(stderr, "sr-cloud: admin_token_file %s\n", err);
      return false;
    }
    token[strcspn(token, "\r\n")] = '\0';
    cloud_token_hash(token, c->operator_token_hash);
    memset(token, 0, strlen(token));
    free(token);
  }
  if (cc->enrollment.ca_cert && cc->enrollment.ca_key) {
    sr_config_path(c->doc, cc->enrollment.ca_cert, path, sizeof path);
    c->enroll_ca_cert = read_text(path, false, err, sizeof err);
    sr_config_path(c->doc, cc->enrollment.ca_key, path, sizeof path);
    c->enroll_ca_key = c->enroll_ca_cert ? read_text(path, true, err, sizeof err) : NULL;
    if (!c->enroll_ca_key) {
      fprintf(stderr, "sr-cloud: enrollment: %s\n", err);
      return false;
    }
  }
  if (cc->smtp.url && !cc->smtp.from) {
    fprintf(stderr, "sr-cloud: smtp needs 'from' (the sender address of users' notices)\n");
    return false;
  }
  /* registration steps call SMTP servers and OpenID providers, notices
   * are mailed, copies call storage: off the loop */
  c->pool = sr_worker_pool_new(c->loop, REGISTRATION_THREADS, REGISTRATION_QUEUE);
  if (!c->pool) {
    fprintf(stderr, "sr-cloud: cannot start worker threads\n");
    return false;
  }
  c->loader = sr_loader_new(c->loop);
  if (!c->loader || sr_service_plugin_paths(c->doc, &c->cfg, c->loader) != SR_OK)
    return false;
  if (sr_instances_create(c->loader, SR_PLUGIN_IDP, cc->idp, c->idps, 8, &c->n_idps, err,
                          sizeof err) != SR_OK) {
    for (size_t k = 0; k < sr_config_error_count(c->doc); k++)
      fprintf(stderr, "%s\n", sr_config_error(c->doc, k));
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  cloud_panel_oidc_probe(c); /* answered once the loop runs */
  if (cloud_copies_init(c, err, sizeof err) != SR_OK) {
    for (size_t k = 0; k < sr_config_error_count(c->doc); k++)
      fprintf(stderr, "%s\n", sr_config_error(c->doc, k));
    fprintf(stderr, "sr-cloud: storage: %s\n", err);
    return false;
  }
  /* database.driver: sqlite (0, the file database.path) or postgresql
   * (database.url, a libpq connection string) */
  bool postgresql = cc->database.driver != 0;
  if (postgresql && !cc->database.url) {
    fprintf(stderr, "sr-cloud: database.driver postgresql needs database.url (a PostgreSQL "
                    "connection string, e.g. postgresql://sr@db.example/securerelease)\n");
    return false;
  }
  if (!postgresql)
    sr_config_path(c->doc, cc->database.path, path, sizeof path);
  if (cloud_db_open(postgresql ? CLOUD_DB_POSTGRESQL : CLOUD_DB_SQLITE,
                    postgresql ? cc->database.url : path, &c->db, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  if (cc->master_key_file) {
    sr_config_path(c->doc, cc->master_key_file, path, sizeof path);
    if (cloud_secrets_load(c, path, err, sizeof err) != SR_OK) {
      fprintf(stderr, "sr-cloud: %s\n", err);
      return false;
    }
    if (cloud_secrets_check(c, err, sizeof err) != SR_OK) {
      fprintf(stderr, "sr-cloud: master_key_file %s: %s\n", path, err);
      return false;
    }
  } else if (c->enroll_ca_key) {
    fprintf(stderr, "sr-cloud: enrollment makes tenant CAs, whose keys are kept sealed: set "
                    "master_key_file (64 hex digits, e.g. openssl rand -hex 32 > FILE; chmod 600 "
                    "FILE), kept apart from the database\n");
    return false;
  }
  if (cloud_broker_acl_init(c, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  if (!cc->tls.cert || !cc->tls.key || !cc->tls.ca) {
    fprintf(stderr,
            "sr-cloud: tls needs cert, key and ca (the CA scouts' certificates chain to)\n");
    return false;
  }
  sr_config_path(c->doc, cc->tls.cert, cert, sizeof cert);
  sr_config_path(c->doc, cc->tls.key, key, sizeof key);
  sr_config_path(c->doc, cc->tls.ca, ca, sizeof ca);
  if (cc->mqtt.tls.key)
    sr_config_path(c->doc, cc->mqtt.tls.key, path, sizeof path);
  if (!private_key_file("tls.key", key, err, sizeof err) ||
      (cc->mqtt.tls.key && !private_key_file("mqtt.tls.key", path, err, sizeof err))) {
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  sr_http_options ho = {.address = cc->listen.address,
                        .port = (int)cc->listen.port,
                        .cert_file = cert,
                        .key_file = key,
                        .client_ca = ca,
                        .max_body = 65536,
                        .name = "cloud-api",
                        .header_timeout_s = (int)cc->api_limits.header_timeout,
                        .body_timeout_s = (int)cc->api_limits.body_timeout,
                        .idle_timeout_s = (int)cc->api_limits.idle_timeout,
                        .max_connections = (int)cc->api_limits.max_connections,
                        .max_connections_per_address =
                            (int)cc->api_limits.max_connections_per_address,
                        /* job copies stream to a file, never into memory */
                        .spooled = cloud_api_spooled,
                        .spool_admit = cloud_api_spool_admit,
                        .spool_max = (size_t)cc->copy_max_size,
                        .spool_dir = cloud_copies_spool_dir(c)};
  if (!cloud_console_init(c, err, sizeof err)) {
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  if (sr_http_server_start(c->loop, &ho, cloud_api_handle, c, &c->http, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  if (!c->public_url[0])
    snprintf(c->public_url, sizeof c->public_url, "https://%s:%d", cc->listen.address,
             sr_http_server_port(c->http));
  if (cloud_broker_start(c, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-cloud: %s\n", err);
    return false;
  }
  cloud_copies_start(c);
  ev_timer_init(&c->sweep, on_sweep, 1.0, 1.0);
  c->sweep.data = c;
  ev_timer_start(c->loop, &c->sweep);
  return true;
}

static void cloud_free(cloud *c) {
  sr_worker_pool_free(c->pool); /* first: finishing steps answer and write */
  c->pool = NULL;               /* the last sweep cancels registrations here */
  if (ev_is_active(&c->sweep))
    ev_timer_stop(c->loop, &c->sweep);
  if (c->loop && ev_is_active(&c->acl_again))
    ev_timer_stop(c->loop, &c->acl_again);
  cloud_broker_stop(c);
  sr_http_server_free(c->http);
  if (c->db)
    cloud_db_close(c->db);
  cloud_registrations_sweep(c, true);
  cloud_events_report(true);
  cloud_copies_free(c); /* after the pool: its work used the instances */
  for (size_t i = 0; i < c->n_idps; i++)
    sr_instance_destroy(c->idps[i]);
  sr_loader_free(c->loader);
  sr_aead_free(c->master);
  OPENSSL_cleanse(c->privacy_key, sizeof c->privacy_key);
  free(c->enroll_ca_cert);
  if (c->enroll_ca_key)
    memset(c->enroll_ca_key, 0, strlen(c->enroll_ca_key));
  free(c->enroll_ca_key);
  sr_config_free(c->doc);
}

int main(int argc, char **argv) {
  /* the route table, for the test that holds it against docs/api/cloud.yaml */
  if (argc == 2 && strcmp(argv[1], "--routes") == 0) {
    json_t *list = cloud_routes_json();
    int ok = json_dumpf(list, stdout, JSON_INDENT(1)) == 0;
    json_decref(list);
    return ok ? 0 : 1;
  }
  sr_service_args args;
  int status = sr_service_args_parse("sr-cloud", forms, argc, argv, &args);
  if (status >= 0)
    return status;
  const char *config = args.config;
  signal(SIGPIPE, SIG_IGN);
  static cloud c;
  if (!cloud_init(&c, config)) {
    cloud_free(&c);
    return 1;
  }
  printf("api https://%s:%d\n", c.cfg.u.cloud.listen.address, sr_http_server_port(c.http));
  fflush(stdout);
  sr_loop_stop_on_signals(c.loop);
  ev_run(c.loop, 0);
  cloud_free(&c);
  sr_log(SR_LOG_INFO, "cloud", "stopped");
  return 0;
}
