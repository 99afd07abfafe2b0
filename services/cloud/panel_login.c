/*
 * Logging in at a panel, as the site service asks for it. Secrets never
 * arrive here: cards, PINs and passcodes come hashed with the site secret,
 * and a directory password is checked at the site, which sends only its
 * verdict. A verdict is a claim the cloud cannot check, so it is taken
 * only from a site enrolled for directory logins (scouts.directory), for
 * its own tenant, and only for users a directory provisioned
 * (users.directory): a site's certificate alone must not be a key to
 * every account of the tenant.
 *
 * Methods: card | email + PIN | passcode | directory username + verdict;
 * an OpenID Connect authorization code is handed to panel_oidc.c.
 * Presence (docs/security.md, "Release codes"): the site says how the
 * login proved it is made at the printer, "rotating" (it checked a
 * rotating code of the device) or "panel" (the panel app's credential,
 * checked here to be bound to the device and the site); a tenant with
 * release_codes "rotating" takes no login without one.
 * Failures are counted per identity and per device and locked out. An
 * unknown card gets a one-time binding token: the next successful login
 * by another method that presents it binds the card to that user.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "log.h"

#define CARD_BINDING_TTL 300 /* seconds to log in another way after an unknown card */

typedef struct login {
  const char *tenant, *device, *method;
  const char *card, *email, *pin, *passcode, *username, *verdict, *bind_card;
  const char *presence, *panel_credential;
  char mail[SR_ID_MAX];
  char identity[SR_ID_MAX + 32]; /* what failures are counted against */
} login;

int64_t cloud_lockout_left(cloud *c, const char *tenant, const char *key) {
  json_t *row =
      cloud_db_row(c->db, "SELECT locked_until FROM login_failures WHERE tenant = ? AND key = ?",
                   "tt", tenant, key);
  int64_t left = cloud_row_int(row, "locked_until") - (int64_t)time(NULL);
  json_decref(row);
  return left > 0 ? left : 0;
}

/* False if the failure could not be counted: the caller must not answer
 * as if it had been, or a failing disk would turn off the lockout. */
bool cloud_lockout_count(cloud *c, const char *tenant, const char *key, int64_t attempts) {
  int64_t now = time(NULL), lock = c->cfg.u.cloud.lockout.duration;
  /* a lockout that has run out starts a fresh count, and so does a failure
   * a whole lockout period after the last one: counts nothing clears on
   * success (job PINs) must not add up over months */
  return cloud_db_run(
             c->db,
             "INSERT INTO login_failures AS l(tenant, key, failures, locked_until, updated_at) "
             "VALUES(?, ?, 1, 0, ?) ON CONFLICT(tenant, key) DO UPDATE SET failures = CASE WHEN "
             "(l.locked_until != 0 AND l.locked_until <= ?) OR (l.locked_until = 0 AND "
             "l.updated_at "
             "<= ?) THEN 1 ELSE l.failures + 1 END, locked_until = CASE WHEN l.locked_until != 0 "
             "AND l.locked_until <= ? THEN 0 ELSE l.locked_until END, updated_at = ?",
             "ttiiiii", tenant, key, now, now, now - lock, now, now) >= 0 &&
         cloud_db_run(c->db,
                      "UPDATE login_failures SET locked_until = ? WHERE tenant = ? AND key = ? "
                      "AND failures >= ? AND locked_until = 0",
                      "itti", now + lock, tenant, key, attempts) >= 0;
}

void cloud_reply_locked_out(sr_http_response *resp, int64_t wait) {
  char message[96];
  snprintf(message, sizeof message, "too many failed attempts; try again in %lld s",
           (long long)wait);
  resp->retry_after = (int)wait;
  sr_http_reply_json(resp, 429,
                     json_pack("{s:{s:s, s:s, s:I}}", "error", "code", "locked_out", "message",
                               message, "retry_after", (json_int_t)wait));
}

bool cloud_login_admit(cloud *c, const char *tenant, const char *identity, const char *device,
                       const char *method, sr_http_response *resp) {
  char device_key[128];
  snprintf(device_key, sizeof device_key, "device:%.64s", device);
  unsigned long db_errors = cloud_db_errors();
  int64_t wait = cloud_lockout_left(c, tenant, identity);
  if (!wait)
    wait = cloud_lockout_left(c, tenant, device_key);
  if (cloud_db_errors() != db_errors) { /* an unread lockout is no lockout */
    cloud_api_db_error(resp, "reading the login lockouts");
    return false;
  }
  if (wait) {
    cloud_reply_locked_out(resp, wait);
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %s: %s login refused, locked out", tenant,
           device, method);
    return false;
  }
  return true;
}

