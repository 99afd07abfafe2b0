/*
 * The sites' public submission keys (core/submit_key.h): each site service
 * sends its own with its heartbeats; the cloud checks it is a P-256 public
 * key whose fingerprint is the one sent, keeps it in scouts.submission_key,
 * and gives it to administrators (every site's) and to the portal (the one
 * a user's upload is sealed for). The cloud never holds the private half:
 * it is derived from the site secret, which the cloud never sees.
 */
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "submit_key.h"

bool cloud_site_submission_key(cloud *c, const char *scout_id, json_t *value,
                               sr_http_response *resp) {
  const char *spki = json_string_value(json_object_get(value, "spki"));
  const char *sent = json_string_value(json_object_get(value, "fingerprint"));
  uint8_t der[SR_SUBMIT_SPKI_MAX];
  long len = spki && strlen(spki) < SR_SUBMIT_SPKI_B64_MAX
                 ? sr_base64url_decode(spki, der, sizeof der)
                 : -1;
  if (!json_is_object(value) || json_object_size(value) != 2 || !sent || len <= 0 ||
      !sr_submit_key_spki_ok(der, (size_t)len)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'submission_key' is {\"spki\": the SPKI DER of a P-256 public key in "
                        "base64url, \"fingerprint\": its fingerprint}");
    return false;
  }
  char fingerprint[SR_SUBMIT_FINGERPRINT_LEN];
  sr_submit_key_fingerprint(der, (size_t)len, fingerprint);
  if (strcmp(fingerprint, sent) != 0) {
    sr_http_reply_error(resp, 400, "invalid",
                        "the submission key's fingerprint is %s, not the one sent", fingerprint);
    return false;
  }
  /* written only when it changed: heartbeats come every 30 s */
  if (cloud_db_run(c->db,
                   "UPDATE scouts SET submission_key = ?, submission_fingerprint = ? "
                   "WHERE id = ? AND kind = 'site' AND submission_key IS DISTINCT FROM ?",
                   "tttt", spki, fingerprint, scout_id, spki) < 0) {
    cloud_api_db_error(resp, "storing the site's submission key");
    return false;
  }
  return true;
}

/* The online test of cloud_admin_scouts: a site service is online for 2.5
 * heartbeats after its last call. */
#define SITE_ONLINE                                                                                \
  "(s.online = 1 OR COALESCE(s.last_seen >= ? AND (s.seen_at IS NULL OR s.last_seen > "            \
  "s.seen_at), FALSE))"

static int64_t online_since(cloud *c) {
  return (int64_t)time(NULL) - c->cfg.u.cloud.site_heartbeat * 5 / 2;
}

void cloud_admin_submission_keys(cloud_call *k) {
  json_t *rows =
      cloud_db_rows(k->c->db,
                    "SELECT s.id AS site, s.name, s.region, " SITE_ONLINE " AS online, "
                    "s.submission_key AS spki, s.submission_fingerprint AS fingerprint "
                    "FROM scouts s WHERE s.tenant = ? AND s.kind = 'site' ORDER BY s.name, s.id",
                    "it", online_since(k->c), k->tenant);
  if (!rows)
    cloud_api_db_error(k->resp, "listing the sites' submission keys");
  else
    sr_http_reply_json(k->resp, 200, json_pack("{s:o, s:s}", "sites", rows, "tenant", k->tenant));
}

/* The key an upload of `user_id` ("" for none) is sealed for: a site of
 * the user's region (cloud_region_resolve), online ones first, else any
 * site of the tenant that published a key. */
static json_t *key_for(cloud *c, const char *tenant, const char *user_id) {
  const sr_region_config *r = cloud_region_resolve(c, tenant, user_id, NULL, NULL);
  const char *region = r ? r->name : "";
  return cloud_db_row(
      c->db,
      "SELECT s.id AS site, s.name, s.region, " SITE_ONLINE " AS online, "
      "s.submission_key AS spki, s.submission_fingerprint AS fingerprint "
      "FROM scouts s WHERE s.tenant = ? AND s.kind = 'site' AND s.submission_key IS NOT NULL "
      "ORDER BY COALESCE(s.region = ?, FALSE) DESC, online DESC, s.name, s.id LIMIT 1",
      "itt", online_since(c), tenant, region);
}

void cloud_me_submission_key(cloud_call *k) {
  json_t *row = key_for(k->c, k->tenant, k->user);
  if (row)
    sr_http_reply_json(k->resp, 200, row);
  else if (cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "reading the submission key");
  else
    sr_http_reply_error(k->resp, 404, "not_found",
                        "no site of this tenant has published a submission key yet (a site "
                        "service sends it with its heartbeats)");
}
