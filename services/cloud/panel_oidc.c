/*
 * Logging in at a printer's browser (the release page, the panel app) with
 * OpenID Connect: authorization code with PKCE (RFC 7636). The browser
 * asks the provider for a code (GET /site/panel/oidc tells it where and as
 * which client), and posts the code with its verifier, redirect URI and
 * nonce through the site service. Here the identity providers redeem the
 * code (the provider checks the verifier, the redirect URI, that the code
 * is this client's and unused) and check the ID token and its nonce.
 *
 * Redeeming blocks (the provider's token endpoint), so it runs on the
 * worker pool and the login is answered when it is done.
 *
 * Failures are not counted towards the lockout: a code is single-use and
 * bound to the browser's verifier, so there is nothing to guess here, and
 * counting would let anyone lock a printer's OpenID logins. The identity
 * proven must be a user the tenant already has (by OIDC subject, or by
 * email for a user the subject is not yet recorded for): the provider is
 * the cloud's, shared by its tenants, so a login never adds users.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "idp_chain.h"
#include "log.h"

#define INFO_TTL 300  /* seconds the provider's authorization details are reused */
#define TEXT_MAX 2048 /* longest code or redirect URI taken */

/* What the release page needs to start an authorization; only the loop's
 * thread reads and writes it. */
static struct {
  char *endpoint, *client_id, *scope;
  time_t at;        /* when it was learnt; 0: never */
  bool unsupported; /* the providers said they are not set up for it */
} info;

static bool can_authorize(const sr_instance *idp) {
  return sr_instance_ops_of(idp)->idp.authorization_info != NULL;
}

static bool any_can_authorize(const cloud *c) {
  for (size_t i = 0; i < c->n_idps; i++)
    if (can_authorize(c->idps[i]))
      return true;
  return false;
}

bool cloud_panel_oidc_offered(const cloud *c) { return any_can_authorize(c) && !info.unsupported; }

bool cloud_oidc_authorization(cloud *c, const char **endpoint, const char **scope) {
  if (!info.at || time(NULL) - info.at >= INFO_TTL)
    cloud_panel_oidc_probe(c); /* for the next sign-in */
  *endpoint = info.endpoint;
  *scope = info.scope;
  return info.endpoint != NULL;
}

/* ---- GET /api/v1/site/panel/oidc ---- */

/* One look-up of the providers' authorization details, on the pool. */
typedef struct info_step {
  cloud *c;
  sr_http_exchange *x; /* NULL: the start-up probe, nobody to answer */
  int status;
  char why[512];
  sr_authorization found;
} info_step;

static void info_work(void *arg) {
  info_step *s = arg;
  s->status = SR_ERR_UNSUPPORTED;
  for (size_t i = 0; i < s->c->n_idps && s->status == SR_ERR_UNSUPPORTED; i++) {
    sr_instance *idp = s->c->idps[i];
    if (!can_authorize(idp))
      continue;
    memset(&s->found, 0, sizeof s->found);
    s->found.struct_size = sizeof s->found;
    sr_instance_call_begin(idp);
    s->status = sr_instance_ops_of(idp)->idp.authorization_info(idp->state, &s->found);
    sr_instance_call_end(idp);
    if (s->status == SR_ERR_DEFER)
      s->status = SR_ERR_UNSUPPORTED;
    if (s->status != SR_OK && s->status != SR_ERR_UNSUPPORTED) {
      const char *why = sr_plugin_last_error(idp->plugin);
      snprintf(s->why, sizeof s->why, "%s: %s", idp->name, *why ? why : sr_status_name(s->status));
    }
  }
}

static void authorization_clear(sr_authorization *a) {
  free(a->authorization_endpoint);
  free(a->client_id);
  free(a->scope);
  memset(a, 0, sizeof *a);
}

