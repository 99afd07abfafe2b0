/* Directory (AD/LDAP) logins at the panel: the password is checked here,
 * by the identity providers, and never leaves the site. The check binds to
 * the directory (up to the provider's timeout, 60 s at most), so it runs on
 * the worker pool: the panel loop keeps serving other panels meanwhile, and
 * this request is answered when the check is done. */
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
  if (sr_worker_pool_submit(p->pool, check_directory, directory_checked, l) != SR_OK) {
    sr_http_response busy = {.retry_after = 1};
    sr_http_reply_error(&busy, 503, "busy", "too many directory logins at once; try again");
    sr_http_finish(l->x, &busy);
    login_free(l);
  }
}
