#include "deliverer.h"

#include <stdio.h>
#include <string.h>

#include "instance.h"
#include "log.h"
#include "loop.h"
#include "x509_issue.h"

bool site_scout_id(const sr_config *doc, const sr_tls_config *tls, char *id, size_t size) {
  char path[1024], pem[16384];
  sr_config_path(doc, tls->cert, path, sizeof path);
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(pem, 1, sizeof pem - 1, f) : 0;
  if (f)
    fclose(f);
  pem[n] = '\0';
  return n > 0 && sr_x509_cert_cn(pem, id, size) == SR_OK;
}

bool deliverer_start(deliverer *d, const sr_config *doc, const sr_service_config *cfg,
                     sr_loader *loader, const sr_site_key *key, const sr_cloud_options *cloud,
                     sr_printer_book *book) {
  const sr_device_scout_config *c = &cfg->u.device_scout;
  char err[1024] = "", id[128];
  if (!c->cache)
    return true; /* not a deliverer: the panel API alone */
  if (sr_release_printers(c->printers, d->printers, 65) == 0 && !book) {
    fprintf(stderr, "sr-device-scout: with a 'cache', 'printers' must list the site's printer "
                    "hosts, or state_dir hold the printers a scan found, for the list the site "
                    "signs (releases print nowhere else)\n");
    return false;
  }
  if (!site_scout_id(doc, &c->cloud_tls, id, sizeof id)) {
    fprintf(stderr, "sr-device-scout: cannot read the site's certificate (cloud_tls.cert); "
                    "enroll the site first\n");
    return false;
  }
  bool ok =
      sr_instance_create(loader, SR_PLUGIN_STORAGE, c->cache, &d->cache, err, sizeof err) ==
          SR_OK &&
      sr_instances_create(loader, SR_PLUGIN_TRANSPORT, c->transports, d->transports,
                          DELIVERER_MAX_TRANSPORTS, &d->n_transports, err, sizeof err) == SR_OK;
  if (ok && c->drivers && c->drivers->count > 0)
    ok = sr_instance_create(loader, SR_PLUGIN_DEVICE, c->drivers->items[0], &d->driver, err,
                            sizeof err) == SR_OK;
  if (!ok) {
    for (size_t k = 0; k < sr_config_error_count(doc); k++)
      fprintf(stderr, "%s\n", sr_config_error(doc, k));
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  d->cloud = sr_cloud_client_new(cloud); /* its own: downloads run on the pool */
  d->jobs = scout_job_table_new();
  if (!d->cloud || !d->jobs) {
    fprintf(stderr, "sr-device-scout: out of memory\n");
    return false;
  }
  d->link = (sr_release_link){.releaser = {.loop = sr_loop_default(),
                                           .jobs = d->jobs,
                                           .storage = d->cache,
                                           .key = key,
                                           .transports = d->transports,
                                           .n_transports = d->n_transports,
                                           .driver = d->driver,
                                           .printers = d->printers,
                                           .book = book,
                                           .busy_deadline = c->delivery.busy_deadline,
                                           .cloud = d->cloud,
                                           .cache = d->cache},
                              .presence = "online",
                              .other_command = web_intake_command,
                              .other_ctx = &d->intake};
  if (!web_intake_start(&d->intake, sr_loop_default(), d->cloud, key)) {
    fprintf(stderr, "sr-device-scout: cannot start the threads that check web uploads\n");
    return false;
  }
  if (!sr_release_link_start(&d->link, doc, c->tenant, id, &c->mqtt, &c->cloud_tls, err,
                             sizeof err)) {
    fprintf(stderr, "sr-device-scout: %s\n", err);
    return false;
  }
  sr_log(SR_LOG_INFO, "site", "prints released jobs from their cloud copy as scout %s", id);
  return true;
}

void deliverer_free(deliverer *d) {
  sr_release_link_stop(&d->link); /* also one that failed half-way */
  web_intake_stop(&d->intake);    /* before the client its checks use */
  for (size_t i = 0; i < d->n_transports; i++)
    sr_instance_destroy(d->transports[i]);
  sr_instance_destroy(d->driver);
  sr_instance_destroy(d->cache);
  sr_cloud_client_free(d->cloud);
  scout_job_table_free(d->jobs);
  *d = (deliverer){0};
}
