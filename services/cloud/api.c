/* The REST API's front door: the route table (method, path pattern, who
 * may call, handler, accepted body fields), the router that checks the
 * caller before any handler runs. What every handler shares (body parsing,
 * error answers) is in api_shared.c, below both. The table is data so that the test route_table can
 * hold it against docs/api/cloud.yaml (`sr-cloud --routes` prints it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

static void health(cloud_call *k) {
  sr_http_reply_json(k->resp, 200,
                     json_pack("{s:s, s:b}", "status", "ok", "broker", k->c->mqtt_connected));
}

#define FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define V1 "/api/v1"
static const cloud_route routes[] = {
    {{"GET", V1 "/health"}, CLOUD_ANYONE, health, NULL},
    {{"POST", V1 "/tenants"}, CLOUD_OPERATOR, cloud_admin_tenant_add, FIELDS("id", "name")},
    {{"GET", V1 "/users"}, CLOUD_ADMIN, cloud_admin_users, NULL},
    {{"POST", V1 "/users"},
     CLOUD_HELPDESK,
     cloud_admin_user_add,
     FIELDS("email", "name", "card_hash", "pin_hash", "region")},
    {{"PATCH", V1 "/users/{id}"}, CLOUD_HELPDESK, cloud_admin_user_update, FIELDS("region")},
    {{"DELETE", V1 "/users/{id}"}, CLOUD_HELPDESK, cloud_admin_user_remove, NULL},
    /* web uploads (uploads.c): the body is a job file, spooled; an
     * administrator uploads on a user's behalf */
    {{"POST", V1 "/users/{id}/uploads"}, CLOUD_ADMIN, cloud_admin_user_upload, NULL},
    {{"GET", V1 "/users/{id}/upload-limits"}, CLOUD_ADMIN, cloud_admin_user_upload_limits, NULL},
    /* the portal's own, on the same functions */
    {{"POST", V1 "/me/uploads"}, CLOUD_USER, cloud_me_upload, NULL},
    {{"GET", V1 "/me/upload-limits"}, CLOUD_USER, cloud_me_upload_limits, NULL},
    /* the portal's upload in parts (part_uploads.c): the page's memory
     * does not grow with the document */
    {{"POST", V1 "/me/part-uploads"}, CLOUD_USER, cloud_me_part_upload_start, FIELDS("size")},
    {{"PUT", V1 "/me/part-uploads/{id}"}, CLOUD_USER, cloud_me_part_upload_put, NULL},
    {{"POST", V1 "/me/part-uploads/{id}/complete"},
     CLOUD_USER,
     cloud_me_part_upload_complete,
     NULL},
    {{"DELETE", V1 "/me/part-uploads/{id}"}, CLOUD_USER, cloud_me_part_upload_remove, NULL},
    {{"GET", V1 "/devices"}, CLOUD_ADMIN, cloud_admin_devices, NULL},
    {{"POST", V1 "/devices"},
     CLOUD_ADMIN,
     cloud_admin_device_add,
     FIELDS("id", "name", "uris", "snmp", "location")},
    {{"GET", V1 "/devices/{id}"}, CLOUD_ADMIN, cloud_admin_device, NULL},
    {{"PATCH", V1 "/devices/{id}"},
     CLOUD_ADMIN,
     cloud_admin_device_update,
     FIELDS("name", "location")},
    {{"DELETE", V1 "/devices/{id}"}, CLOUD_ADMIN, cloud_admin_device_remove, NULL},
    {{"GET", V1 "/scouts"}, CLOUD_ADMIN, cloud_admin_scouts, NULL},
    {{"POST", V1 "/scouts"},
     CLOUD_ADMIN,
     cloud_admin_scout_add,
     FIELDS("kind", "name", "user", "directory", "region", "site")},
    {{"PATCH", V1 "/scouts/{id}"},
     CLOUD_ADMIN,
     cloud_admin_scout_update,
     FIELDS("region", "site", "serve_others")},
    {{"DELETE", V1 "/scouts/{id}"}, CLOUD_ADMIN, cloud_admin_scout_remove, NULL},
    {{"GET", V1 "/regions"}, CLOUD_ADMIN, cloud_admin_regions, NULL},
    {{"GET", V1 "/sites/submission-keys"}, CLOUD_ADMIN, cloud_admin_submission_keys, NULL},
    {{"GET", V1 "/me/submission-key"}, CLOUD_USER, cloud_me_submission_key, NULL},
    {{"GET", V1 "/jobs"}, CLOUD_ADMIN, cloud_admin_jobs, NULL},
    /* the web console (audit.c, stats.c); a help desk may delete a job
     * (docs/console.md, "Roles") */
    {{"DELETE", V1 "/jobs/{id}"}, CLOUD_HELPDESK, cloud_admin_job_remove, NULL},
    {{"GET", V1 "/audit"}, CLOUD_ADMIN, cloud_admin_audit, NULL},
    {{"GET", V1 "/stats"}, CLOUD_ADMIN, cloud_admin_stats, NULL},
    {{"GET", V1 "/settings"}, CLOUD_ADMIN, cloud_admin_settings, NULL},
    {{"GET", V1 "/notifications"}, CLOUD_ADMIN, cloud_admin_notifications, NULL},
    {{"PATCH", V1 "/settings"}, CLOUD_ADMIN, cloud_admin_settings_set, cloud_setting_names},
    {{"GET", V1 "/delegations"}, CLOUD_ADMIN, cloud_admin_delegations, NULL},
    {{"POST", V1 "/delegations"},
     CLOUD_HELPDESK,
     cloud_admin_delegation_add,
     FIELDS("owner", "delegate", "until")},
    {{"DELETE", V1 "/delegations/{id}"}, CLOUD_HELPDESK, cloud_admin_delegation_remove, NULL},
    /* the console's and portal's sign-in (web_sessions.c, console_links.c) */
    {{"GET", V1 "/session"}, CLOUD_USER, cloud_web_session_get, NULL},
    {{"DELETE", V1 "/session"}, CLOUD_USER, cloud_web_session_end, NULL},
    {{"POST", V1 "/sign-in-links"},
     CLOUD_TOKEN,
     cloud_sign_in_link_add,
     FIELDS("email", "role", "tenant")},
    {{"POST", V1 "/sign-in-links/redeem"},
     CLOUD_ANYONE,
     cloud_sign_in_link_redeem,
     FIELDS("token")},
    /* the user portal's own (api_me.c) */
    {{"GET", V1 "/me/jobs"}, CLOUD_USER, cloud_me_jobs, NULL},
    {{"DELETE", V1 "/me/jobs/{id}"}, CLOUD_USER, cloud_me_job_remove, NULL},
    {{"GET", V1 "/me/delegations"}, CLOUD_USER, cloud_me_delegations, NULL},
    {{"POST", V1 "/me/delegations"},
     CLOUD_USER,
     cloud_me_delegation_add,
     FIELDS("delegate", "until")},
    {{"DELETE", V1 "/me/delegations/{id}"}, CLOUD_USER, cloud_me_delegation_remove, NULL},
    {{"GET", V1 "/me/printers"}, CLOUD_USER, cloud_me_printers, NULL},
    {{"POST", V1 "/enroll"}, CLOUD_ANYONE, cloud_api_enroll, FIELDS("token", "csr")},
    {{"POST", V1 "/scout/jobs"},
     CLOUD_PRINT_SCOUT,
     cloud_scout_job_add,
     FIELDS("id", "title", "pages", "copies", "sides", "color", "format", "size", "submitted_at",
            "sequence", "owner_email", "pin_hash")},
    {{"DELETE", V1 "/scout/jobs/{id}"}, CLOUD_PRINT_SCOUT, cloud_scout_job_remove, NULL},
    /* cloud copies (copies.c): the body of PUT is the job file, not JSON */
    {{"PUT", V1 "/scout/jobs/{id}/copy"}, CLOUD_PRINT_SCOUT, cloud_scout_copy_put, NULL},
    {{"GET", V1 "/scout/jobs/{id}/copy"}, CLOUD_SCOUT, cloud_scout_copy_get, NULL},
    {{"DELETE", V1 "/scout/jobs/{id}/copy"}, CLOUD_PRINT_SCOUT, cloud_scout_copy_remove, NULL},
    {{"PUT", V1 "/scout/passcode"},
     CLOUD_PRINT_SCOUT,
     cloud_scout_passcode,
     FIELDS("passcode_hash")},
    {{"POST", V1 "/scout/register"},
     CLOUD_PRINT_SCOUT,
     cloud_scout_register,
     FIELDS("email", "method")},
    {{"POST", V1 "/scout/register/complete"},
     CLOUD_PRINT_SCOUT,
     cloud_scout_register_complete,
     FIELDS("registration", "code", "pin_hash")},
    /* network card readers (readers.c): the reader's credential is the
     * bearer token of a swipe its site service forwards */
    {{"GET", V1 "/readers"}, CLOUD_ADMIN, cloud_admin_readers, NULL},
    {{"POST", V1 "/readers"}, CLOUD_ADMIN, cloud_admin_reader_add, FIELDS("device", "name")},
    {{"DELETE", V1 "/readers/{id}"}, CLOUD_ADMIN, cloud_admin_reader_remove, NULL},
    {{"POST", V1 "/site/readers/enroll"}, CLOUD_SITE, cloud_site_reader_enroll, FIELDS("token")},
    {{"POST", V1 "/site/readers/swipe"}, CLOUD_SITE, cloud_site_reader_swipe, FIELDS("card_hash")},
    /* authenticating it records last_seen; its body, the site's release
     * page (release_urls.c) */
    {{"POST", V1 "/site/heartbeat"},
     CLOUD_SITE,
     cloud_site_heartbeat,
     FIELDS("public_url", "submission_key")},
    /* printer discovery (discovered.c) */
    {{"PUT", V1 "/site/discovery"},
     CLOUD_SITE,
     cloud_site_discovery_put,
     FIELDS("scan", "devices")},
    {{"GET", V1 "/site/devices"}, CLOUD_SITE, cloud_site_devices, NULL},
    /* a site's verdict on a web upload it was asked to check (uploads.c) */
    {{"POST", V1 "/site/uploads/{id}/checked"},
     CLOUD_SITE,
     cloud_site_upload_checked,
     FIELDS("pages", "format", "title", "refused")},
    {{"GET", V1 "/discovered"}, CLOUD_ADMIN, cloud_admin_discovered, NULL},
    {{"POST", V1 "/discovered/{id}/accept"},
     CLOUD_ADMIN,
     cloud_admin_discovered_accept,
     FIELDS("id", "name")},
    /* the signed printer list (printer_lists.c) */
    {{"PUT", V1 "/site/printer-list"},
     CLOUD_SITE,
     cloud_site_printer_list_put,
     FIELDS("list", "mac")},
    {{"GET", V1 "/scout/printer-list"}, CLOUD_SCOUT, cloud_scout_printer_lists, NULL},
    /* monitoring and health (monitoring.c, health.c) */
    {{"POST", V1 "/site/devices/{id}/observations"},
     CLOUD_SITE,
     cloud_site_observations,
     FIELDS("at", "status", "alerts", "meters", "supplies")},
    {{"GET", V1 "/devices/{id}/monitor"}, CLOUD_ADMIN, cloud_admin_device_monitor, NULL},
    {{"GET", V1 "/devices/{id}/history"}, CLOUD_ADMIN, cloud_admin_device_history, NULL},
    {{"PUT", V1 "/scout/health"},
     CLOUD_SCOUT,
     cloud_scout_health,
     FIELDS("version", "uptime", "held_jobs", "last_errors", "config_version")},
    {{"POST", V1 "/site/panel/sessions"},
     CLOUD_SITE,
     cloud_panel_session_add,
     FIELDS("device", "card_hash", "email", "pin_hash", "passcode_hash", "username",
            "directory_verdict", "directory_email", "directory_name", "bind_card", "presence",
            "panel_credential", "oidc_code", "code_verifier", "redirect_uri", "nonce")},
    /* the release page and the panel app (kiosk.c) */
    {{"GET", V1 "/site/panel/devices/{id}"}, CLOUD_SITE, cloud_site_panel_device, NULL},
    {{"GET", V1 "/site/panel/kiosk"}, CLOUD_SITE, cloud_site_panel_kiosk, NULL},
    /* browser logins by OpenID Connect (panel_oidc.c) */
    {{"GET", V1 "/site/panel/oidc"}, CLOUD_SITE, cloud_site_panel_oidc, NULL},
    {{"DELETE", V1 "/site/panel/sessions/current"},
     CLOUD_PANEL_SESSION,
     cloud_panel_session_end,
     NULL},
    {{"GET", V1 "/site/panel/jobs"}, CLOUD_PANEL_SESSION, cloud_panel_jobs, NULL},
    {{"GET", V1 "/site/panel/jobs/{id}"}, CLOUD_PANEL_SESSION, cloud_panel_job, NULL},
    {{"DELETE", V1 "/site/panel/jobs/{id}"}, CLOUD_PANEL_SESSION, cloud_panel_job_remove, NULL},
    {{"POST", V1 "/site/panel/release"},
     CLOUD_PANEL_SESSION,
     cloud_panel_release,
     FIELDS("jobs", "all", "settings", "pin_hash")},
    {{"GET", V1 "/site/panel/delegations"}, CLOUD_PANEL_SESSION, cloud_panel_delegations, NULL},
    {{"POST", V1 "/site/panel/delegations"},
     CLOUD_PANEL_SESSION,
     cloud_panel_delegation_add,
     FIELDS("delegate", "until")},
    {{"DELETE", V1 "/site/panel/delegations/{id}"},
     CLOUD_PANEL_SESSION,
     cloud_panel_delegation_remove,
     NULL},
};

