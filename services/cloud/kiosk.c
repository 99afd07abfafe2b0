/*
 * What the release page and the panel app learn through a site service
 * (docs/api/panel.yaml, docs/security.md "Release codes"):
 *   - a device's public face (name, location) and the tenant's
 *     release_codes, which anyone at the site may ask for: it is what the
 *     printer's label shows anyway, and nothing more (no URIs, no SNMP, no
 *     status, no site);
 *   - the panel app's own device, proved by its credential (a kiosk enrolls
 *     as a network card reader, readers.c), so the site can mint that
 *     device's rotating code.
 * The site service holds the code key; the cloud never mints or checks a
 * code.
 */
#include <stdio.h>
#include <string.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

bool cloud_release_codes(cloud *c, const char *tenant, char out[16]) {
  unsigned long db_errors = cloud_db_errors();
  bool ok = cloud_setting_text(c, tenant, "release_codes", out, 16);
  /* a failed read gives the default: here that would open a door */
  return ok && cloud_db_errors() == db_errors;
}

void cloud_site_panel_device(cloud_call *k) {
  cloud *c = k->c;
  const char *tenant = cloud_row_text(k->scout, "tenant");
  char codes[16];
  /* only what a label shows: never the printer's addresses */
  json_t *device =
      cloud_db_row(c->db, "SELECT id, name, location FROM devices WHERE tenant = ? AND id = ?",
                   "tt", tenant, k->id);
  if (!device) {
    if (cloud_db_failed(c->db))
      cloud_api_db_error(k->resp, "looking up the device");
    else
      sr_http_reply_error(k->resp, 404, "unknown_device", "no printer '%.64s' here", k->id);
    return;
  }
  if (!cloud_release_codes(c, tenant, codes)) {
    json_decref(device);
    cloud_api_db_error(k->resp, "reading the tenant's release_codes");
    return;
  }
  json_t *location = json_object_get(device, "location");
  sr_http_reply_json(k->resp, 200,
                     json_pack("{s:s, s:s, s:O, s:s, s:b}", "id", cloud_row_text(device, "id"),
                               "name", cloud_row_text(device, "name"), "location",
                               json_is_string(location) ? location : json_null(), "release_codes",
                               codes, "oidc", cloud_panel_oidc_offered(c)));
  json_decref(device);
}

void cloud_site_panel_kiosk(cloud_call *k) {
  cloud *c = k->c;
  json_t *reader = cloud_site_reader(k), *device = NULL;
  if (!reader)
    return;
  const char *tenant = cloud_row_text(reader, "tenant");
  char codes[16];
  device = cloud_db_row(c->db, "SELECT id, name FROM devices WHERE tenant = ? AND id = ?", "tt",
                        tenant, cloud_row_text(reader, "device"));
  if (!device) {
    if (cloud_db_failed(c->db))
      cloud_api_db_error(k->resp, "looking up the panel's device");
    else
      sr_http_reply_error(k->resp, 409, "device_removed",
                          "the panel's device '%.64s' was removed: enroll the panel again for a "
                          "device (srctl reader add)",
                          cloud_row_text(reader, "device"));
  } else if (!cloud_release_codes(c, tenant, codes)) {
    cloud_api_db_error(k->resp, "reading the tenant's release_codes");
  } else if (strcmp(codes, "static") == 0) {
    sr_http_reply_error(k->resp, 409, "rotating_disabled",
                        "this organisation uses the printers' static labels only "
                        "(release_codes: static)");
  } else {
    sr_http_reply_json(k->resp, 200,
                       json_pack("{s:s, s:s, s:s, s:s}", "device", cloud_row_text(device, "id"),
                                 "name", cloud_row_text(device, "name"), "reader",
                                 cloud_row_text(reader, "id"), "release_codes", codes));
  }
  json_decref(device);
  json_decref(reader);
}
