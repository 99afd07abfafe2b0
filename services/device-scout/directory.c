/* Directory (AD/LDAP) logins at the panel: the password is checked here,
 * by the identity providers, and never leaves the site. */
#include <stdio.h>
#include <string.h>

#include "idp_chain.h"
#include "log.h"
#include "panel.h"

bool panel_directory_login(panel *p, const char *device, const char *username, const char *password,
                           json_t *out, sr_http_response *resp) {
  sr_credential cred = {.struct_size = sizeof cred,
                        .type = SR_CRED_PASSWORD,
                        .tenant = p->tenant,
                        .device = device,
                        .identifier = username,
                        .secret = password};
  sr_identity who;
  char err[512];
  int rc = sr_idp_authenticate(p->idps, p->n_idps, &cred, &who, err, sizeof err);
  json_object_set_new(out, "username", json_string(username));
  if (rc == SR_OK && who.email) {
    json_object_set_new(out, "directory_verdict", json_string("ok"));
    json_object_set_new(out, "directory_email", json_string(who.email));
    if (who.name)
      json_object_set_new(out, "directory_name", json_string(who.name));
    sr_identity_clear(&who);
    return true;
  }
  if (rc == SR_OK) { /* vouched, but the cloud knows users by email */
    sr_log(SR_LOG_WARN, "panel", "directory entry of '%.64s' has no email address", username);
    sr_identity_clear(&who);
    sr_http_reply_error(resp, 403, "no_email", "your directory entry has no email address");
    return false;
  }
  if (rc == SR_ERR_AUTH) { /* the cloud counts it towards the lockout */
    sr_log(SR_LOG_INFO, "panel", "device %.64s: directory refused '%.64s'", device, username);
    json_object_set_new(out, "directory_verdict", json_string("refused"));
    return true;
  }
  if (rc == SR_ERR_DEFER) {
    sr_http_reply_error(resp, 400, "unsupported", "username and password login is not set up here");
    return false;
  }
  sr_log(SR_LOG_ERROR, "panel", "directory login: %s", err);
  sr_http_reply_error(resp, 502, "directory_unreachable", "the directory cannot be reached");
  return false;
}