bool cloud_login_failed(cloud *c, const char *tenant, const char *identity, const char *device,
                        const char *method, sr_http_response *resp) {
  char device_key[128];
  snprintf(device_key, sizeof device_key, "device:%.64s", device);
  int64_t attempts = c->cfg.u.cloud.lockout.attempts;
  if (!cloud_lockout_count(c, tenant, identity, attempts) ||
      !cloud_lockout_count(c, tenant, device_key, attempts * 4)) {
    cloud_api_db_error(resp, "counting a failed login");
    return false;
  }
  sr_log(SR_LOG_WARN, "panel", "tenant %s device %s: failed %s login", tenant, device, method);
  return true;
}

/* A success clears its own identity's count; false (answered) if it could
 * not be cleared. */
static bool clear_failures(cloud *c, const char *tenant, const char *identity,
                           sr_http_response *resp) {
  if (cloud_db_run(c->db, "DELETE FROM login_failures WHERE tenant = ? AND key = ?", "tt", tenant,
                   identity) >= 0)
    return true;
  cloud_api_db_error(resp, "clearing the failed logins");
  return false;
}

bool cloud_is_site_hash(const char *s) {
  return s && strlen(s) == SR_IDHASH_HEX_LEN && strspn(s, "0123456789abcdef") == SR_IDHASH_HEX_LEN;
}

static bool same_hash(const char *stored, const char *given) {
  return strlen(stored) == SR_IDHASH_HEX_LEN &&
         CRYPTO_memcmp(stored, given, SR_IDHASH_HEX_LEN) == 0;
}

/* Which method the body asks for; false (and why) if not exactly one. */
static bool read_method(login *l, char *why, size_t size) {
  int methods = !!l->card + !!(l->email || l->pin) + !!l->passcode + !!(l->username || l->verdict);
  if (methods != 1 || (l->email && !l->pin) || (l->pin && !l->email) ||
      (l->username && !l->verdict) || (l->verdict && !l->username)) {
    snprintf(why, size,
             "send 'device' with one of: card_hash; email and pin_hash; passcode_hash; "
             "username and directory_verdict");
    return false;
  }
  if ((l->card && !cloud_is_site_hash(l->card)) || (l->pin && !cloud_is_site_hash(l->pin)) ||
      (l->passcode && !cloud_is_site_hash(l->passcode))) {
    snprintf(why, size, "hashes are 64 lower-case hex digits (made at the site with the secret)");
    return false;
  }
  if (l->email && sr_email_normalise(l->email, l->mail, sizeof l->mail) != 0) {
    snprintf(why, size, "'email' is not an email address");
    return false;
  }
  if (l->verdict && strcmp(l->verdict, "ok") && strcmp(l->verdict, "refused")) {
    snprintf(why, size, "'directory_verdict' is ok or refused");
    return false;
  }
  l->method = l->card ? "card" : l->pin ? "email and PIN" : l->passcode ? "passcode" : "directory";
  if (l->card)
    snprintf(l->identity, sizeof l->identity, "card:%s", l->card);
  else if (l->pin)
    snprintf(l->identity, sizeof l->identity, "email:%s", l->mail);
  else if (l->passcode) /* no identifier to count against: count per device */
    snprintf(l->identity, sizeof l->identity, "passcode@%.64s", l->device);
  else
    snprintf(l->identity, sizeof l->identity, "user:%.200s", l->username);
  for (char *p = l->identity; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return true;
}

json_t *cloud_directory_user(cloud *c, const char *tenant, const char *email, const char *name) {
  char mail[SR_ID_MAX];
  if (!email || sr_email_normalise(email, mail, sizeof mail) != 0)
    return NULL;
  json_t *user =
      cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND email = ?", "tt", tenant, mail);
  if (!user) {
    char id[40] = "u-";
    cloud_random_hex(id + 2, 8);
    if (cloud_db_failed(c->db))
      return NULL;
    /* marked as the directory's, so directory verdicts may log it in; a
     * conflict is another instance adding the same user meanwhile */
    int n = cloud_db_run(c->db,
                         "INSERT INTO users(tenant, id, email, name, directory, created_at) "
                         "VALUES(?, ?, ?, ?, 1, ?)",
                         "tttti", tenant, id, mail, name ? name : mail, (int64_t)time(NULL));
    if (n == -1)
      return NULL; /* cloud_db_failed() says so */
    if (n == 1)
      sr_log(SR_LOG_INFO, "users", "tenant %s: directory user %s added", tenant, id);
    user = cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND email = ?", "tt", tenant,
                        mail);
  }
  return user;
}

