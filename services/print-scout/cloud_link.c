#include "cloud_link.h"

#include <stdio.h>
#include <string.h>

#include "sr/abi.h"

int scout_link_open(const sr_service_config *cfg, const sr_config *doc, scout_link *link, char *err,
                    size_t err_size) {
  const sr_print_scout_config *c = &cfg->u.print_scout;
  char path[1024], cert[1024], key[1024], ca[1024];
  memset(link, 0, sizeof *link);
  if (!c->tls.cert || !c->tls.key || !c->tls.ca) {
    snprintf(err, err_size, "tls needs cert, key and ca (enroll this scout first)");
    return SR_ERR_CONFIG;
  }
  sr_config_path(doc, c->secret_file, path, sizeof path);
  int status = sr_site_key_load(path, c->tenant, &link->key, err, err_size);
  if (status != SR_OK)
    return status;
  sr_config_path(doc, c->tls.cert, cert, sizeof cert);
  sr_config_path(doc, c->tls.key, key, sizeof key);
  sr_config_path(doc, c->tls.ca, ca, sizeof ca);
  sr_cloud_options o = {
      .base_url = c->cloud_url, .ca_file = ca, .cert_file = cert, .key_file = key};
  link->cloud = sr_cloud_client_new(&o);
  if (!link->cloud) {
    scout_link_close(link);
    snprintf(err, err_size, "out of memory");
    return SR_ERR_NOMEM;
  }
  return SR_OK;
}

void scout_link_close(scout_link *link) {
  sr_cloud_client_free(link->cloud);
  sr_site_key_free(link->key);
  memset(link, 0, sizeof *link);
}
