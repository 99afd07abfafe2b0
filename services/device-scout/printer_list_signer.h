/*
 * The site's signed printer list (core/printer_list.h), made here: every
 * `every` seconds the site reads the tenant's accepted devices from the
 * cloud (GET /api/v1/site/devices) and signs those it can vouch for: each
 * URI host and SNMP host must be an address the site itself found as a
 * printer (state_dir/discovery.json, the last complete scan) or one of its
 * own `printers:` hosts. A device the cloud added pointing anywhere else
 * is not signed (and logged, once per change, with why). When the signed
 * set changes the list is signed again with a newer version and uploaded
 * (PUT /api/v1/site/printer-list); print scouts print nowhere else.
 *
 * Loop thread only; the calls run on the loop (curl's multi interface).
 */
#ifndef DEVICE_SCOUT_PRINTER_LIST_SIGNER_H
#define DEVICE_SCOUT_PRINTER_LIST_SIGNER_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cloud_client.h"
#include "printer_book.h"
#include "printer_list.h"

typedef struct printer_list_signer {
  struct ev_loop *loop;
  sr_cloud_client *cloud; /* borrowed, given the loop; must outlive the signer's stop */
  uint8_t key[SR_PRINTER_LIST_KEY_LEN];
  char tenant[128], site[128];
  char discovery[1024];            /* discovery.json's path; "" without a state_dir */
  const char *const *static_hosts; /* the site's `printers:`, NULL-terminated; borrowed */
  sr_printer_book *book;           /* the site's own copy (its deliverer); borrowed; may be NULL */
  double every;
  ev_timer timer;
  json_t *signed_printers; /* the printers of the list last uploaded; NULL: none yet */
  json_t *pending;         /* the printers of the list being uploaded */
  int64_t version;         /* of the last list signed */
  char *refused;           /* what was last refused (logged on change) */
  bool failing;            /* the last call failed (logged once, until one succeeds) */
  bool stopped;
} printer_list_signer;

/* Starts signing for `site` (the site scout's id) of `tenant` with a key
 * derived from `site_key`: reads the version of the list it signed before
 * from the cloud (GET /api/v1/scout/printer-list; versions go on above
 * it), then a first look, then every `every` seconds.
 * `state_dir` (may be NULL) holds discovery.json. `sg` is the caller's and
 * must stay put until printer_list_signer_stop. False if the key cannot be
 * derived. */
bool printer_list_signer_start(printer_list_signer *sg, struct ev_loop *loop,
                               sr_cloud_client *cloud, const sr_site_key *site_key,
                               const char *tenant, const char *site, const char *state_dir,
                               const char *const *static_hosts, sr_printer_book *book,
                               double every);

/* Stops (a call in flight ends without another) and frees what it holds.
 * Before the cloud client is freed. */
void printer_list_signer_stop(printer_list_signer *sg);

#endif