static void reply_info(sr_http_response *resp) {
  sr_http_reply_json(resp, 200,
                     json_pack("{s:s, s:s, s:s}", "authorization_endpoint", info.endpoint,
                               "client_id", info.client_id, "scope", info.scope));
}

static void reply_not_configured(sr_http_response *resp) {
  sr_http_reply_error(resp, 404, "oidc_not_configured",
                      "logins with OpenID Connect are not set up for printers");
}

/* On the loop: keep what was learnt, answer if someone asked. */
static void info_done(void *arg) {
  info_step *s = arg;
  sr_http_response resp = {0};
  bool complete =
      s->status == SR_OK && s->found.authorization_endpoint && s->found.client_id && s->found.scope;
  if (complete) {
    free(info.endpoint);
    free(info.client_id);
    free(info.scope);
    info.endpoint = s->found.authorization_endpoint;
    info.client_id = s->found.client_id;
    info.scope = s->found.scope;
    memset(&s->found, 0, sizeof s->found); /* now info's */
    info.at = time(NULL);
    info.unsupported = false;
    reply_info(&resp);
  } else if (s->status == SR_ERR_UNSUPPORTED) {
    info.unsupported = true;
    reply_not_configured(&resp);
  } else {
    if (s->status == SR_OK)
      snprintf(s->why, sizeof s->why, "an identity provider gave incomplete authorization details");
    sr_log(SR_LOG_WARN, "panel", "OpenID Connect for printers: %s", s->why);
    sr_http_reply_error(&resp, 502, "idp_unreachable",
                        "the sign-in provider cannot be reached; try again or log in another way");
  }
  if (s->x)
    sr_http_finish(s->x, &resp);
  else
    free(resp.body);
  authorization_clear(&s->found);
  free(s);
}

static int info_start(cloud *c, sr_http_exchange *x) {
  info_step *s = calloc(1, sizeof *s);
  if (!s)
    return SR_ERR_NOMEM;
  s->c = c;
  s->x = x;
  int status = sr_worker_pool_submit(c->pool, info_work, info_done, s);
  if (status != SR_OK)
    free(s);
  return status;
}

void cloud_panel_oidc_probe(cloud *c) {
  if (any_can_authorize(c) && info_start(c, NULL) != SR_OK)
    sr_log(SR_LOG_WARN, "panel", "cannot ask the identity providers about browser logins yet");
}

void cloud_site_panel_oidc(cloud_call *k) {
  if (!any_can_authorize(k->c)) {
    reply_not_configured(k->resp);
    return;
  }
  if (info.at && time(NULL) - info.at < INFO_TTL) {
    reply_info(k->resp);
    return;
  }
  sr_http_exchange *x = sr_http_defer(k->req);
  if (!x) {
    sr_http_reply_error(k->resp, 500, "no_memory", "out of memory");
  } else if (info_start(k->c, x) != SR_OK) {
    sr_http_response busy = {.retry_after = 1};
    sr_http_reply_error(&busy, 503, "busy", "too many sign-ins at once; try again");
    sr_http_finish(x, &busy);
  }
}

/* ---- the login ---- */

static const char *const oidc_fields[] = {"oidc_code", "code_verifier", "redirect_uri", "nonce",
                                          NULL};

bool cloud_panel_oidc_requested(const json_t *body) {
  for (size_t i = 0; oidc_fields[i]; i++)
    if (json_object_get(body, oidc_fields[i]))
      return true;
  return false;
}

/* One login's redeeming, on the pool. Made and freed on the loop; the
 * worker writes only `status`, `why` and `who`. */
typedef struct login_step {
  cloud *c;
  sr_http_exchange *x;
  json_t *site;    /* the site's scout row (a reference of our own; the loop's) */
  char tenant[64]; /* the site's tenant, for the worker */
  char *device, *code, *verifier, *redirect_uri, *nonce, *bind_card;
  int status;
  char why[512];
  sr_identity who;
} login_step;

