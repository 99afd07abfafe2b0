#include "idp_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void sr_identity_clear(sr_identity *id) {
  free(id->subject);
  free(id->name);
  free(id->email);
  for (size_t i = 0; id->groups && i < id->n_groups; i++)
    free(id->groups[i]);
  free(id->groups);
  memset(id, 0, sizeof *id);
}

int sr_idp_authenticate(sr_instance *const *idps, size_t n, const sr_credential *cred,
                        sr_identity *out, char *err, size_t err_size) {
  snprintf(err, err_size, "no identity provider handles this kind of login");
  for (size_t i = 0; i < n; i++) {
    const sr_idp_ops *ops = &sr_instance_ops_of(idps[i])->idp;
    if (!ops->authenticate)
      continue;
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    sr_instance_call_begin(idps[i]);
    int rc = ops->authenticate(idps[i]->state, cred, out);
    sr_instance_call_end(idps[i]);
    if (rc == SR_ERR_DEFER) {
      sr_identity_clear(out);
      continue;
    }
    if (rc != SR_OK) {
      const char *why = sr_plugin_last_error(idps[i]->plugin);
      snprintf(err, err_size, "%s: %s", idps[i]->name, *why ? why : sr_status_name(rc));
      sr_identity_clear(out);
      return rc == SR_ERR_AUTH ? SR_ERR_AUTH : rc == SR_ERR_CONNECT ? SR_ERR_CONNECT : rc;
    }
    return SR_OK;
  }
  return SR_ERR_DEFER;
}

int sr_idp_lookup(sr_instance *const *idps, size_t n, const char *username, sr_identity *out,
                  char *err, size_t err_size) {
  int result = SR_ERR_NOT_FOUND;
  snprintf(err, err_size, "no identity provider knows '%.64s'", username);
  for (size_t i = 0; i < n; i++) {
    const sr_idp_ops *ops = &sr_instance_ops_of(idps[i])->idp;
    if (!ops->lookup_user)
      continue;
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    sr_instance_call_begin(idps[i]);
    int rc = ops->lookup_user(idps[i]->state, username, out);
    sr_instance_call_end(idps[i]);
    if (rc == SR_OK)
      return SR_OK;
    sr_identity_clear(out);
    if (rc == SR_ERR_CONNECT) { /* remember, but another provider may know */
      const char *why = sr_plugin_last_error(idps[i]->plugin);
      snprintf(err, err_size, "%s: %s", idps[i]->name, *why ? why : "unreachable");
      result = SR_ERR_CONNECT;
    }
  }
  return result;
}