const cloud_route *cloud_routes(size_t *n) {
  *n = sizeof routes / sizeof *routes;
  return routes;
}

json_t *cloud_routes_json(void) {
  static const char *const callers[] = {"anyone", "operator",      "admin", "print_scout",
                                        "site",   "panel_session", "scout", "helpdesk",
                                        "user",   "token"};
  json_t *list = json_array();
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
    json_t *fields = json_array();
    for (size_t f = 0; routes[i].fields && routes[i].fields[f]; f++)
      json_array_append_new(fields, json_string(routes[i].fields[f]));
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "method", routes[i].r.method,
                                          "path", routes[i].r.pattern, "caller",
                                          callers[routes[i].caller], "fields", fields));
  }
  return list;
}

/* Whether a browser session's role may make this call: a user's session
 * only the portal's (CLOUD_USER); staff sessions read what
 * administrators read, a helpdesk session changes users and delegations
 * (CLOUD_HELPDESK), only an administrator's changes the rest. */
static bool role_may(cloud_call *k, cloud_caller caller) {
  const char *role = k->role;
  bool read = strcmp(k->req->method, "GET") == 0;
  bool staff = strcmp(role, "user") != 0;
  bool ok = caller == CLOUD_USER || strcmp(role, "administrator") == 0 || (read && staff) ||
            (caller == CLOUD_HELPDESK && strcmp(role, "helpdesk") == 0);
  if (!ok)
    sr_http_reply_error(k->resp, 403, "forbidden",
                        staff ? "your role (%s) may not make this change"
                              : "you have no console role (%s): ask an administrator",
                        role);
  return ok;
}