static void login_step_free(login_step *s) {
  if (s->code)
    OPENSSL_cleanse(s->code, strlen(s->code));
  if (s->verifier)
    OPENSSL_cleanse(s->verifier, strlen(s->verifier));
  free(s->device);
  free(s->code);
  free(s->verifier);
  free(s->redirect_uri);
  free(s->nonce);
  free(s->bind_card);
  json_decref(s->site);
  sr_identity_clear(&s->who);
  free(s);
}

static void login_work(void *arg) {
  login_step *s = arg;
  sr_credential cred = {.struct_size = sizeof cred,
                        .type = SR_CRED_AUTHORIZATION_CODE,
                        .tenant = s->tenant,
                        .device = s->device,
                        .secret = s->code,
                        .code_verifier = s->verifier,
                        .redirect_uri = s->redirect_uri,
                        .nonce = s->nonce};
  s->status = sr_idp_authenticate(s->c->idps, s->c->n_idps, &cred, &s->who, s->why, sizeof s->why);
}

/* The tenant's user the identity is: by subject, else by email when the
 * user has no subject yet (it is recorded then) or this one. NULL if the
 * tenant has no such user (or the database failed: cloud_db_errors). */
static json_t *known_user(cloud *c, const char *tenant, const sr_identity *who) {
  json_t *user = cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND subject = ?", "tt",
                              tenant, who->subject);
  char mail[SR_ID_MAX];
  if (user || !who->email || sr_email_normalise(who->email, mail, sizeof mail) != 0)
    return user;
  user =
      cloud_db_row(c->db, "SELECT * FROM users WHERE tenant = ? AND email = ?", "tt", tenant, mail);
  const char *subject = cloud_row_text(user, "subject");
  if (user && *subject && strcmp(subject, who->subject) != 0) {
    /* the address now belongs to another account at the provider */
    json_decref(user);
    return NULL;
  }
  if (user && !*subject)
    cloud_db_run(c->db, "UPDATE users SET subject = ? WHERE tenant = ? AND id = ?", "ttt",
                 who->subject, tenant, cloud_row_text(user, "id"));
  return user;
}

/* On the loop: the proven identity, if the tenant knows it, logs in. */
static void login_done(void *arg) {
  login_step *s = arg;
  sr_http_response resp = {0};
  const char *tenant = cloud_row_text(s->site, "tenant");
  if (s->status == SR_OK && s->who.subject) {
    unsigned long db_errors = cloud_db_errors();
    json_t *user = known_user(s->c, tenant, &s->who);
    if (cloud_db_errors() != db_errors) {
      cloud_api_db_error(&resp, "looking up the user");
    } else if (!user) {
      sr_log(SR_LOG_WARN, "panel",
             "tenant %s device %.64s: OpenID login of %.200s (%.200s), who is not a user here",
             tenant, s->device, s->who.subject, s->who.email ? s->who.email : "no email");
      sr_http_reply_error(&resp, 401, "bad_credentials",
                          "this account has no print jobs here: sign in with the account you "
                          "print with, or log in another way");
    } else {
      cloud_panel_session_open(s->c, s->site, s->device, user, "OpenID Connect", s->bind_card, true,
                               &resp);
    }
    json_decref(user);
  } else if (s->status == SR_OK || s->status == SR_ERR_AUTH) {
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %.64s: OpenID login refused: %s", tenant,
           s->device, s->status == SR_OK ? "the provider named no subject" : s->why);
    sr_http_reply_error(&resp, 401, "bad_credentials", "the sign-in was refused; sign in again");
  } else if (s->status == SR_ERR_DEFER) {
    sr_http_reply_error(&resp, 400, "unsupported",
                        "logins with OpenID Connect are not set up for printers");
  } else {
    sr_log(SR_LOG_WARN, "panel", "tenant %s device %.64s: OpenID login: %s", tenant, s->device,
           s->why);
    sr_http_reply_error(&resp, 502, "idp_unreachable",
                        "the sign-in provider cannot be reached; try again or log in another way");
  }
  sr_http_finish(s->x, &resp);
  login_step_free(s);
}

