/* Region assignment by a tenant's administrator: a user's region (PATCH
 * /users/{id}, also given when the user is added), a site's region and the
 * site a print scout belongs to (PATCH /scouts/{id}, also at enrollment).
 * The tenant's default is the `region` setting (settings.c). Names are
 * checked against the cloud's regions: (regions.c). */
#include <stdio.h>
#include <string.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

bool cloud_region_field(cloud *c, json_t *body, sr_http_response *resp, bool *given,
                        const char **name) {
  json_t *v = json_object_get(body, "region");
  *given = v != NULL;
  *name = NULL;
  if (!v || json_is_null(v))
    return true;
  char why[512];
  if (json_is_string(v) && cloud_region_valid(c, json_string_value(v), why, sizeof why)) {
    *name = json_string_value(v);
    return true;
  }
  if (!json_is_string(v))
    snprintf(why, sizeof why, "'region' is a region's name, or null for none");
  sr_http_reply_error(resp, 400, "invalid", "%s", why);
  return false;
}

bool cloud_site_field(cloud *c, const char *tenant, json_t *body, sr_http_response *resp,
                      bool *given, const char **site) {
  json_t *v = json_object_get(body, "site");
  *given = v != NULL;
  *site = NULL;
  if (!v || json_is_null(v))
    return true;
  json_t *row = json_is_string(v) ? cloud_db_row(c->db,
                                                 "SELECT id FROM scouts WHERE tenant = ? AND "
                                                 "id = ? AND kind = 'site'",
                                                 "tt", tenant, json_string_value(v))
                                  : NULL;
  if (!row && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the site");
    return false;
  }
  if (!row) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'site' is the id of one of the tenant's site scouts (srctl scout list), "
                        "or null for none");
    return false;
  }
  json_decref(row);
  *site = json_string_value(v);
  return true;
}

void cloud_admin_user_update(cloud_call *k) {
  cloud *c = k->c;
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  bool given;
  const char *region;
  if (!body || !cloud_region_field(c, body, k->resp, &given, &region)) {
    json_decref(body);
    return;
  }
  int n = !given ? 1
                 : cloud_db_run(c->db, "UPDATE users SET region = ? WHERE tenant = ? AND id = ?",
                                "ttt", region, k->tenant, k->id);
  json_t *row = n >= 0 ? cloud_db_row(c->db,
                                      "SELECT id, email, name, region FROM users WHERE tenant = ? "
                                      "AND id = ?",
                                      "tt", k->tenant, k->id)
                       : NULL;
  if (!row && (n < 0 || cloud_db_failed(c->db)))
    cloud_api_db_error(k->resp, "changing the user");
  else if (!row)
    sr_http_reply_error(k->resp, 404, "not_found", "no such user");
  else {
    if (given)
      sr_log(SR_LOG_INFO, "regions", "tenant %s: user %s now in region %s", k->tenant, k->id,
             region ? region : "(the next that applies)");
    sr_http_reply_json(k->resp, 200, json_incref(row));
  }
  json_decref(row);
  json_decref(body);
  cloud_audit_succeeded(k, "user.update", k->id, cloud_audit_fields(k, CLOUD_KEEP("region")));
}

/* A site's region; the site of a print scout, and whether it may serve
 * others (crowdsource: only one the administrator allowed, whatever its
 * presence says). Each only of its kind: a print scout's jobs go by their
 * user's or its site's region. */
void cloud_admin_scout_update(cloud_call *k) {
  cloud *c = k->c;
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  json_t *scout = cloud_db_row(c->db, "SELECT kind FROM scouts WHERE tenant = ? AND id = ?", "tt",
                               k->tenant, k->id);
  bool region_given, site_given;
  const char *region, *site;
  json_t *serve = json_object_get(body, "serve_others");
  if (!scout && cloud_db_failed(c->db))
    cloud_api_db_error(k->resp, "reading the scout");
  else if (!scout)
    sr_http_reply_error(k->resp, 404, "not_found", "no such scout");
  else if (!cloud_region_field(c, body, k->resp, &region_given, &region) ||
           !cloud_site_field(c, k->tenant, body, k->resp, &site_given, &site))
    ; /* answered */
  else if (region_given && strcmp(cloud_row_text(scout, "kind"), "site") != 0)
    sr_http_reply_error(k->resp, 400, "invalid",
                        "only a site scout has a region; a print scout's jobs go by their "
                        "user's region or its site's (set 'site')");
  else if (site_given && strcmp(cloud_row_text(scout, "kind"), "print") != 0)
    sr_http_reply_error(k->resp, 400, "invalid", "only a print scout belongs to a site");
  else if (serve && !json_is_boolean(serve))
    sr_http_reply_error(k->resp, 400, "invalid", "'serve_others' is true or false");
  else if (serve && strcmp(cloud_row_text(scout, "kind"), "print") != 0)
    sr_http_reply_error(k->resp, 400, "invalid",
                        "only a print scout serves others (the site service prints for all)");
  else {
    bool ok = (!region_given || cloud_db_run(c->db,
                                             "UPDATE scouts SET region = ? WHERE tenant = ? AND "
                                             "id = ?",
                                             "ttt", region, k->tenant, k->id) == 1) &&
              (!site_given ||
               cloud_db_run(c->db, "UPDATE scouts SET site = ? WHERE tenant = ? AND id = ?", "ttt",
                            site, k->tenant, k->id) == 1) &&
              (!serve || cloud_db_run(c->db,
                                      "UPDATE scouts SET serve_others_allowed = ? WHERE tenant = ? "
                                      "AND id = ?",
                                      "itt", (int64_t)json_is_true(serve), k->tenant, k->id) == 1);
    json_t *row = ok ? cloud_db_row(c->db,
                                    "SELECT id, kind, name, region, site, serve_others_allowed = 1 "
                                    "AS serve_others FROM scouts WHERE tenant = ? AND id = ?",
                                    "tt", k->tenant, k->id)
                     : NULL;
    if (!row)
      cloud_api_db_error(k->resp, "changing the scout");
    else {
      sr_log(SR_LOG_INFO, "regions", "tenant %s: scout %s: region %s, site %s, serves others %s",
             k->tenant, k->id, *cloud_row_text(row, "region") ? cloud_row_text(row, "region") : "-",
             *cloud_row_text(row, "site") ? cloud_row_text(row, "site") : "-",
             cloud_row_int(row, "serve_others") ? "allowed" : "no");
      sr_http_reply_json(k->resp, 200, json_incref(row));
    }
    json_decref(row);
  }
  json_decref(scout);
  json_decref(body);
  cloud_audit_succeeded(k, "scout.update", k->id,
                        cloud_audit_fields(k, CLOUD_KEEP("region", "site", "serve_others")));
}

void cloud_admin_regions(cloud_call *k) {
  const sr_cloud_config *cc = &k->c->cfg.u.cloud;
  json_t *rows = json_array();
  for (size_t i = 0; i < cc->n_regions; i++) {
    const sr_region_config *r = &cc->regions[i];
    /* the storage and its prefix are the operator's, not the tenant's */
    json_array_append_new(rows,
                          json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", r->name, "label", r->label,
                                    "privacy", "title", sr_title_privacy_names[r->title], "user",
                                    sr_user_privacy_names[r->user]));
  }
  sr_http_reply_json(k->resp, 200, json_pack("{s:o, s:s}", "regions", rows, "tenant", k->tenant));
}