/* CLOUD_ADMIN, CLOUD_HELPDESK, CLOUD_USER: a bearer token wins (an
 * administrator's, never for CLOUD_USER), else the browser session of the
 * cookie. */
static bool admit_person(cloud_call *k, cloud_caller caller) {
  if (!k->req->bearer) {
    switch (cloud_web_session_admit(k)) {
    case CLOUD_WEB_ANSWERED: return false;
    case CLOUD_WEB_SESSION: return role_may(k, caller);
    case CLOUD_WEB_NONE: break;
    }
  }
  if (caller == CLOUD_USER) {
    sr_http_reply_error(k->resp, 401, "unauthenticated", "sign in with your browser first");
    return false;
  }
  if (!cloud_auth_admin(k->c, k->req, k->resp, k->tenant))
    return false;
  snprintf(k->role, sizeof k->role, "administrator");
  snprintf(k->actor, sizeof k->actor, "token");
  return true;
}

/* Checks the caller the route asks for; false with the answer (401, 403,
 * or 500 when the database failed) in resp. */
static bool admit(cloud_call *k, cloud_caller caller) {
  switch (caller) {
  case CLOUD_ANYONE: return true;
  case CLOUD_OPERATOR:
    if (cloud_auth_operator(k->c, k->req))
      return true;
    sr_http_reply_error(k->resp, 401, "unauthenticated", "this call needs the operator token");
    return false;
  case CLOUD_ADMIN:
  case CLOUD_HELPDESK:
  case CLOUD_USER: return admit_person(k, caller);
  case CLOUD_TOKEN:
    if (cloud_auth_operator(k->c, k->req)) {
      snprintf(k->role, sizeof k->role, "operator");
      snprintf(k->actor, sizeof k->actor, "operator");
      return true;
    }
    if (!cloud_auth_admin(k->c, k->req, k->resp, k->tenant))
      return false;
    snprintf(k->role, sizeof k->role, "administrator");
    snprintf(k->actor, sizeof k->actor, "token");
    return true;
  case CLOUD_PRINT_SCOUT: return (k->scout = cloud_auth_scout(k->c, k->req, k->resp, "print"));
  case CLOUD_SITE: return (k->scout = cloud_auth_scout(k->c, k->req, k->resp, "site"));
  case CLOUD_SCOUT: return (k->scout = cloud_auth_scout(k->c, k->req, k->resp, NULL));
  case CLOUD_PANEL_SESSION:
    return (k->scout = cloud_auth_scout(k->c, k->req, k->resp, "site")) &&
           (k->session = cloud_panel_session(k->c, k->scout, k->req, k->resp));
  }
  return false;
}

