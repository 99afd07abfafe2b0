/* sr-print-scout passcode --renew: a new system-generated passcode for the
 * panels. Made here, shown here once, sent to the cloud only as a keyed
 * hash (site secret), so neither the cloud nor its database can show it. */
#include "passcode.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_link.h"
#include "idhash.h"
#include "site_key.h"
#include "sr/abi.h"

/* No 0/O, 1/I/L: read off a screen and typed on a panel. */
static const char alphabet[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

void scout_passcode_generate(char out[SCOUT_PASSCODE_SIZE]) {
  unsigned char raw[8];
  size_t n = sizeof alphabet - 1, j = 0;
  for (size_t i = 0; i < sizeof raw; i++) {
    unsigned char b;
    do { /* no modulo bias: take only bytes below a multiple of n */
      if (RAND_bytes(&b, 1) != 1)
        abort();
    } while (b >= 256 - 256 % n);
    raw[i] = (unsigned char)alphabet[b % n];
  }
  for (size_t i = 0; i < sizeof raw; i++) {
    if (i == 4)
      out[j++] = '-';
    out[j++] = (char)raw[i];
  }
  out[j] = '\0';
}

int scout_passcode_renew(const sr_service_config *cfg, const sr_config *doc, char *err,
                         size_t err_size) {
  const sr_print_scout_config *c = &cfg->u.print_scout;
  scout_link link;
  int status = scout_link_open(cfg, doc, &link, err, err_size);
  if (status != SR_OK)
    return status;
  sr_cloud_client *cloud = link.cloud;
  const sr_site_key *key = link.key;
  status = SR_ERR_EXISTS;
  char passcode[SCOUT_PASSCODE_SIZE], norm[SR_ID_MAX], hash[SR_IDHASH_HEX_LEN + 1];
  /* a clash with someone else's passcode (409) is unlikely: try again */
  for (int attempt = 0; attempt < 5 && status == SR_ERR_EXISTS; attempt++) {
    scout_passcode_generate(passcode);
    sr_passcode_normalise(passcode, norm, sizeof norm);
    sr_idhash_hex(key, SR_ID_PASSCODE, NULL, norm, hash);
    json_t *body = json_pack("{s:s}", "passcode_hash", hash), *reply = NULL;
    int http = 0;
    status = sr_cloud_call(cloud, "PUT", "/api/v1/scout/passcode", body, NULL, &http, &reply, err,
                           err_size);
    if (status == SR_OK && http == 409)
      status = SR_ERR_EXISTS;
    else if (status == SR_OK && http != 204) {
      snprintf(err, err_size, "%s refused the passcode (HTTP %d): %s", c->cloud_url, http,
               sr_cloud_error_message(reply, "no reason given"));
      status = SR_ERR_PEER;
    }
    json_decref(reply);
    json_decref(body);
  }
  if (status == SR_OK)
    printf("Your new passcode for the printer panels: %s\n"
           "It is shown only now; the old one no longer works.\n",
           passcode);
  else if (status == SR_ERR_EXISTS)
    snprintf(err, err_size, "no free passcode after 5 tries");
  memset(passcode, 0, sizeof passcode);
  memset(norm, 0, sizeof norm);
  scout_link_close(&link);
  return status;
}
