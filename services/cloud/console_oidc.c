/*
 * Signing in to the console and portal with the OpenID provider
 * (docs/console.md): authorization code with PKCE, done by the cloud on
 * the server side. GET /console/login makes the state, the nonce and the
 * PKCE verifier, keeps them (the state hashed) for 10 minutes bound to a
 * random value in the browser's __Host-sr_login cookie, and sends the
 * browser to the provider. GET /console/oidc/callback takes the code only
 * with the state of a sign-in this browser started (its cookie), once;
 * the identity providers redeem it on the worker pool (client
 * console.client_id, the stored verifier and nonce), the identity maps to
 * a user of a tenant (by subject, else by verified email, as panel_oidc.c
 * does) and its groups to a role (tenant setting console_roles).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "idp_chain.h"
#include "log.h"

#define LOGIN_TTL 600 /* seconds a sign-in may take at the provider */
#define LOGIN_COOKIE "__Host-sr_login"
#define CALLBACK_PATH "/console/oidc/callback"

/* The value of `name` in a query, if it is 1 to size-1 characters of
 * [A-Za-z0-9-._~/] (all a state, a code or a path of ours needs: nothing
 * to decode, nothing to misread). */
static bool query_value(const char *query, const char *name, char *out, size_t size) {
  size_t len = strlen(name);
  for (const char *p = query; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
    if (strncmp(p, name, len) != 0 || p[len] != '=')
      continue;
    const char *v = p + len + 1;
    size_t n = strcspn(v, "&");
    if (n == 0 || n >= size ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/") < n)
      return false;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
  }
  return false;
}

/* The value of cookie `name` in a Cookie header (base64url), or false. */
static bool cookie_value(const char *header, const char *name, char *out, size_t size) {
  size_t len = strlen(name);
  for (const char *p = header ? header : ""; *p;) {
    p += strspn(p, " \t");
    if (strncmp(p, name, len) == 0 && p[len] == '=') {
      const char *v = p + len + 1;
      size_t n = strcspn(v, "; \t");
      if (n == 0 || n >= size ||
          strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < n)
        return false;
      memcpy(out, v, n);
      out[n] = '\0';
      return true;
    }
    const char *semi = strchr(p, ';');
    if (!semi)
      break;
    p = semi + 1;
  }
  return false;
}

/* Only a path of the console or the portal: never another site
 * ("//evil", "https://evil"), never a path out of them. */
static bool next_ok(const char *next) {
  return (strncmp(next, "/console/", 9) == 0 || strncmp(next, "/portal/", 8) == 0) &&
         !strstr(next, "//") && !strstr(next, "/.");
}

/* Percent-encodes `in` (everything but unreserved characters) onto out. */
static void encode(char *out, size_t size, const char *in) {
  size_t n = strlen(out);
  for (; *in && n + 4 < size; in++) {
    unsigned char ch = (unsigned char)*in;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        strchr("-._~", ch))
      out[n++] = (char)ch;
    else
      n += (size_t)snprintf(out + n, size - n, "%%%02X", ch);
  }
  out[n] = '\0';
}