/* The routes whose body is a file (spooled to disk, never held in
 * memory), by handler, with what checks such a call from its head alone:
 * after its caller was admitted and before a byte of the body is written
 * (size limits); false with the answer in k->resp. */
static const struct {
  void (*handle)(cloud_call *k);
  bool (*head)(cloud_call *k);
} spooled_routes[] = {
    {cloud_scout_copy_put, cloud_copy_head},
    {cloud_admin_user_upload, cloud_admin_user_upload_head},
    {cloud_me_upload, cloud_me_upload_head},
    {cloud_me_part_upload_put, cloud_me_part_upload_put_head},
};

/* The head check of route `i`, or NULL: its body is JSON. */
static bool (*spooled_head(long i))(cloud_call *k) {
  for (size_t j = 0; i >= 0 && j < sizeof spooled_routes / sizeof *spooled_routes; j++)
    if (spooled_routes[j].handle == routes[i].handle)
      return spooled_routes[j].head;
  return NULL;
}

bool cloud_api_spooled(void *ctx, const char *method, const char *path) {
  (void)ctx;
  char id[128], allow[64];
  long i = sr_route_find(routes, sizeof routes / sizeof *routes, sizeof *routes, method, path, id,
                         sizeof id, allow, sizeof allow);
  return spooled_head(i) != NULL;
}

