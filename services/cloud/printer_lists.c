/* The site's signed printer lists (core/printer_list.h): the site service
 * signs the printers it accepted with a key only holders of the site
 * secret have; the cloud stores each site's envelope verbatim and hands
 * the tenant's envelopes to its scouts. It cannot check them, and a list
 * it alters is refused by every scout: it is a courier here, no more. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"

/* base64 text at most this long: the API takes 64 KiB bodies */
#define MAX_LIST_TEXT 60000
#define MAX_MAC_TEXT 64

static bool base64_text(const json_t *v, size_t max) {
  const char *s = json_string_value(v);
  size_t n = s ? strlen(s) : 0;
  if (n == 0 || n > max || n % 4 != 0)
    return false;
  return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == n;
}

/* PUT /site/printer-list {"list","mac"}: the calling site's envelope,
 * kept as sent (the cloud cannot check it: scouts do). */
void cloud_site_printer_list_put(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  json_t *list = json_object_get(body, "list"), *mac = json_object_get(body, "mac");
  if (!base64_text(list, MAX_LIST_TEXT) || !base64_text(mac, MAX_MAC_TEXT)) {
    sr_http_reply_error(k->resp, 400, "bad_field",
                        "'list' and 'mac' must be base64 text (the list at most %d characters)",
                        MAX_LIST_TEXT);
    json_decref(body);
    return;
  }
  const char *tenant = cloud_row_text(k->scout, "tenant"), *site = cloud_row_text(k->scout, "id");
  int64_t now = time(NULL);
  if (cloud_db_run(k->c->db,
                   "INSERT INTO printer_lists(tenant, site, list, mac, updated_at) "
                   "VALUES(?, ?, ?, ?, ?) ON CONFLICT(tenant, site) DO UPDATE SET "
                   "list = excluded.list, mac = excluded.mac, updated_at = excluded.updated_at",
                   "tttti", tenant, site, json_string_value(list), json_string_value(mac),
                   now) < 0) {
    cloud_api_db_error(k->resp, "storing the printer list");
  } else {
    char when[32];
    cloud_rfc3339(now, when);
    sr_http_reply_json(k->resp, 200, json_pack("{s:s, s:s}", "site", site, "stored_at", when));
  }
  json_decref(body);
}

/* GET /scout/printer-list: every site's envelope of the caller's tenant. */
void cloud_scout_printer_lists(cloud_call *k) {
  json_t *rows =
      cloud_db_rows(k->c->db, "SELECT list, mac FROM printer_lists WHERE tenant = ? ORDER BY site",
                    "t", cloud_row_text(k->scout, "tenant"));
  if (!rows)
    cloud_api_db_error(k->resp, "reading the printer lists");
  else
    sr_http_reply_json(k->resp, 200, json_pack("{s:o}", "lists", rows));
}