/* The site's directory vouched for a user at the panel: the user, added if
 * new, or NULL when it is not a directory's user. An account an
 * administrator made, or one registered by email or OpenID Connect, is
 * refused like a wrong password (the panel learns nothing about it), and
 * the refusal names the site, which sent a verdict its directory should
 * not have given. */
static json_t *directory_user(cloud *c, const json_t *site, login *l, json_t *body) {
  json_t *user = cloud_directory_user(c, l->tenant,
                                      json_string_value(json_object_get(body, "directory_email")),
                                      json_string_value(json_object_get(body, "directory_name")));
  if (user && cloud_row_int(user, "directory") != 1) {
    sr_log(SR_LOG_WARN, "panel",
           "tenant %s device %.64s: site %s (%s) vouched for user %s, who is not a directory user; "
           "refused",
           l->tenant, l->device, cloud_row_text(site, "id"), cloud_row_text(site, "name"),
           cloud_row_text(user, "id"));
    json_decref(user);
    user = NULL;
  }
  return user;
}

/* The user the credential proves, or NULL. */
static json_t *verify(cloud *c, const json_t *site, login *l, json_t *body) {
  if (l->card)
    return cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND card_hash = ?", "tt",
                        l->tenant, l->card);
  if (l->passcode)
    return cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND passcode_hash = ?", "tt",
                        l->tenant, l->passcode);
  if (l->verdict)
    return strcmp(l->verdict, "ok") == 0 ? directory_user(c, site, l, body) : NULL;
  json_t *user = cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND email = ?", "tt",
                              l->tenant, l->mail);
  /* a user without a PIN cannot log in with one */
  if (user && !same_hash(cloud_row_text(user, "pin_hash"), l->pin)) {
    json_decref(user);
    user = NULL;
  }
  return user;
}

/* The panel app whose credential came with the login, if it was enrolled
 * through this site for the login's device; NULL and the answer (401
 * panel_unknown, or 500) in resp. */
static json_t *present_panel(cloud *c, const json_t *site, login *l, sr_http_response *resp) {
  char hash[65];
  cloud_token_hash(l->panel_credential, hash);
  json_t *reader = cloud_db_row(c->db,
                                "SELECT id FROM readers WHERE tenant = ? AND credential_hash = ? "
                                "AND site = ? AND device = ?",
                                "tttt", l->tenant, hash, cloud_row_text(site, "id"), l->device);
  if (!reader && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the panel app");
  } else if (!reader) {
    sr_log(SR_LOG_WARN, "panel",
           "tenant %s device %.64s: a login through site %s came with a panel credential not "
           "enrolled there for this device; refused",
           l->tenant, l->device, cloud_row_text(site, "id"));
    sr_http_reply_error(resp, 401, "panel_unknown",
                        "this panel app is not enrolled for this printer (or was removed): "
                        "enroll it again (srctl reader add --device)");
  }
  return reader;
}

/* Whether the login was made at the printer as the tenant asks (its
 * release_codes); false with the answer in resp. Checked before the
 * credential: without presence a guess must not even be tried. */
static bool presence_ok(cloud *c, const json_t *site, login *l, sr_http_response *resp) {
  if (l->presence && strcmp(l->presence, "rotating") != 0 && strcmp(l->presence, "panel") != 0) {
    sr_http_reply_error(resp, 400, "invalid", "'presence' is rotating or panel");
    return false;
  }
  bool panel = l->presence && strcmp(l->presence, "panel") == 0;
  if (panel != !!l->panel_credential) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'panel_credential' comes with presence panel, and only with it");
    return false;
  }
  if (panel) {
    json_t *reader = present_panel(c, site, l, resp);
    json_decref(reader);
    return reader != NULL;
  }
  if (l->presence) /* rotating: the site checked the code with its key */
    return true;
  char codes[16];
  if (!cloud_release_codes(c, l->tenant, codes)) {
    cloud_api_db_error(resp, "reading the tenant's release_codes");
    return false;
  }
  if (strcmp(codes, "rotating") == 0) {
    sr_log(SR_LOG_INFO, "panel", "tenant %s device %.64s: %s login without presence refused",
           l->tenant, l->device, l->method);
    sr_http_reply_error(resp, 403, "presence_required",
                        "scan the code shown on the printer's screen to log in there");
    return false;
  }
  return true;
}