bool cloud_api_spool_admit(void *ctx, const sr_http_request *head, sr_http_response *refusal) {
  cloud_call k = {.c = ctx, .req = head, .resp = refusal};
  char allow[64];
  long i = sr_route_find(routes, sizeof routes / sizeof *routes, sizeof *routes, head->method,
                         head->path, k.id, sizeof k.id, allow, sizeof allow);
  unsigned long db_errors = cloud_db_errors();
  bool (*head_ok)(cloud_call *) = spooled_head(i);
  bool admitted = head_ok && admit(&k, routes[i].caller) && head_ok(&k);
  if (!head_ok)
    sr_http_reply_error(refusal, 404, "not_found", "no such resource: %.200s", head->path);
  else if (cloud_db_errors() != db_errors) { /* as the router's net: never a 4xx for a failure */
    admitted = false;
    cloud_api_db_error(refusal, "checking the upload");
  }
  if (!admitted)
    sr_log(SR_LOG_DEBUG, "api", "%s %s %s -> %d before its body", head->remote, head->method,
           head->path, refusal->status);
  json_decref(k.session);
  json_decref(k.scout);
  return admitted;
}

static void route(cloud *c, const sr_http_request *req, sr_http_response *resp) {
  cloud_call k = {.c = c, .req = req, .resp = resp};
  long i = sr_route_find(routes, sizeof routes / sizeof *routes, sizeof *routes, req->method,
                         req->path, k.id, sizeof k.id, resp->allow, sizeof resp->allow);
  if (i < 0 && !resp->allow[0]) {
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
  } else if (i < 0) {
    sr_http_reply_error(resp, 405, "method_not_allowed", "%s is not allowed on %.200s (only %s)",
                        req->method, req->path, resp->allow);
  } else {
    k.fields = routes[i].fields;
    if (admit(&k, routes[i].caller))
      routes[i].handle(&k);
  }
  json_decref(k.session);
  json_decref(k.scout);
}

