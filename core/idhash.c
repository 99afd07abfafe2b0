#include "idhash.h"

#include <ctype.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "jobfile_format.h"
#include "sr/abi.h"

static bool is_separator(char c) { return c == ' ' || c == '-' || c == ':' || c == '.'; }

int sr_card_normalise(const sr_card_rule *rule, const char *raw, char *out, size_t out_size) {
  char compact[SR_ID_MAX + 1];
  size_t n = 0;
  for (const char *p = raw; *p; p++) {
    if (is_separator(*p))
      continue;
    char c = (char)toupper((unsigned char)*p);
    bool ok = rule->format == SR_CARD_DECIMAL ? isdigit((unsigned char)c)
              : rule->format == SR_CARD_HEX   ? isxdigit((unsigned char)c)
                                              : isalnum((unsigned char)c);
    if (!ok || n == SR_ID_MAX)
      return SR_ERR_INVALID;
    compact[n++] = c;
  }
  compact[n] = '\0';
  if (n == 0)
    return SR_ERR_INVALID;

  const char *text = compact;
  char *decimal = NULL;
  if (rule->format == SR_CARD_HEX) {
    /* Card numbers can be longer than 64 bits: convert with a bignum. */
    BIGNUM *bn = NULL;
    if (!BN_hex2bn(&bn, compact) || !(decimal = BN_bn2dec(bn))) {
      BN_free(bn);
      return SR_ERR_INVALID;
    }
    BN_free(bn);
    text = decimal; /* never has leading zeros */
  } else if (rule->strip_leading_zeros) {
    while (text[0] == '0' && text[1])
      text++;
  }
  int status = strlen(text) < out_size ? SR_OK : SR_ERR_INVALID;
  if (status == SR_OK)
    strcpy(out, text);
  OPENSSL_free(decimal);
  return status;
}

int sr_email_normalise(const char *raw, char *out, size_t out_size) {
  while (isspace((unsigned char)*raw))
    raw++;
  size_t len = strlen(raw);
  while (len && isspace((unsigned char)raw[len - 1]))
    len--;
  if (len == 0 || len >= out_size || len > SR_ID_MAX)
    return SR_ERR_INVALID;
  const char *at = memchr(raw, '@', len);
  if (!at || at == raw || at == raw + len - 1 || memchr(at + 1, '@', len - (size_t)(at - raw) - 1))
    return SR_ERR_INVALID;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)raw[i];
    if (c <= ' ' || c == 0x7f)
      return SR_ERR_INVALID;
    out[i] = (char)(c < 0x80 ? tolower(c) : c);
  }
  out[len] = '\0';
  return SR_OK;
}

int sr_pin_normalise(const char *raw, int length, char *out, size_t out_size) {
  size_t len = strlen(raw);
  if (length <= 0 || len != (size_t)length || len >= out_size)
    return SR_ERR_INVALID;
  for (size_t i = 0; i < len; i++)
    if (!isdigit((unsigned char)raw[i]))
      return SR_ERR_INVALID;
  memcpy(out, raw, len + 1);
  return SR_OK;
}

int sr_passcode_normalise(const char *raw, char *out, size_t out_size) {
  size_t n = 0;
  for (const char *p = raw; *p; p++) {
    if (*p == ' ' || *p == '-')
      continue;
    if (!isalnum((unsigned char)*p) || n + 1 >= out_size || n == SR_ID_MAX)
      return SR_ERR_INVALID;
    out[n++] = (char)toupper((unsigned char)*p);
  }
  if (n == 0)
    return SR_ERR_INVALID;
  out[n] = '\0';
  return SR_OK;
}

int sr_idhash(const sr_site_key *key, sr_id_kind kind, const char *context, const char *value,
              uint8_t out[SR_IDHASH_LEN]) {
  /* Each part is preceded by its length so "ab"+"c" and "a"+"bc" differ. */
  uint8_t frame[4];
  size_t ctx_len = context ? strlen(context) : 0, val_len = strlen(value);
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
  EVP_MAC_free(mac);
  if (!ctx)
    return SR_ERR_NOMEM;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                         OSSL_PARAM_construct_end()};
  size_t out_len = 0;
  int ok = EVP_MAC_init(ctx, sr_site_key_idhash_key(key), 32, params);
  sr_be32_put(frame, (uint32_t)kind);
  ok = ok && EVP_MAC_update(ctx, frame, 4);
  sr_be32_put(frame, (uint32_t)ctx_len);
  ok = ok && EVP_MAC_update(ctx, frame, 4) &&
       EVP_MAC_update(ctx, (const uint8_t *)(context ? context : ""), ctx_len);
  sr_be32_put(frame, (uint32_t)val_len);
  ok = ok && EVP_MAC_update(ctx, frame, 4) && EVP_MAC_update(ctx, (const uint8_t *)value, val_len);
  ok = ok && EVP_MAC_final(ctx, out, &out_len, SR_IDHASH_LEN);
  EVP_MAC_CTX_free(ctx);
  return ok && out_len == SR_IDHASH_LEN ? SR_OK : SR_ERR_NOMEM;
}

int sr_idhash_hex(const sr_site_key *key, sr_id_kind kind, const char *context, const char *value,
                  char out[SR_IDHASH_HEX_LEN + 1]) {
  uint8_t raw[SR_IDHASH_LEN];
  int status = sr_idhash(key, kind, context, value, raw);
  if (status != SR_OK)
    return status;
  for (size_t i = 0; i < SR_IDHASH_LEN; i++)
    snprintf(out + 2 * i, 3, "%02x", raw[i]);
  return SR_OK;
}

int sr_job_pin_digest(const char *pin, size_t len, int min_len, int max_len,
                      uint8_t digest[SR_IDHASH_LEN]) {
  if (len < (size_t)min_len || len > (size_t)max_len)
    return SR_ERR_INVALID;
  for (size_t i = 0; i < len; i++)
    if (pin[i] < '0' || pin[i] > '9')
      return SR_ERR_INVALID;
  unsigned int n = 0;
  return EVP_Digest(pin, len, digest, &n, EVP_sha256(), NULL) == 1 && n == SR_IDHASH_LEN
             ? SR_OK
             : SR_ERR_NOMEM;
}

int sr_job_pin_hash_hex(const sr_site_key *key, const uint8_t digest[SR_IDHASH_LEN],
                        char out[SR_IDHASH_HEX_LEN + 1]) {
  char hex[SR_IDHASH_HEX_LEN + 1];
  for (size_t i = 0; i < SR_IDHASH_LEN; i++)
    snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  int status = sr_idhash_hex(key, SR_ID_JOB_PIN, NULL, hex, out);
  OPENSSL_cleanse(hex, sizeof hex);
  return status;
}
