#include "token_check.h"

#include <oauth2/cfg.h>
#include <oauth2/log.h>
#include <oauth2/mem.h>
#include <oauth2/oauth2.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOCK_SKEW 60 /* seconds of disagreement between clocks we accept */

static void quiet(oauth2_log_sink_t *sink, const char *file, unsigned long line,
                  const char *function, oauth2_log_level_t level, const char *msg) {
  (void)sink, (void)file, (void)line, (void)function, (void)level, (void)msg;
}

static bool audience_has(const json_t *aud, const char *audience) {
  if (json_is_string(aud))
    return strcmp(json_string_value(aud), audience) == 0;
  size_t i;
  json_t *v;
  json_array_foreach(aud, i, v) if (json_is_string(v) &&
                                    strcmp(json_string_value(v), audience) == 0) return true;
  return false;
}

/* The claims of a token without checking anything: only to explain a
 * refusal better (liboauth2 refuses an expired token as it refuses a bad
 * signature). NULL if unreadable. */
static json_t *unchecked_claims(const char *token) {
  const char *start = strchr(token, '.'), *end = start ? strchr(start + 1, '.') : NULL;
  if (!end || end - start > 8192)
    return NULL;
  char b64[8200];
  size_t n = 0;
  for (const char *p = start + 1; p < end; p++)
    b64[n++] = *p == '-' ? '+' : *p == '_' ? '/' : *p;
  while (n % 4)
    b64[n++] = '=';
  unsigned char raw[6200];
  int len = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)n);
  if (len <= 0)
    return NULL;
  json_error_t error;
  return json_loadb((char *)raw, strnlen((char *)raw, (size_t)len), 0, &error);
}

int oidc_check_id_token(const json_t *jwks, const char *token, const char *issuer,
                        const char *audience, time_t now, json_t **claims, char *why,
                        size_t why_size) {
  *claims = NULL;
  oauth2_log_sink_t *sink = oauth2_log_sink_create(OAUTH2_LOG_ERROR, quiet, NULL);
  oauth2_log_t *log = oauth2_log_init(OAUTH2_LOG_ERROR, sink);
  oauth2_cfg_token_verify_t *verify = NULL;
  json_t *payload = NULL;
  int rc = -1;
  /* the keys come from a JWKS we fetched ourselves, over TLS we verified */
  size_t i;
  json_t *key;
  json_array_foreach(json_object_get(jwks, "keys"), i, key) {
    char *text = json_dumps(key, JSON_COMPACT);
    char *err = text ? oauth2_cfg_token_verify_add_options(log, &verify, "jwk", text, NULL) : NULL;
    free(text);
    if (err) {
      snprintf(why, why_size, "the provider's key %zu is not usable: %s", i, err);
      oauth2_mem_free(err);
      goto out;
    }
  }
  if (!verify) {
    snprintf(why, why_size, "the provider published no keys");
    goto out;
  }
  if (!oauth2_token_verify(log, NULL, verify, token, &payload) || !payload) {
    json_t *said = unchecked_claims(token);
    json_t *exp = json_object_get(said, "exp");
    if (json_is_integer(exp) && json_integer_value(exp) + CLOCK_SKEW < (json_int_t)now)
      snprintf(why, why_size, "the token has expired");
    else
      snprintf(why, why_size, "the token's signature does not verify with the provider's keys");
    json_decref(said);
    goto out;
  }
  const char *iss = json_string_value(json_object_get(payload, "iss"));
  json_t *exp = json_object_get(payload, "exp"), *iat = json_object_get(payload, "iat");
  if (!iss || strcmp(iss, issuer) != 0)
    snprintf(why, why_size, "the token is from issuer '%.200s', not '%.200s'", iss ? iss : "",
             issuer);
  else if (!audience_has(json_object_get(payload, "aud"), audience))
    snprintf(why, why_size, "the token is not for this client (%.100s)", audience);
  else if (!json_is_integer(exp) || json_integer_value(exp) + CLOCK_SKEW < (json_int_t)now)
    snprintf(why, why_size, "the token has expired");
  else if (json_is_integer(iat) && json_integer_value(iat) - CLOCK_SKEW > (json_int_t)now)
    snprintf(why, why_size, "the token was issued in the future");
  else if (!json_is_string(json_object_get(payload, "sub")))
    snprintf(why, why_size, "the token names no subject");
  else {
    *claims = payload;
    payload = NULL;
    rc = 0;
  }
out:
  json_decref(payload);
  if (verify)
    oauth2_cfg_token_verify_free(log, verify);
  oauth2_log_free(log);
  return rc;
}