/* Tests prove what the cloud never receives (a directory password, say) by
 * reading every request it did receive: SR_TEST_RECORD_REQUESTS=FILE. Never
 * set it in production: bodies carry tokens. */
static void record_request(const sr_http_request *req) {
  static FILE *record;
  static bool checked;
  if (!checked) {
    const char *path = getenv("SR_TEST_RECORD_REQUESTS");
    checked = true;
    record = path ? fopen(path, "a") : NULL;
    if (record)
      sr_log(SR_LOG_WARN, "api", "recording every request to %s (a test setting)", path);
  }
  if (record) {
    fprintf(record, "%s %s %.*s\n", req->method, req->path, (int)req->body_len, req->body);
    fflush(record);
  }
}

void cloud_api_handle(void *ctx, const sr_http_request *req, sr_http_response *resp) {
  cloud *c = ctx;
  record_request(req);
  if (cloud_console_path(req->path)) { /* pages, assets, sign-in steps */
    cloud_console_handle(c, req, resp);
    if (!sr_http_deferred(req))
      sr_log(resp->status >= 500 ? SR_LOG_ERROR : SR_LOG_DEBUG, "api", "%s %s %s -> %d",
             req->remote, req->method, req->path, resp->status);
    return;
  }
  unsigned long db_errors = cloud_db_errors();
  route(c, req, resp);
  if (sr_http_deferred(req)) { /* answered later, by the handler's own finish */
    sr_log(SR_LOG_DEBUG, "api", "%s %s %s -> answer deferred", req->remote, req->method, req->path);
    return;
  }
  /* the net under every handler: an answer made while the database was
   * failing cannot be trusted (a 401 that is really an I/O error, a 204
   * whose write was lost) */
  if (cloud_db_errors() != db_errors && resp->status < 500) {
    sr_log(SR_LOG_ERROR, "api",
           "%s %s: the database failed during the request; answering 500 "
           "instead of %d",
           req->method, req->path, resp->status);
    cloud_api_db_error(resp, "answering this request");
  }
  sr_log(resp->status >= 500 ? SR_LOG_ERROR : SR_LOG_DEBUG, "api", "%s %s %s -> %d", req->remote,
         req->method, req->path, resp->status);
}
