/* Directory (AD/LDAP) logins at the panel: the password is checked here,
 * by the identity providers, and never leaves the site. The check binds to
 * the directory (up to the provider's timeout, 60 s at most), so it runs on
 * the worker pool: the panel loop keeps serving other panels meanwhile, and
 * this request is answered when the check is done.
 *
 * The cloud refuses a login without presence (docs/security.md, "Release
 * codes") before it tries the credential, but a directory password is tried
 * here, before the cloud sees the login: without a question first, anyone
 * who can reach the site could make the directory count guesses towards its
 * own lockout. So a login without presence first asks whether the device's
 * tenant takes such logins, and one with the panel app's credential whether
 * that credential is this site's panel app at the login's device (a rotating
 * code was checked here already). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idp_chain.h"
#include "log.h"
#include "panel.h"

/* One login in flight. Made and freed on the loop's thread; between submit
 * and done only the worker touches `cred` and the result (the loop does not
 * look), and the worker never touches `x` or `out` (jansson's reference
 * counts are not thread-safe). */
typedef struct directory_login {
  panel *p;
  sr_http_exchange *x;                /* answered in directory_checked */
  json_t *out;                        /* the cloud request, owned here */
  char *device, *username, *password; /* copies; the password is wiped */
  int rc;                             /* result: sr_idp_authenticate's */
  sr_identity who;
  char err[512];
} directory_login;

static void login_free(directory_login *l) {
  if (l->password) {
    explicit_bzero(l->password, strlen(l->password));
    free(l->password);
  }
  free(l->device);
  free(l->username);
  sr_identity_clear(&l->who);
  json_decref(l->out);
  free(l);
}

/* On a worker thread: ask the providers (may block for the bind). */
static void check_directory(void *arg) {
  directory_login *l = arg;
  sr_credential cred = {.struct_size = sizeof cred,
                        .type = SR_CRED_PASSWORD,
                        .tenant = l->p->tenant,
                        .device = l->device,
                        .identifier = l->username,
                        .secret = l->password};
  l->rc = sr_idp_authenticate(l->p->idps, l->p->n_idps, &cred, &l->who, l->err, sizeof l->err);
  explicit_bzero(l->password, strlen(l->password)); /* not needed past the bind */
}

/* Adds the verdict to the cloud request; false with the answer in resp if
 * no provider could decide. */
static bool add_verdict(directory_login *l, sr_http_response *resp) {
  json_object_set_new(l->out, "username", json_string(l->username));
  if (l->rc == SR_OK && l->who.email) {
    json_object_set_new(l->out, "directory_verdict", json_string("ok"));
    json_object_set_new(l->out, "directory_email", json_string(l->who.email));
    if (l->who.name)
      json_object_set_new(l->out, "directory_name", json_string(l->who.name));
    return true;
  }
  if (l->rc == SR_OK) { /* vouched, but the cloud knows users by email */
    sr_log(SR_LOG_WARN, "panel", "directory entry of '%.64s' has no email address", l->username);
    sr_http_reply_error(resp, 403, "no_email", "your directory entry has no email address");
    return false;
  }
  if (l->rc == SR_ERR_AUTH) { /* the cloud counts it towards the lockout */
    sr_log(SR_LOG_INFO, "panel", "device %.64s: directory refused '%.64s'", l->device, l->username);
    json_object_set_new(l->out, "directory_verdict", json_string("refused"));
    return true;
  }
  if (l->rc == SR_ERR_DEFER) {
    sr_http_reply_error(resp, 400, "unsupported", "username and password login is not set up here");
    return false;
  }
  sr_log(SR_LOG_ERROR, "panel", "directory login: %s", l->err);
  if (l->rc == SR_ERR_TIMEOUT)
    sr_http_reply_error(resp, 504, "directory_timeout", "the directory did not answer in time");
  else
    sr_http_reply_error(resp, 502, "directory_unreachable", "the directory cannot be reached");
  return false;
}

/* On the loop's thread: the verdict goes to the cloud, or the answer to
 * the panel now. */
static void directory_checked(void *arg) {
  directory_login *l = arg;
  sr_http_response resp = {0};
  if (add_verdict(l, &resp))
    panel_forward(l->p, l->x, "POST", "/api/v1/site/panel/sessions", l->out, NULL);
  else
    sr_http_finish(l->x, &resp);
  login_free(l);
}

/* On the loop: the bind goes to the worker pool, or `busy` is answered. */
static void submit_check(directory_login *l) {
  if (sr_worker_pool_submit(l->p->pool, check_directory, directory_checked, l) != SR_OK) {
    sr_http_response busy = {.retry_after = 1};
    sr_http_reply_error(&busy, 503, "busy", "too many directory logins at once; try again");
    sr_http_finish(l->x, &busy);
    login_free(l);
  }
}