/* An unknown card: a token that lets the next login bind it. */
static void refuse_unknown_card(cloud *c, login *l, sr_http_response *resp) {
  char token[64], hash[65];
  cloud_new_token(token);
  cloud_token_hash(token, hash);
  if (cloud_db_run(c->db, "DELETE FROM card_bindings WHERE expires_at < ?", "i",
                   (int64_t)time(NULL)) < 0 ||
      cloud_db_run(c->db,
                   "INSERT INTO card_bindings(token_hash, tenant, card_hash, device, expires_at) "
                   "VALUES(?, ?, ?, ?, ?)",
                   "tttti", hash, l->tenant, l->card, l->device,
                   (int64_t)time(NULL) + CARD_BINDING_TTL) != 1) {
    /* a token that was never stored would bind nothing */
    cloud_api_db_error(resp, "storing the card's binding token");
    return;
  }
  sr_http_reply_json(
      resp, 401,
      json_pack("{s:{s:s, s:s, s:s, s:I}}", "error", "code", "card_unknown", "message",
                "this card is not registered: log in once another way to add it", "card_binding",
                token, "card_binding_expires_in", (json_int_t)CARD_BINDING_TTL));
  memset(token, 0, sizeof token);
}

/* After a successful login that presented binding token `token`: the card
 * is now this user's (if it is still nobody's). */
static bool bind_card(cloud *c, const char *tenant, const char *device, const char *token,
                      const json_t *user) {
  char hash[65];
  cloud_token_hash(token, hash);
  json_t *binding = cloud_db_row(c->db,
                                 "SELECT card_hash FROM card_bindings WHERE token_hash = ? AND "
                                 "tenant = ? AND device = ? AND expires_at > ?",
                                 "ttti", hash, tenant, device, (int64_t)time(NULL));
  bool bound = binding && cloud_db_run(c->db,
                                       "UPDATE users SET card_hash = ? WHERE tenant = ? AND id = ? "
                                       "AND NOT EXISTS (SELECT 1 FROM users WHERE tenant = ? AND "
                                       "card_hash = ?)",
                                       "ttttt", cloud_row_text(binding, "card_hash"), tenant,
                                       cloud_row_text(user, "id"), tenant,
                                       cloud_row_text(binding, "card_hash")) == 1;
  cloud_db_run(c->db, "DELETE FROM card_bindings WHERE token_hash = ?", "t", hash);
  if (bound)
    sr_log(SR_LOG_INFO, "panel", "tenant %s: a card was bound to user %s", tenant,
           cloud_row_text(user, "id"));
  json_decref(binding);
  return bound;
}

void cloud_panel_session_open(cloud *c, const json_t *site, const char *device, const json_t *user,
                              const char *method, const char *bind_token, bool may_bind,
                              sr_http_response *resp) {
  const char *tenant = cloud_row_text(site, "tenant");
  unsigned long db_errors = cloud_db_errors();
  bool bound = bind_token && may_bind && bind_card(c, tenant, device, bind_token, user);
  if (cloud_db_errors() != db_errors) {
    cloud_api_db_error(resp, "binding the card");
    return;
  }
  char token[64], hash[65];
  cloud_new_token(token);
  cloud_token_hash(token, hash);
  int64_t ttl = c->cfg.u.cloud.panel_session_ttl;
  if (cloud_db_run(c->db,
                   "INSERT INTO sessions(token_hash, tenant, user_id, device, site_scout, "
                   "expires_at) VALUES(?, ?, ?, ?, ?, ?)",
                   "ttttti", hash, tenant, cloud_row_text(user, "id"), device,
                   cloud_row_text(site, "id"), (int64_t)time(NULL) + ttl) != 1) {
    cloud_api_db_error(resp, "storing the session");
  } else {
    sr_log(SR_LOG_INFO, "panel", "tenant %s device %s: user %s logged in by %s", tenant, device,
           cloud_row_text(user, "id"), method);
    json_t *o = json_pack("{s:s, s:{s:s, s:s, s:s}, s:I}", "session", token, "user", "id",
                          cloud_row_text(user, "id"), "name", cloud_row_text(user, "name"), "email",
                          cloud_row_text(user, "email"), "expires_in", (json_int_t)ttl);
    if (bind_token)
      json_object_set_new(o, "card_bound", json_boolean(bound));
    sr_http_reply_json(resp, 201, o);
  }
  memset(token, 0, sizeof token);
}

