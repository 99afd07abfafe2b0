/* Who is calling: tenant administrators and the operator by bearer token,
 * scouts by their verified client certificate. Tokens are kept only as
 * SHA-256 hashes: a copy of the database lets no one in. */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"
#include "sr/abi.h"
#include "x509_issue.h"

void cloud_random_hex(char *out, size_t bytes) {
  unsigned char raw[64];
  if (bytes > sizeof raw)
    bytes = sizeof raw;
  if (RAND_bytes(raw, (int)bytes) != 1)
    abort(); /* no randomness: nothing safe can be issued */
  for (size_t i = 0; i < bytes; i++)
    sprintf(out + 2 * i, "%02x", raw[i]);
  out[2 * bytes] = '\0';
}

void cloud_new_token(char out[64]) {
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1)
    abort();
  char b64[64];
  int n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof raw);
  int j = 0;
  for (int i = 0; i < n && b64[i] != '='; i++)
    out[j++] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
  out[j] = '\0';
}

void cloud_token_hash(const char *token, char out[65]) {
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_Digest(token, strlen(token), digest, &len, EVP_sha256(), NULL);
  for (unsigned i = 0; i < 32; i++)
    sprintf(out + 2 * i, "%02x", digest[i]);
  out[64] = '\0';
}

bool cloud_auth_operator(cloud *c, const sr_http_request *req) {
  if (!req->bearer || !c->operator_token_hash[0])
    return false;
  char hash[65];
  cloud_token_hash(req->bearer, hash);
  return CRYPTO_memcmp(hash, c->operator_token_hash, 64) == 0;
}

bool cloud_auth_admin(cloud *c, const sr_http_request *req, sr_http_response *resp,
                      char tenant[64]) {
  if (!req->bearer) {
    sr_http_reply_error(resp, 401, "unauthenticated", "send an administrator's bearer token");
    return false;
  }
  char hash[65];
  cloud_token_hash(req->bearer, hash);
  json_t *row =
      cloud_db_row(c->db, "SELECT tenant FROM admin_tokens WHERE token_hash = ?", "t", hash);
  if (!row && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "checking the token");
    return false;
  }
  if (!row) {
    sr_http_reply_error(resp, 401, "unauthenticated", "the token is not valid");
    return false;
  }
  snprintf(tenant, 64, "%s", cloud_row_text(row, "tenant"));
  json_decref(row);
  return true;
}

json_t *cloud_auth_scout(cloud *c, const sr_http_request *req, sr_http_response *resp,
                         const char *kind) {
  if (!req->peer_cn) {
    sr_http_reply_error(resp, 401, "unauthenticated",
                        "this call needs the scout's client certificate");
    return NULL;
  }
  json_t *row = cloud_db_row(c->db, "SELECT * FROM scouts WHERE id = ?", "t", req->peer_cn);
  if (!row && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the scout");
    return NULL;
  }
  if (!row) {
    sr_http_reply_error(resp, 403, "forbidden",
                        "scout '%s' is not enrolled in this cloud (removed?); enroll it again "
                        "with a new token (srctl scout enroll)",
                        req->peer_cn);
    return NULL;
  }
  if (kind && strcmp(cloud_row_text(row, "kind"), kind) != 0) {
    sr_http_reply_error(resp, 403, "forbidden", "certificate '%s' is not a %s scout", req->peer_cn,
                        kind);
    json_decref(row);
    return NULL;
  }
  /* A CN alone proves nothing: every tenant CA chains to the same root, so
   * the certificate must come from this scout's own tenant's CA. */
  const char *tenant = cloud_row_text(row, "tenant");
  json_t *t = cloud_db_row(c->db, "SELECT ca_cert FROM tenants WHERE id = ?", "t", tenant);
  if (!t && cloud_db_failed(c->db)) {
    cloud_api_db_error(resp, "looking up the scout's tenant");
    json_decref(row);
    return NULL;
  }
  int status = t ? sr_x509_der_issued_by(req->peer_cert_der, req->peer_cert_der_len, tenant,
                                         cloud_row_text(t, "ca_cert"))
                 : SR_ERR_NOT_FOUND;
  json_decref(t);
  if (status != SR_OK) {
    sr_log(SR_LOG_WARN, "auth", "refused certificate '%s' from %s: not issued by tenant %s's CA",
           req->peer_cn, req->remote ? req->remote : "?", tenant);
    sr_http_reply_error(resp, 403, "forbidden", "certificate '%s' is not a %s scout", req->peer_cn,
                        kind ? kind : "known");
    json_decref(row);
    return NULL;
  }
  /* any authenticated call shows the scout is alive (a site service has no
   * MQTT presence; its heartbeat is such a call); written at most once a
   * second per scout */
  int64_t now = time(NULL);
  if (cloud_db_run(c->db,
                   "UPDATE scouts SET last_seen = ? WHERE id = ? AND (last_seen IS NULL OR "
                   "last_seen < ?)",
                   "iti", now, req->peer_cn, now) < 0) {
    cloud_api_db_error(resp, "recording that the scout called");
    json_decref(row);
    return NULL;
  }
  return row;
}
