/*
 * The console's and portal's browser sessions (docs/console.md). A
 * session is a random token in the cookie __Host-sr_session (Secure,
 * HttpOnly, SameSite=Strict, Path=/, no Domain: only this origin ever
 * gets it, and no script can read it); the database keeps its SHA-256.
 *
 * Every change a browser asks for (a method other than GET) must also
 * carry the session's CSRF token in X-CSRF-Token and come from the
 * cloud's own Origin: SameSite=Strict alone leaves older browsers and
 * same-site pages. The CSRF token is a one-way function of the session
 * token (SHA-256 under a label), so GET /api/v1/session can tell it to
 * the page without the database keeping either; the row keeps its hash
 * to compare in constant time.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define TOKEN_MAX 64  /* cloud_new_token's 43 characters, and room */
#define SEEN_EVERY 15 /* seconds between writes of a session's last_seen */
#define CSRF_LABEL "securerelease csrf v1:"

static const char *const roles[] = {"administrator", "helpdesk", "readonly", "user", NULL};

bool cloud_web_role_ok(const char *role) {
  for (size_t i = 0; role && roles[i]; i++)
    if (strcmp(role, roles[i]) == 0)
      return true;
  return false;
}

/* The value of cookie __Host-sr_session in a Cookie header into `token`;
 * false if it is absent or not a token's shape. */
static bool session_cookie(const char *header, char token[TOKEN_MAX]) {
  static const char name[] = CLOUD_SESSION_COOKIE "=";
  for (const char *p = header ? header : ""; *p;) {
    p += strspn(p, " \t");
    if (strncmp(p, name, sizeof name - 1) == 0) {
      const char *v = p + sizeof name - 1;
      size_t n = strcspn(v, "; \t");
      if (n < 16 || n >= TOKEN_MAX ||
          strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < n)
        return false;
      memcpy(token, v, n);
      token[n] = '\0';
      return true;
    }
    const char *semi = strchr(p, ';');
    if (!semi)
      break;
    p = semi + 1;
  }
  return false;
}

/* The CSRF token of a session token (hex). */
static void csrf_of(const char *token, char out[65]) {
  char text[sizeof CSRF_LABEL + TOKEN_MAX];
  snprintf(text, sizeof text, "%s%s", CSRF_LABEL, token);
  cloud_token_hash(text, out);
  OPENSSL_cleanse(text, sizeof text);
}

static bool set_cookie(sr_http_response *resp, const char *token, int64_t max_age) {
  char value[256];
  snprintf(value, sizeof value, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%lld",
           CLOUD_SESSION_COOKIE, token, (long long)max_age);
  bool ok = sr_http_add_header(resp, "set-cookie:", value);
  OPENSSL_cleanse(value, sizeof value);
  return ok;
}

bool cloud_web_session_open(cloud *c, const char *tenant, const json_t *user, const char *role,
                            sr_http_response *resp) {
  const sr_console_config *cc = &c->cfg.u.cloud.console;
  char token[64], hash[65], csrf[65], csrf_hash[65];
  cloud_new_token(token);
  cloud_token_hash(token, hash);
  csrf_of(token, csrf);
  cloud_token_hash(csrf, csrf_hash);
  int64_t now = time(NULL);
  if (cloud_db_run(c->db,
                   "INSERT INTO web_sessions(token_hash, tenant, user_id, email, name, role, "
                   "csrf_hash, created_at, expires_at, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   "tttttttiii", hash, tenant, cloud_row_text(user, "id"),
                   cloud_row_text(user, "email"), cloud_row_text(user, "name"), role, csrf_hash,
                   now, now + cc->session_max, now) != 1) {
    cloud_api_db_error(resp, "storing the session");
    return false;
  }
  bool ok = set_cookie(resp, token, cc->session_max);
  OPENSSL_cleanse(token, sizeof token);
  OPENSSL_cleanse(csrf, sizeof csrf);
  if (!ok) {
    cloud_db_run(c->db, "DELETE FROM web_sessions WHERE token_hash = ?", "t", hash);
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return false;
  }
  sr_log(SR_LOG_INFO, "console", "tenant %s: user %s signed in as %s", tenant,
         cloud_row_text(user, "id"), role);
  return true;
}

bool cloud_web_origin_ok(const cloud *c, const sr_http_request *req) {
  return req->origin && req->origin[0] && strcmp(req->origin, c->public_url) == 0;
}

/* The live session row of the request's cookie, with the token in
 * `token`; NULL if there is none or it is over (*answered then says
 * whether resp holds a 401 or 500). Caller decrefs. */
static json_t *live_session(cloud_call *k, char token[TOKEN_MAX], bool *answered) {
  *answered = false;
  if (!session_cookie(k->req->cookie, token))
    return NULL;
  char hash[65];
  cloud_token_hash(token, hash);
  json_t *row =
      cloud_db_row(k->c->db, "SELECT * FROM web_sessions WHERE token_hash = ?", "t", hash);
  if (!row && cloud_db_failed(k->c->db)) {
    cloud_api_db_error(k->resp, "checking the session");
    *answered = true;
    return NULL;
  }
  int64_t now = time(NULL), idle = k->c->cfg.u.cloud.console.session_idle;
  if (row &&
      (cloud_row_int(row, "expires_at") <= now || cloud_row_int(row, "last_seen") + idle <= now)) {
    cloud_db_run(k->c->db, "DELETE FROM web_sessions WHERE token_hash = ?", "t", hash);
    json_decref(row);
    row = NULL;
  }
  if (!row) {
    /* a cookie of a session that is over: the browser forgets it */
    sr_http_reply_error(k->resp, 401, "session_over", "your session is over: sign in again");
    set_cookie(k->resp, "", 0);
    *answered = true;
    return NULL;
  }
  if (cloud_row_int(row, "last_seen") + SEEN_EVERY <= now &&
      cloud_db_run(k->c->db, "UPDATE web_sessions SET last_seen = ? WHERE token_hash = ?", "it",
                   now, hash) < 0) {
    cloud_api_db_error(k->resp, "recording the session's use");
    json_decref(row);
    *answered = true;
    return NULL;
  }
  return row;
}

