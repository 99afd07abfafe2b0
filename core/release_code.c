#include "release_code.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr/abi.h"

#define KEY_LABEL "securerelease release code v1"
#define MAC_LABEL "sr-release-code-v1" /* with its NUL: a separator */
#define MAC_LEN 16
#define EXPIRY_DIGITS_MAX 19 /* INT64_MAX has 19 */

int sr_release_code_key(const sr_site_key *site, uint8_t key[SR_RELEASE_CODE_KEY_LEN]) {
  return sr_site_key_purpose(site, KEY_LABEL, key, SR_RELEASE_CODE_KEY_LEN);
}

/* The mac of `device` and the expiry's text, as base64url without padding
 * (SR_RELEASE_CODE_MAC_TEXT_LEN characters and a NUL). False if OpenSSL
 * failed. */
static bool mac_text(const uint8_t key[SR_RELEASE_CODE_KEY_LEN], const char *device,
                     const char *expiry, char out[SR_RELEASE_CODE_MAC_TEXT_LEN + 1]) {
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *m = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                         OSSL_PARAM_construct_end()};
  uint8_t mac[32];
  size_t len = 0;
  bool ok = m && EVP_MAC_init(m, key, SR_RELEASE_CODE_KEY_LEN, params) == 1 &&
            EVP_MAC_update(m, (const uint8_t *)MAC_LABEL, sizeof MAC_LABEL) == 1 &&
            EVP_MAC_update(m, (const uint8_t *)device, strlen(device) + 1) == 1 &&
            EVP_MAC_update(m, (const uint8_t *)expiry, strlen(expiry)) == 1 &&
            EVP_MAC_final(m, mac, &len, sizeof mac) == 1 && len == sizeof mac;
  EVP_MAC_CTX_free(m);
  EVP_MAC_free(hmac);
  if (ok) {
    /* 16 bytes are 24 base64 characters, the last two padding */
    char b64[25];
    EVP_EncodeBlock((unsigned char *)b64, mac, MAC_LEN);
    for (size_t i = 0; i < SR_RELEASE_CODE_MAC_TEXT_LEN; i++)
      out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    out[SR_RELEASE_CODE_MAC_TEXT_LEN] = '\0';
  }
  OPENSSL_cleanse(mac, sizeof mac);
  return ok;
}

int sr_release_code_mint(const uint8_t key[SR_RELEASE_CODE_KEY_LEN], const char *device,
                         int64_t expires_at, char out[SR_RELEASE_CODE_SIZE]) {
  char expiry[24], mac[SR_RELEASE_CODE_MAC_TEXT_LEN + 1];
  if (!device || !*device || expires_at < 0)
    return SR_ERR_INVALID;
  snprintf(expiry, sizeof expiry, "%lld", (long long)expires_at);
  if (!mac_text(key, device, expiry, mac))
    return SR_ERR_NOMEM;
  /* at most 19 digits (expires_at >= 0), the dot and the mac: it fits */
  size_t n = strlen(expiry);
  memcpy(out, expiry, n);
  out[n] = '.';
  memcpy(out + n + 1, mac, sizeof mac);
  return SR_OK;
}

int sr_release_code_verify(const uint8_t key[SR_RELEASE_CODE_KEY_LEN], const char *device,
                           const char *code, int64_t now) {
  if (!device || !*device || !code)
    return SR_ERR_AUTH;
  /* the expiry as minted: digits without a leading zero, so one expiry
   * has one text and one mac */
  size_t digits = strspn(code, "0123456789");
  if (digits == 0 || digits > EXPIRY_DIGITS_MAX || (code[0] == '0' && digits > 1) ||
      code[digits] != '.' || strlen(code + digits + 1) != SR_RELEASE_CODE_MAC_TEXT_LEN)
    return SR_ERR_AUTH;
  char expiry[EXPIRY_DIGITS_MAX + 1], mac[SR_RELEASE_CODE_MAC_TEXT_LEN + 1];
  memcpy(expiry, code, digits);
  expiry[digits] = '\0';
  errno = 0;
  long long expires_at = strtoll(expiry, NULL, 10);
  if (errno || expires_at < now || expires_at > now + SR_RELEASE_CODE_MAX_AHEAD)
    return SR_ERR_AUTH;
  if (!mac_text(key, device, expiry, mac))
    return SR_ERR_AUTH;
  return CRYPTO_memcmp(mac, code + digits + 1, SR_RELEASE_CODE_MAC_TEXT_LEN) == 0 ? SR_OK
                                                                                  : SR_ERR_AUTH;
}
