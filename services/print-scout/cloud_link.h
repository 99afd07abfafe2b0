/* What the scout's one-shot commands (passcode, register) need: the site
 * key and a client for the cloud with the scout's certificate. */
#ifndef SCOUT_CLOUD_LINK_H
#define SCOUT_CLOUD_LINK_H

#include <stddef.h>

#include "cloud_client.h"
#include "service_config.h"
#include "site_key.h"

typedef struct scout_link {
  sr_site_key *key;
  sr_cloud_client *cloud;
} scout_link;

/* Fills *link from the configuration. SR_OK (free with scout_link_close)
 * or an error described in `err`. */
int scout_link_open(const sr_service_config *cfg, const sr_config *doc, scout_link *link, char *err,
                    size_t err_size);
void scout_link_close(scout_link *link);

#endif