cloud_web_admit cloud_web_session_admit(cloud_call *k) {
  char token[TOKEN_MAX];
  bool answered;
  json_t *row = live_session(k, token, &answered);
  if (!row) {
    OPENSSL_cleanse(token, sizeof token);
    return answered ? CLOUD_WEB_ANSWERED : CLOUD_WEB_NONE;
  }
  OPENSSL_cleanse(token, sizeof token);
  if (strcmp(k->req->method, "GET") != 0) {
    char given[65];
    const char *csrf = k->req->csrf ? k->req->csrf : "";
    cloud_token_hash(csrf, given);
    bool token_ok =
        strlen(csrf) == 64 && CRYPTO_memcmp(given, cloud_row_text(row, "csrf_hash"), 64) == 0;
    if (!token_ok || !cloud_web_origin_ok(k->c, k->req)) {
      sr_log(SR_LOG_WARN, "console", "tenant %s user %s: %s %s refused: %s",
             cloud_row_text(row, "tenant"), cloud_row_text(row, "user_id"), k->req->method,
             k->req->path, token_ok ? "not from the console's origin" : "no or a wrong CSRF token");
      sr_http_reply_error(
          k->resp, 403, "csrf",
          "this change must come from the console's or the portal's own page (CSRF token and "
          "Origin); reload the page");
      json_decref(row);
      return CLOUD_WEB_ANSWERED;
    }
  }
  snprintf(k->tenant, sizeof k->tenant, "%s", cloud_row_text(row, "tenant"));
  snprintf(k->user, sizeof k->user, "%s", cloud_row_text(row, "user_id"));
  snprintf(k->role, sizeof k->role, "%s", cloud_row_text(row, "role"));
  snprintf(k->actor, sizeof k->actor, "%s", cloud_row_text(row, "email"));
  json_decref(row);
  return CLOUD_WEB_SESSION;
}

void cloud_web_session_get(cloud_call *k) {
  char token[TOKEN_MAX], csrf[65], when[32];
  bool answered;
  json_t *row = live_session(k, token, &answered);
  if (!row) { /* the router admitted this session a moment ago */
    if (!answered)
      sr_http_reply_error(k->resp, 401, "unauthenticated", "sign in first");
    return;
  }
  csrf_of(token, csrf);
  OPENSSL_cleanse(token, sizeof token);
  cloud_rfc3339(cloud_row_int(row, "expires_at"), when);
  sr_http_reply_json(
      k->resp, 200,
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "tenant", cloud_row_text(row, "tenant"),
                "user", cloud_row_text(row, "user_id"), "email", cloud_row_text(row, "email"),
                "name", cloud_row_text(row, "name"), "role", cloud_row_text(row, "role"), "csrf",
                csrf, "expires_at", when, "idle_timeout",
                (json_int_t)k->c->cfg.u.cloud.console.session_idle));
  OPENSSL_cleanse(csrf, sizeof csrf);
  json_decref(row);
}

void cloud_web_session_end(cloud_call *k) {
  char token[TOKEN_MAX], hash[65];
  if (!session_cookie(k->req->cookie, token)) {
    sr_http_reply_error(k->resp, 401, "unauthenticated", "sign in first");
    return;
  }
  cloud_token_hash(token, hash);
  OPENSSL_cleanse(token, sizeof token);
  if (cloud_db_run(k->c->db, "DELETE FROM web_sessions WHERE token_hash = ?", "t", hash) < 0) {
    cloud_api_db_error(k->resp, "ending the session");
    return;
  }
  sr_log(SR_LOG_INFO, "console", "tenant %s: user %s signed out", k->tenant, k->user);
  k->resp->status = 204;
  set_cookie(k->resp, "", 0);
}

bool cloud_web_sessions_forget_user(cloud *c, const char *tenant, const char *user_id) {
  return cloud_db_run(c->db, "DELETE FROM web_sessions WHERE tenant = ? AND user_id = ?", "tt",
                      tenant, user_id) >= 0 &&
         cloud_db_run(c->db, "DELETE FROM sign_in_links WHERE tenant = ? AND user_id = ?", "tt",
                      tenant, user_id) >= 0;
}

void cloud_web_sessions_sweep(cloud *c) {
  int64_t now = time(NULL), idle = c->cfg.u.cloud.console.session_idle;
  cloud_db_run(c->db, "DELETE FROM web_sessions WHERE expires_at <= ? OR last_seen <= ?", "ii", now,
               now - idle);
  cloud_db_run(c->db, "DELETE FROM console_logins WHERE expires_at <= ?", "i", now);
  cloud_db_run(c->db, "DELETE FROM sign_in_links WHERE expires_at <= ?", "i", now);
}
