/*
 * One-time sign-in links (docs/console.md): the way into the console
 * without an OpenID provider (the embedded default, break-glass). The
 * operator or a tenant administrator, by bearer token, asks for a link for
 * one user of the tenant and a role; the link's token travels in the URL's
 * fragment (https://CLOUD/console/link#TOKEN), which browsers never send
 * to a server nor in a Referer, and the page posts it once to redeem it.
 * A token is kept as its SHA-256, lives 10 minutes and redeems once.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "log.h"

#define LINK_TTL 600 /* seconds a sign-in link may be used in */

void cloud_sign_in_link_add(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  const char *email = json_string_value(json_object_get(body, "email"));
  const char *role = json_string_value(json_object_get(body, "role"));
  const char *tenant = json_string_value(json_object_get(body, "tenant"));
  if (!role && !json_object_get(body, "role"))
    role = "administrator";
  char mail[SR_ID_MAX];
  if (!email || sr_email_normalise(email, mail, sizeof mail) != 0 || !cloud_web_role_ok(role)) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "send 'email' (a user of the tenant) and 'role' (administrator, "
                        "helpdesk, readonly or user; default administrator)");
    json_decref(body);
    return;
  }
  if (k->tenant[0] && tenant && strcmp(tenant, k->tenant) != 0) {
    sr_http_reply_error(k->resp, 403, "forbidden",
                        "an administrator's token makes links for "
                        "its own tenant only");
    json_decref(body);
    return;
  }
  if (!k->tenant[0]) { /* the operator names the tenant */
    if (!tenant || !cloud_slug_ok(tenant, 63)) {
      sr_http_reply_error(k->resp, 400, "invalid", "the operator's token must name 'tenant'");
      json_decref(body);
      return;
    }
    snprintf(k->tenant, sizeof k->tenant, "%s", tenant);
  }
  json_t *user = cloud_db_row(k->c->db, "SELECT id FROM users WHERE tenant = ? AND email = ?", "tt",
                              k->tenant, mail);
  if (!user) {
    if (cloud_db_failed(k->c->db))
      cloud_api_db_error(k->resp, "looking up the user");
    else
      sr_http_reply_error(k->resp, 404, "unknown_user",
                          "tenant '%s' has no user %s: add the user first (srctl user add)",
                          k->tenant, mail);
    json_decref(body);
    return;
  }
  char token[64], hash[65], url[512], when[32];
  cloud_new_token(token);
  cloud_token_hash(token, hash);
  int64_t now = time(NULL);
  if (cloud_db_run(k->c->db,
                   "INSERT INTO sign_in_links(token_hash, tenant, user_id, role, created_at, "
                   "expires_at) VALUES (?,?,?,?,?,?)",
                   "ttttii", hash, k->tenant, cloud_row_text(user, "id"), role, now,
                   now + LINK_TTL) != 1) {
    cloud_api_db_error(k->resp, "storing the link");
  } else {
    snprintf(url, sizeof url, "%s/console/link#%s", k->c->public_url, token);
    cloud_rfc3339(now + LINK_TTL, when);
    sr_http_reply_json(k->resp, 201, json_pack("{s:s, s:s}", "url", url, "expires_at", when));
    OPENSSL_cleanse(url, sizeof url);
    cloud_audit(k->c, k, "sign_in_link.add", cloud_row_text(user, "id"),
                json_pack("{s:s}", "role", role));
  }
  OPENSSL_cleanse(token, sizeof token);
  json_decref(user);
  json_decref(body);
}

void cloud_sign_in_link_redeem(cloud_call *k) {
  /* a page of another site must not sign a browser in as its own user
   * (login CSRF): only the console's page redeems */
  if (!cloud_web_origin_ok(k->c, k->req)) {
    sr_http_reply_error(k->resp, 403, "csrf", "sign-in links are redeemed by the console's page");
    return;
  }
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  const char *token = json_string_value(json_object_get(body, "token"));
  if (!token || !*token || strlen(token) > 128) {
    sr_http_reply_error(k->resp, 400, "invalid", "send 'token', the part of the link after '#'");
    json_decref(body);
    return;
  }
  char hash[65];
  cloud_token_hash(token, hash);
  json_decref(body);
  int64_t now = time(NULL);
  /* used at most once, also by two redeems at the same moment */
  int n = cloud_db_run(k->c->db,
                       "UPDATE sign_in_links SET used_at = ? WHERE token_hash = ? AND used_at IS "
                       "NULL AND expires_at > ?",
                       "iti", now, hash, now);
  if (n < 0) {
    cloud_api_db_error(k->resp, "redeeming the link");
    return;
  }
  json_t *link = n == 1 ? cloud_db_row(k->c->db,
                                       "SELECT l.tenant, l.role, u.id, u.email, u.name FROM "
                                       "sign_in_links l JOIN users u ON u.tenant = l.tenant AND "
                                       "u.id = l.user_id WHERE l.token_hash = ?",
                                       "t", hash)
                        : NULL;
  if (!link) {
    if (cloud_db_failed(k->c->db))
      cloud_api_db_error(k->resp, "redeeming the link");
    else
      sr_http_reply_error(k->resp, 401, "link_invalid",
                          "this sign-in link was used already or has expired: ask for a new one");
    return;
  }
  const char *role = cloud_row_text(link, "role");
  if (cloud_web_session_open(k->c, cloud_row_text(link, "tenant"), link, role, k->resp))
    sr_http_reply_json(k->resp, 200,
                       json_pack("{s:s, s:s}", "role", role, "next",
                                 strcmp(role, "user") == 0 ? "/portal/" : "/console/"));
  json_decref(link);
}