/* base64url of SHA-256(verifier): the S256 challenge (RFC 7636 4.2). */
static void challenge_of(const char *verifier, char out[64]) {
  unsigned char digest[32], b64[48];
  unsigned int len = 0;
  EVP_Digest(verifier, strlen(verifier), digest, &len, EVP_sha256(), NULL);
  int n = EVP_EncodeBlock(b64, digest, sizeof digest);
  int j = 0;
  for (int i = 0; i < n && b64[i] != '='; i++)
    out[j++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
  out[j] = '\0';
}

static void page_error(sr_http_response *resp, int status, const char *code, const char *message) {
  sr_http_reply_error(resp, status, code, "%s", message);
  resp->headers = sr_web_security_headers;
}

static void redirect(sr_http_response *resp, const char *location) {
  resp->status = 302;
  free(resp->body);
  resp->body = NULL;
  if (!resp->headers)
    resp->headers = sr_web_security_headers;
  if (!sr_http_add_header(resp, "location:", location))
    page_error(resp, 500, "no_memory", "out of memory");
}

void cloud_console_login(cloud *c, const sr_http_request *req, sr_http_response *resp) {
  const char *endpoint, *scope;
  bool portal = strncmp(req->path, "/portal/", 8) == 0;
  if (!cloud_panel_oidc_offered(c)) {
    page_error(resp, 404, "oidc_not_configured",
               "single sign-on is not set up here: ask your administrator for a sign-in link");
    return;
  }
  if (!cloud_oidc_authorization(c, &endpoint, &scope)) {
    resp->retry_after = 1;
    page_error(resp, 503, "busy", "the sign-in provider is being asked; reload in a moment");
    return;
  }
  char next[256], tenant[64] = "";
  if (!query_value(req->query, "next", next, sizeof next) || !next_ok(next))
    snprintf(next, sizeof next, "%s", portal ? "/portal/" : "/console/");
  if (query_value(req->query, "tenant", tenant, sizeof tenant) && !cloud_slug_ok(tenant, 63))
    tenant[0] = '\0';
  char state[64], verifier[64], browser[64], nonce[33], challenge[64];
  char state_hash[65], browser_hash[65];
  cloud_new_token(state);
  cloud_new_token(verifier);
  cloud_new_token(browser);
  cloud_random_hex(nonce, 16);
  challenge_of(verifier, challenge);
  cloud_token_hash(state, state_hash);
  cloud_token_hash(browser, browser_hash);
  int64_t now = time(NULL);
  if (cloud_db_run(c->db,
                   "INSERT INTO console_logins(state_hash, browser_hash, verifier, nonce, next, "
                   "tenant, expires_at) VALUES (?,?,?,?,?,?,?)",
                   "tttttti", state_hash, browser_hash, verifier, nonce, next,
                   tenant[0] ? tenant : NULL, now + LOGIN_TTL) != 1) {
    cloud_api_db_error(resp, "starting the sign-in");
    resp->headers = sr_web_security_headers;
    return;
  }
  char url[4096], cookie[256], redirect_uri[300];
  snprintf(redirect_uri, sizeof redirect_uri, "%s%s", c->public_url, CALLBACK_PATH);
  snprintf(url, sizeof url, "%s%cresponse_type=code&client_id=", endpoint,
           strchr(endpoint, '?') ? '&' : '?');
  encode(url, sizeof url, c->cfg.u.cloud.console.client_id);
  strncat(url, "&redirect_uri=", sizeof url - strlen(url) - 1);
  encode(url, sizeof url, redirect_uri);
  strncat(url, "&scope=", sizeof url - strlen(url) - 1);
  /* the groups the roles come from, if the provider has them */
  char scopes[512];
  snprintf(scopes, sizeof scopes, "%s%s", scope, strstr(scope, "groups") ? "" : " groups");
  encode(url, sizeof url, scopes);
  snprintf(url + strlen(url), sizeof url - strlen(url),
           "&state=%s&nonce=%s&code_challenge=%s&code_challenge_method=S256", state, nonce,
           challenge);
  snprintf(cookie, sizeof cookie,
           /* Lax: the provider's redirect back is a top-level navigation
            * from another site, which a Strict cookie would not go with */
           "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=%d", LOGIN_COOKIE, browser,
           LOGIN_TTL);
  redirect(resp, url);
  if (resp->status == 302 && !sr_http_add_header(resp, "set-cookie:", cookie))
    page_error(resp, 500, "no_memory", "out of memory");
  OPENSSL_cleanse(browser, sizeof browser);
  OPENSSL_cleanse(cookie, sizeof cookie);
  OPENSSL_cleanse(verifier, sizeof verifier);
}

const char *cloud_console_role(cloud *c, const char *tenant, char *const *groups, size_t n) {
  static const char *const order[] = {"administrator", "helpdesk", "readonly", NULL};
  json_t *roles = cloud_setting(c, tenant, "console_roles");
  const char *role = "user";
  for (size_t r = 0; order[r] && !strcmp(role, "user"); r++) {
    json_t *names = json_object_get(roles, order[r]), *g;
    size_t i;
    json_array_foreach(names, i, g) {
      for (size_t k = 0; k < n; k++)
        if (groups[k] && strcmp(groups[k], json_string_value(g)) == 0)
          role = order[r];
    }
  }
  json_decref(roles);
  return role;
}

/* One callback's redeeming, on the pool. Made and freed on the loop; the
 * worker writes only status, why and who. */
typedef struct callback_step {
  cloud *c;
  sr_http_exchange *x;
  char *code, *verifier, *nonce, *next, *tenant, *redirect_uri, *client_id;
  int status;
  char why[512];
  sr_identity who;
} callback_step;

static void step_free(callback_step *s) {
  if (s->code)
    OPENSSL_cleanse(s->code, strlen(s->code));
  if (s->verifier)
    OPENSSL_cleanse(s->verifier, strlen(s->verifier));
  free(s->code);
  free(s->verifier);
  free(s->nonce);
  free(s->next);
  free(s->tenant);
  free(s->redirect_uri);
  free(s->client_id);
  sr_identity_clear(&s->who);
  free(s);
}

static void callback_work(void *arg) {
  callback_step *s = arg;
  sr_credential cred = {.struct_size = sizeof cred,
                        .type = SR_CRED_AUTHORIZATION_CODE,
                        .tenant = s->tenant ? s->tenant : "",
                        .identifier = s->client_id,
                        .secret = s->code,
                        .code_verifier = s->verifier,
                        .redirect_uri = s->redirect_uri,
                        .nonce = s->nonce};
  s->status = sr_idp_authenticate(s->c->idps, s->c->n_idps, &cred, &s->who, s->why, sizeof s->why);
}

/* The users the identity is, in `tenant` or (NULL) any tenant: by subject,
 * else by the verified email of users with no subject recorded yet or this
 * one. Caller decrefs; NULL if the database failed. */
static json_t *users_of(cloud *c, const char *tenant, const sr_identity *who) {
  json_t *rows = cloud_db_rows(c->db,
                               "SELECT * FROM users WHERE subject = ?1 AND (?2 IS NULL OR "
                               "tenant = ?2)",
                               "tt", who->subject, tenant);
  char mail[SR_ID_MAX];
  if (!rows || json_array_size(rows) || !who->email ||
      sr_email_normalise(who->email, mail, sizeof mail) != 0)
    return rows;
  json_decref(rows);
  return cloud_db_rows(c->db,
                       "SELECT * FROM users WHERE email = ?1 AND (subject IS NULL OR subject = "
                       "'' OR subject = ?3) AND (?2 IS NULL OR tenant = ?2)",
                       "ttt", mail, tenant, who->subject);
}

static void callback_done(void *arg) {
  callback_step *s = arg;
  sr_http_response resp = {0};
  if (s->status == SR_OK && s->who.subject) {
    json_t *users = users_of(s->c, s->tenant, &s->who);
    json_t *user = json_array_get(users, 0);
    if (!users) {
      cloud_api_db_error(&resp, "looking up the user");
      resp.headers = sr_web_security_headers;
    } else if (json_array_size(users) > 1) {
      page_error(&resp, 409, "choose_tenant",
                 "your account belongs to several organisations here: sign in again from your "
                 "organisation's console address (it names the tenant)");
    } else if (!user) {
      sr_log(SR_LOG_WARN, "console", "OpenID sign-in of %.200s, who is no user here",
             s->who.subject);
      page_error(&resp, 403, "unknown_user",
                 "this account is not a user here: ask your administrator to add you");
    } else {
      const char *tenant = cloud_row_text(user, "tenant");
      if (!*cloud_row_text(user, "subject"))
        cloud_db_run(s->c->db, "UPDATE users SET subject = ? WHERE tenant = ? AND id = ?", "ttt",
                     s->who.subject, tenant, cloud_row_text(user, "id"));
      const char *role = cloud_console_role(s->c, tenant, s->who.groups, s->who.n_groups);
      resp.headers = sr_web_security_headers;
      if (cloud_web_session_open(s->c, tenant, user, role, &resp))
        redirect(&resp, s->next);
    }
    json_decref(users);
  } else if (s->status == SR_OK || s->status == SR_ERR_AUTH || s->status == SR_ERR_DEFER) {
    sr_log(SR_LOG_WARN, "console", "OpenID sign-in refused: %s",
           s->status == SR_OK ? "the provider named no subject" : s->why);
    page_error(&resp, 401, "bad_credentials", "the sign-in was refused; sign in again");
  } else {
    sr_log(SR_LOG_WARN, "console", "OpenID sign-in: %s", s->why);
    page_error(&resp, 502, "idp_unreachable",
               "the sign-in provider cannot be reached; try again in a moment");
  }
  sr_http_finish(s->x, &resp);
  step_free(s);
}

void cloud_console_callback(cloud *c, const sr_http_request *req, sr_http_response *resp) {
  char state[64], code[1024], browser[64], state_hash[65], browser_hash[65];
  if (!query_value(req->query, "state", state, sizeof state) ||
      !query_value(req->query, "code", code, sizeof code)) {
    page_error(resp, 400, "invalid",
               "the sign-in came back without a code (refused at the provider?): sign in again");
    return;
  }
  cloud_token_hash(state, state_hash);
  json_t *login =
      cloud_db_row(c->db, "SELECT * FROM console_logins WHERE state_hash = ?", "t", state_hash);
  if (!login && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "finishing the sign-in");
    resp->headers = sr_web_security_headers;
    return;
  }
  bool mine = false;
  if (login && cookie_value(req->cookie, LOGIN_COOKIE, browser, sizeof browser)) {
    cloud_token_hash(browser, browser_hash);
    OPENSSL_cleanse(browser, sizeof browser);
    mine = CRYPTO_memcmp(browser_hash, cloud_row_text(login, "browser_hash"), 64) == 0 &&
           cloud_row_int(login, "expires_at") > time(NULL);
  }
  if (!mine) {
    /* a state carried to another browser (a victim's, to sign it in as the
     * attacker) is not finished there, and the sign-in stays unused */
    sr_log(SR_LOG_WARN, "console", "%s: a sign-in callback %s", req->remote,
           login ? "from another browser than the one that started it, or late"
                 : "with no such sign-in");
    page_error(resp, 400, "login_mismatch",
               "this sign-in was started in another browser or has expired: sign in again");
    json_decref(login);
    return;
  }
  /* once: a second callback with this state finds nothing */
  if (cloud_db_run(c->db, "DELETE FROM console_logins WHERE state_hash = ?", "t", state_hash) !=
      1) {
    page_error(resp, 400, "login_mismatch", "this sign-in was finished already: sign in again");
    json_decref(login);
    return;
  }
  callback_step *s = calloc(1, sizeof *s);
  char redirect_uri[300];
  snprintf(redirect_uri, sizeof redirect_uri, "%s%s", c->public_url, CALLBACK_PATH);
  const char *tenant = json_string_value(json_object_get(login, "tenant"));
  if (!s || !(s->code = strdup(code)) ||
      !(s->verifier = strdup(cloud_row_text(login, "verifier"))) ||
      !(s->nonce = strdup(cloud_row_text(login, "nonce"))) ||
      !(s->next = strdup(cloud_row_text(login, "next"))) ||
      (tenant && !(s->tenant = strdup(tenant))) || !(s->redirect_uri = strdup(redirect_uri)) ||
      !(s->client_id = strdup(c->cfg.u.cloud.console.client_id)) || !(s->x = sr_http_defer(req))) {
    if (s)
      step_free(s);
    json_decref(login);
    page_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  OPENSSL_cleanse(code, sizeof code);
  json_decref(login);
  s->c = c;
  s->who.struct_size = sizeof s->who;
  if (sr_worker_pool_submit(c->pool, callback_work, callback_done, s) != SR_OK) {
    sr_http_response busy = {.retry_after = 1};
    page_error(&busy, 503, "busy", "too many sign-ins at once; try again");
    sr_http_finish(s->x, &busy);
    step_free(s);
  }
}