/* RFC 7636 4.1: 43 to 128 characters of [A-Za-z0-9-._~]. */
static bool verifier_ok(const char *v) {
  size_t n = strlen(v);
  return n >= 43 && n <= 128 &&
         strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") == n;
}

static char *copy(const char *s) { return s ? strdup(s) : NULL; }

void cloud_panel_oidc_login(cloud *c, const json_t *site, const sr_http_request *req,
                            sr_http_response *resp, json_t *body) {
#define TEXT(key) json_string_value(json_object_get(body, key))
  const char *device = TEXT("device"), *code = TEXT("oidc_code"), *verifier = TEXT("code_verifier");
  const char *redirect_uri = TEXT("redirect_uri"), *nonce = TEXT("nonce");
  const char *bind_card = TEXT("bind_card");
#undef TEXT
  /* directory_email and directory_name are ignored, as with every method */
  static const char *const other_methods[] = {
      "card_hash", "email", "pin_hash", "passcode_hash", "username", "directory_verdict", NULL};
  for (size_t i = 0; other_methods[i]; i++)
    if (json_object_get(body, other_methods[i])) {
      sr_http_reply_error(resp, 400, "invalid",
                          "an OpenID Connect login sends 'device', 'oidc_code', 'code_verifier', "
                          "'redirect_uri' and 'nonce' (and 'bind_card'), nothing of another "
                          "method");
      return;
    }
  if (!device || !code || !verifier || !redirect_uri || !nonce) {
    sr_http_reply_error(resp, 400, "invalid",
                        "an OpenID Connect login sends 'device', 'oidc_code', 'code_verifier', "
                        "'redirect_uri' and 'nonce' together, as text");
    return;
  }
  if (!*code || strlen(code) > TEXT_MAX || !verifier_ok(verifier) || !*nonce ||
      strlen(nonce) > 255 || strncmp(redirect_uri, "https://", 8) != 0 ||
      strlen(redirect_uri) > TEXT_MAX) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'code_verifier' is 43-128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636), "
                        "'redirect_uri' an https:// URL, 'oidc_code' and 'nonce' not empty");
    return;
  }
  const char *tenant = cloud_row_text(site, "tenant");
  json_t *row = cloud_db_row(c->db, "SELECT id FROM devices WHERE tenant = ? AND id = ?", "tt",
                             tenant, device);
  if (!row && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the device");
    return;
  }
  json_decref(row);
  if (!row) {
    sr_http_reply_error(resp, 404, "unknown_device", "no device '%.64s' in this tenant", device);
    return;
  }
  if (!any_can_authorize(c)) {
    sr_http_reply_error(resp, 400, "unsupported",
                        "logins with OpenID Connect are not set up for printers");
    return;
  }
  login_step *s = calloc(1, sizeof *s);
  if (!s || !(s->device = copy(device)) || !(s->code = copy(code)) ||
      !(s->verifier = copy(verifier)) || !(s->redirect_uri = copy(redirect_uri)) ||
      !(s->nonce = copy(nonce)) || (bind_card && !(s->bind_card = copy(bind_card))) ||
      !(s->x = sr_http_defer(req))) {
    if (s)
      login_step_free(s);
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  s->c = c;
  s->site = json_incref((json_t *)site);
  snprintf(s->tenant, sizeof s->tenant, "%s", tenant);
  s->who.struct_size = sizeof s->who;
  if (sr_worker_pool_submit(c->pool, login_work, login_done, s) != SR_OK) {
    sr_http_response busy = {.retry_after = 1};
    sr_http_reply_error(&busy, 503, "busy", "too many sign-ins at once; try again");
    sr_http_finish(s->x, &busy);
    login_step_free(s);
  }
}