/* The cloud's device info (GET /site/panel/devices/{id}) for a login
 * without presence: its tenant's release_codes decides whether the
 * directory is asked at all. */
static void policy_known(void *ctx, int status, json_t *reply, const char *err) {
  directory_login *l = ctx;
  const char *codes = json_string_value(json_object_get(reply, "release_codes"));
  if (status == 200 && codes && strcmp(codes, "rotating") != 0) {
    json_decref(reply);
    submit_check(l);
    return;
  }
  sr_http_response resp = {0};
  if (status == 200) { /* the cloud's own answer to such a login, before it tries one */
    json_decref(reply);
    sr_log(SR_LOG_INFO, "panel", "device %.64s: directory login without presence refused",
           l->device);
    sr_http_reply_error(&resp, 403, "presence_required",
                        "scan the code shown on the printer's screen to log in there");
  } else { /* 404 unknown_device, the cloud unreachable */
    panel_answer_from_cloud(&resp, status, reply, err);
  }
  sr_http_finish(l->x, &resp);
  login_free(l);
}

static void panel_unknown(sr_http_response *resp) {
  sr_http_reply_error(resp, 401, "panel_unknown",
                      "this panel app is not enrolled for this printer (or was removed): enroll "
                      "it again (srctl reader add --device)");
}

/* The cloud's GET /site/panel/kiosk for the login's panel credential: the
 * device it is bound to through this site. */
static void panel_known(void *ctx, int status, json_t *reply, const char *err) {
  directory_login *l = ctx;
  const char *device = json_string_value(json_object_get(reply, "device"));
  const char *code = json_string_value(json_object_get(json_object_get(reply, "error"), "code"));
  bool bound = status == 200 && device && strcmp(device, l->device) == 0;
  /* static labels only: the login needs no presence, the cloud checks the
   * credential all the same */
  bool static_only = status == 409 && code && strcmp(code, "rotating_disabled") == 0;
  if (bound || static_only) {
    json_decref(reply);
    submit_check(l);
    return;
  }
  sr_http_response resp = {0};
  if (status == 200 || status == 401) {
    json_decref(reply);
    sr_log(SR_LOG_WARN, "panel",
           "device %.64s: a directory login came with a panel credential not enrolled here for "
           "this device; refused",
           l->device);
    panel_unknown(&resp);
  } else { /* the cloud unreachable, the panel's device removed */
    panel_answer_from_cloud(&resp, status, reply, err);
  }
  sr_http_finish(l->x, &resp);
  login_free(l);
}

static void ask_panel(directory_login *l, const char *credential) {
  if (sr_cloud_call_async(l->p->cloud, "GET", "/api/v1/site/panel/kiosk", NULL, credential,
                          panel_known, l) != SR_OK) {
    sr_http_response resp = {0};
    sr_http_reply_error(&resp, 500, "no_memory", "cannot start the call to the cloud");
    sr_http_finish(l->x, &resp);
    login_free(l);
  }
}

static void ask_policy(directory_login *l) {
  char path[300];
  /* the device comes from the body: only an id the routes could name */
  if (!*l->device || strlen(l->device) > 128 ||
      strspn(l->device, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
          strlen(l->device)) {
    sr_http_response resp = {0};
    sr_http_reply_error(&resp, 404, "unknown_device", "no device '%.64s' here", l->device);
    sr_http_finish(l->x, &resp);
    login_free(l);
    return;
  }
  snprintf(path, sizeof path, "/api/v1/site/panel/devices/%s", l->device);
  if (sr_cloud_call_async(l->p->cloud, "GET", path, NULL, NULL, policy_known, l) != SR_OK) {
    sr_http_response resp = {0};
    sr_http_reply_error(&resp, 500, "no_memory", "cannot start the call to the cloud");
    sr_http_finish(l->x, &resp);
    login_free(l);
  }
}

void panel_directory_login(panel *p, const sr_http_request *req, const char *device,
                           const char *username, const char *password, json_t *out,
                           sr_http_response *resp) {
  directory_login *l = calloc(1, sizeof *l);
  if (l) {
    l->p = p;
    l->out = json_incref(out);
    l->device = strdup(device);
    l->username = strdup(username);
    l->password = strdup(password);
  }
  if (!l || !l->device || !l->username || !l->password || !(l->x = sr_http_defer(req))) {
    if (l)
      login_free(l);
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  const char *credential = json_string_value(json_object_get(out, "panel_credential"));
  if (credential)
    ask_panel(l, credential);
  else if (json_object_get(out, "presence")) /* a rotating code, checked here */
    submit_check(l);
  else
    ask_policy(l);
}
