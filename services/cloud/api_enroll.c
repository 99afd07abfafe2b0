/*
 * Enrollment: a scout proves it holds a one-time token an administrator
 * made (srctl scout add) and sends a CSR for a key pair it generated
 * itself; the cloud signs it with the tenant's CA and chooses the CN (the
 * scout's id). The private key never leaves the scout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"
#include "sr/abi.h"
#include "x509_issue.h"

void cloud_api_enroll(cloud_call *k) {
  cloud *c = k->c;
  sr_http_response *resp = k->resp;
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  const char *token = json_string_value(json_object_get(body, "token"));
  const char *csr = json_string_value(json_object_get(body, "csr"));
  json_t *scout = NULL, *tenant = NULL;
  char *leaf = NULL, *chain = NULL, *ca_key = NULL, err[512];
  if (!token || !csr) {
    sr_http_reply_error(resp, 400, "invalid", "send 'token' and 'csr' (PEM)");
    goto out;
  }
  char hash[65];
  cloud_token_hash(token, hash);
  scout = cloud_db_row(c->db,
                       "SELECT * FROM scouts WHERE enroll_hash = ? AND enroll_expires > ? AND "
                       "enrolled_at IS NULL",
                       "ti", hash, (int64_t)time(NULL));
  if (!scout && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the enrollment token");
    goto out;
  }
  if (!scout) {
    sr_http_reply_error(resp, 401, "bad_token",
                        "the enrollment token is unknown, used or expired; ask for a new one");
    goto out;
  }
  tenant = cloud_db_row(c->db, "SELECT ca_cert, ca_key FROM tenants WHERE id = ?", "t",
                        cloud_row_text(scout, "tenant"));
  if (!tenant && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "reading the tenant's CA");
    goto out;
  }
  if (!*cloud_row_text(tenant, "ca_cert")) {
    sr_http_reply_error(resp, 503, "no_ca", "this cloud has no enrollment CA configured");
    goto out;
  }
  char purpose[96];
  cloud_tenant_key_purpose(cloud_row_text(scout, "tenant"), purpose);
  ca_key = cloud_secret_open(c, purpose, cloud_row_text(tenant, "ca_key"));
  if (!ca_key) {
    sr_log(SR_LOG_ERROR, "enroll", "tenant %s: its CA key does not open with the master key",
           cloud_row_text(scout, "tenant"));
    sr_http_reply_error(resp, 500, "sealed",
                        "the tenant's CA key could not be unsealed (wrong master key?)");
    goto out;
  }
  int status =
      sr_x509_sign_scout_csr(cloud_row_text(tenant, "ca_cert"), ca_key, csr,
                             cloud_row_text(scout, "tenant"), cloud_row_text(scout, "id"),
                             (int)c->cfg.u.cloud.enrollment.cert_days, &leaf, err, sizeof err);
  if (status != SR_OK) {
    sr_http_reply_error(resp, 400, "bad_csr", "%s", err);
    goto out;
  }
  if (sr_x509_chain_pem(leaf, cloud_row_text(tenant, "ca_cert"), &chain) != SR_OK) {
    sr_http_reply_error(resp, 500, "internal", "the certificate chain could not be written");
    goto out;
  }
  int n = cloud_db_run(c->db,
                       "UPDATE scouts SET enrolled_at = ?, enroll_hash = NULL WHERE id = ? AND "
                       "enroll_hash = ?",
                       "itt", (int64_t)time(NULL), cloud_row_text(scout, "id"), hash);
  if (n < 0) {
    cloud_api_db_error(resp, "recording the enrollment");
    goto out;
  }
  if (n != 1) {
    sr_http_reply_error(resp, 409, "bad_token", "the token was used meanwhile");
    goto out;
  }
  sr_log(SR_LOG_INFO, "enroll", "tenant %s: scout %s enrolled", cloud_row_text(scout, "tenant"),
         cloud_row_text(scout, "id"));
  sr_http_reply_json(resp, 201,
                     json_pack("{s:s, s:s, s:s, s:s, s:s}", "scout", cloud_row_text(scout, "id"),
                               "tenant", cloud_row_text(scout, "tenant"), "kind",
                               cloud_row_text(scout, "kind"), "certificate", chain, "ca",
                               c->enroll_ca_cert));
out:
  cloud_secret_free(ca_key);
  free(chain);
  free(leaf);
  json_decref(tenant);
  json_decref(scout);
  json_decref(body);
}