void cloud_panel_login(cloud *c, const json_t *site, const sr_http_request *req,
                       sr_http_response *resp, const char *const *fields) {
  json_t *body = cloud_api_body(req, resp, fields);
  if (!body)
    return;
  /* OpenID Connect: the device and presence are checked here as for every
   * method, then panel_oidc.c redeems the code off the loop */
  bool oidc = cloud_panel_oidc_requested(body);
#define TEXT(key) json_string_value(json_object_get(body, key))
  login l = {.tenant = cloud_row_text(site, "tenant"),
             .device = TEXT("device"),
             .card = TEXT("card_hash"),
             .email = TEXT("email"),
             .pin = TEXT("pin_hash"),
             .passcode = TEXT("passcode_hash"),
             .username = TEXT("username"),
             .verdict = TEXT("directory_verdict"),
             .bind_card = TEXT("bind_card"),
             .presence = TEXT("presence"),
             .panel_credential = TEXT("panel_credential")};
#undef TEXT
  json_t *device = NULL, *user = NULL;
  char why[256];
  if (oidc)
    l.method = "OpenID Connect";
  if (!l.device || (!oidc && !read_method(&l, why, sizeof why))) {
    sr_http_reply_error(resp, 400, "invalid", "%s", l.device ? why : "send 'device'");
    goto out;
  }
  /* least privilege: a site vouches for directory users only if it was
   * enrolled to (srctl scout enroll --kind site --directory) */
  if (l.verdict && cloud_row_int(site, "directory") != 1) {
    sr_log(SR_LOG_WARN, "panel",
           "tenant %s device %.64s: site %s (%s) sent a directory verdict but is not enrolled for "
           "directory logins; refused",
           l.tenant, l.device, cloud_row_text(site, "id"), cloud_row_text(site, "name"));
    sr_http_reply_error(resp, 403, "forbidden",
                        "this site is not enrolled for directory logins (srctl scout enroll "
                        "--kind site --directory)");
    goto out;
  }
  device = cloud_db_row(c->db, "SELECT id FROM devices WHERE tenant = ? AND id = ?", "tt", l.tenant,
                        l.device);
  if (!device && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the device");
    goto out;
  }
  if (!device) {
    sr_http_reply_error(resp, 404, "unknown_device", "no device '%.64s' in this tenant", l.device);
    goto out;
  }
  if (!presence_ok(c, site, &l, resp))
    goto out;
  if (oidc) { /* answered later (panel_oidc.c) */
    cloud_panel_oidc_login(c, site, req, resp, body);
    goto out;
  }
  unsigned long db_errors = cloud_db_errors();
  if (!cloud_login_admit(c, l.tenant, l.identity, l.device, l.method, resp))
    goto out;
  user = verify(c, site, &l, body);
  if (!user && cloud_db_errors() != db_errors) { /* not a wrong credential: a failed read */
    cloud_api_db_error(resp, "checking the credential");
    goto out;
  }
  if (!user) {
    if (!cloud_login_failed(c, l.tenant, l.identity, l.device, l.method, resp))
      goto out;
    if (l.card)
      refuse_unknown_card(c, &l, resp);
    else
      sr_http_reply_error(resp, 401, "bad_credentials",
                          l.pin        ? "wrong email or PIN"
                          : l.passcode ? "wrong passcode"
                                       : "wrong username or password");
    goto out;
  }
  /* a success clears its own identity's count; the per-device passcode
   * count is shared by everyone, so one valid passcode must not reset it */
  if (!l.passcode && !clear_failures(c, l.tenant, l.identity, resp))
    goto out;
  /* a card login binds no card: the token stays unused (card_bound false) */
  cloud_panel_session_open(c, site, l.device, user, l.method, l.bind_card, !l.card, resp);
out:
  json_decref(user);
  json_decref(device);
  json_decref(body);
}

cloud_card_verdict cloud_card_user(cloud *c, const char *tenant, const char *device,
                                   const char *card_hash, json_t **user, sr_http_response *resp) {
  char identity[80];
  *user = NULL;
  snprintf(identity, sizeof identity, "card:%.64s", card_hash);
  if (!cloud_login_admit(c, tenant, identity, device, "card", resp))
    return CLOUD_CARD_ANSWERED;
  unsigned long db_errors = cloud_db_errors();
  json_t *row = cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND card_hash = ?", "tt",
                             tenant, card_hash);
  if (!row && cloud_db_errors() != db_errors) {
    cloud_api_db_error(resp, "checking the card");
    return CLOUD_CARD_ANSWERED;
  }
  if (!row)
    return cloud_login_failed(c, tenant, identity, device, "card", resp) ? CLOUD_CARD_UNKNOWN
                                                                         : CLOUD_CARD_ANSWERED;
  if (!clear_failures(c, tenant, identity, resp)) {
    json_decref(row);
    return CLOUD_CARD_ANSWERED;
  }
  *user = row;
  return CLOUD_CARD_KNOWN;
}
