/*
 * Where each device's release page is (docs/devices.md, "Labels"): a site
 * service reports the base URL of its release page (its panel.public_url)
 * with its heartbeats, and the device listing gives each device the URL its
 * label's QR code carries, <base>/r/<device id>.
 *
 * A device found by a site's scan is that site's; one added by hand serves
 * every site, so its URL is the tenant's one base URL when all the sites
 * that reported one agree (one site, or several behind one name), and
 * null otherwise: a label for it then needs srctl's --base-url.
 */
#include <string.h>

#include "address_check.h"
#include "cloud.h"
#include "db.h"

/* The device columns every listing gives, release_url last. */
#define DEVICE_ROWS                                                                                \
  "SELECT d.id, d.name, d.location, d.uris, d.snmp, "                                              \
  "COALESCE((SELECT s.public_url FROM scouts s WHERE s.tenant = d.tenant AND s.id = d.site), "     \
  " CASE WHEN d.site IS NULL THEN (SELECT MIN(s.public_url) FROM scouts s "                        \
  "  WHERE s.tenant = d.tenant AND s.kind = 'site' AND s.public_url IS NOT NULL "                  \
  "  HAVING COUNT(DISTINCT s.public_url) = 1) END) || '/r/' || d.id AS release_url "               \
  "FROM devices d WHERE d.tenant = ? "

void cloud_admin_devices(cloud_call *k) {
  json_t *rows = cloud_db_rows(k->c->db, DEVICE_ROWS "ORDER BY d.id", "t", k->tenant);
  if (!rows)
    cloud_api_db_error(k->resp, "listing the devices");
  else /* the tenant too: srctl learns its token's tenant from it */
    sr_http_reply_json(k->resp, 200, json_pack("{s:o, s:s}", "devices", rows, "tenant", k->tenant));
}

void cloud_admin_device(cloud_call *k) {
  json_t *row = cloud_db_row(k->c->db, DEVICE_ROWS "AND d.id = ?", "tt", k->tenant, k->id);
  if (row)
    sr_http_reply_json(k->resp, 200, row);
  else if (cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "reading the device");
  else
    sr_http_reply_error(k->resp, 404, "not_found", "no such device");
}

/* A heartbeat without a body (a site older than labels) leaves the stored
 * URL as it is; `"public_url": null` forgets it. `submission_key`, when
 * there, is the site's public key (submission_keys.c). */
void cloud_site_heartbeat(cloud_call *k) {
  if (k->req->body_len > 0) {
    json_t *body = cloud_api_body(k->req, k->resp, k->fields);
    if (!body)
      return;
    json_t *url = json_object_get(body, "public_url");
    if (url && !json_is_null(url) && !sr_release_base_url_ok(json_string_value(url))) {
      sr_http_reply_error(k->resp, 400, "invalid",
                          "'public_url' is the release page's base URL, https://HOST[:PORT][/PATH] "
                          "of at most %d bytes, not ending in '/' (panel.public_url)",
                          SR_BASE_URL_MAX);
      json_decref(body);
      return;
    }
    json_t *key = json_object_get(body, "submission_key");
    if (key && !cloud_site_submission_key(k->c, cloud_row_text(k->scout, "id"), key, k->resp)) {
      json_decref(body);
      return;
    }
    /* written only when it changed: heartbeats come every 30 s */
    int n = !url ? 0
                 : cloud_db_run(k->c->db,
                                "UPDATE scouts SET public_url = ? WHERE id = ? AND public_url IS "
                                "DISTINCT FROM ?",
                                "ttt", json_string_value(url), cloud_row_text(k->scout, "id"),
                                json_string_value(url));
    json_decref(body);
    if (n < 0) {
      cloud_api_db_error(k->resp, "storing the site's public URL");
      return;
    }
  }
  sr_http_reply_json(k->resp, 200,
                     json_pack("{s:I}", "interval", (json_int_t)k->c->cfg.u.cloud.site_heartbeat));
}

/* The portal's view: the same release URLs, without the devices' addresses
 * and SNMP settings, which are no user's business. */
json_t *cloud_me_printer_rows(cloud_db *db, const char *tenant) {
  return cloud_db_rows(
      db, "SELECT id, name, location, release_url FROM (" DEVICE_ROWS ") AS d ORDER BY name, id",
      "t", tenant);
}
