/* The site's submission key: derived the same by every holder of the
 * secret, different for another secret or tenant, a valid P-256 pair whose
 * halves agree, and the text forms (SPKI base64url, fingerprint) exact. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "site_key.h"
#include "sr/abi.h"
#include "submit_key.h"

static sr_site_key *key_for(const uint8_t secret[SR_SITE_SECRET_LEN], const char *tenant) {
  uint8_t salt[SR_KDF_SALT_LEN];
  sr_site_salt_for_tenant(tenant, salt);
  sr_site_key *key = NULL;
  assert_int_equal(sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &key), SR_OK);
  return key;
}

static void public_of(const sr_site_key *key, char spki[SR_SUBMIT_SPKI_B64_MAX],
                      char fp[SR_SUBMIT_FINGERPRINT_LEN]) {
  assert_int_equal(sr_submit_key_public(key, spki, SR_SUBMIT_SPKI_B64_MAX, fp), SR_OK);
}

/* The expected values were computed apart from this code, from the
 * derivation's definition (submit_key.h), with Python's `cryptography`:
 * PBKDF2 of bytes 0..31 with the tenant "default"'s salt, HKDF to 48
 * bytes, mod (n - 1) + 1, its public key as SPKI DER. A change here breaks
 * every browser holding the published key. */
static void test_known_answer(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN];
  for (int i = 0; i < SR_SITE_SECRET_LEN; i++)
    secret[i] = (uint8_t)i;
  sr_site_key *key = key_for(secret, "default");
  char spki[SR_SUBMIT_SPKI_B64_MAX], fp[SR_SUBMIT_FINGERPRINT_LEN];
  public_of(key, spki, fp);
  assert_string_equal(spki,
                      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEv32cgxb_BuHvEnKO_WQ1dM1udbZUUcD518d"
                      "w1v1eFwk0_tvJATXcYvmZ2vcaKtpvNnZkPny3yvaBc46MSGTtgg");
  assert_string_equal(
      fp, "SHA256:9c04:575e:0b66:3d16:249c:3652:9078:ea03:4c41:6982:e2c0:eada:4227:ea0a:9111:4108");
  sr_site_key_free(key);
}

static void test_same_secret_same_key_else_different(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN], other[SR_SITE_SECRET_LEN];
  sr_site_secret_generate(secret);
  sr_site_secret_generate(other);
  sr_site_key *a = key_for(secret, "acme"), *b = key_for(secret, "acme"),
              *c = key_for(other, "acme"), *d = key_for(secret, "globex");
  char sa[SR_SUBMIT_SPKI_B64_MAX], sb[SR_SUBMIT_SPKI_B64_MAX], sc[SR_SUBMIT_SPKI_B64_MAX],
      sd[SR_SUBMIT_SPKI_B64_MAX], fa[SR_SUBMIT_FINGERPRINT_LEN], fb[SR_SUBMIT_FINGERPRINT_LEN],
      fc[SR_SUBMIT_FINGERPRINT_LEN], fd[SR_SUBMIT_FINGERPRINT_LEN];
  public_of(a, sa, fa);
  public_of(b, sb, fb);
  public_of(c, sc, fc);
  public_of(d, sd, fd);
  assert_string_equal(sa, sb); /* two scouts of one site agree */
  assert_string_equal(fa, fb);
  assert_string_not_equal(sa, sc); /* another secret: another key */
  assert_string_not_equal(fa, fc);
  assert_string_not_equal(sa, sd); /* the same secret for another tenant too */
  sr_site_key_free(a);
  sr_site_key_free(b);
  sr_site_key_free(c);
  sr_site_key_free(d);
}

static void test_pair_is_p256_and_halves_agree(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN];
  sr_site_secret_generate(secret);
  sr_site_key *key = key_for(secret, "acme");
  EVP_PKEY *priv = NULL;
  assert_int_equal(sr_submit_key_derive(key, &priv), SR_OK);
  char group[32] = "";
  assert_int_equal(
      EVP_PKEY_get_utf8_string_param(priv, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL),
      1);
  assert_string_equal(group, "prime256v1");
  /* OpenSSL's own full check of the pair (scalar range, point, match) */
  EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
  assert_int_equal(EVP_PKEY_pairwise_check(check), 1);
  assert_int_equal(EVP_PKEY_private_check(check), 1);
  EVP_PKEY_CTX_free(check);

  /* the published text decodes to the DER of this private key's public half */
  char spki[SR_SUBMIT_SPKI_B64_MAX], fp[SR_SUBMIT_FINGERPRINT_LEN];
  public_of(key, spki, fp);
  uint8_t der[SR_SUBMIT_SPKI_MAX], mine[SR_SUBMIT_SPKI_MAX];
  long len = sr_base64url_decode(spki, der, sizeof der);
  assert_int_equal(len, 91);
  assert_int_equal(sr_submit_key_spki(priv, mine, sizeof mine), 91);
  assert_memory_equal(der, mine, 91);
  assert_int_equal(strlen(fp), 7 + 16 * 4 + 15);
  assert_int_equal(strncmp(fp, "SHA256:", 7), 0);

  /* what a sender derives from the public key, the site derives from the
   * private one: the ECDH halves meet */
  uint8_t file_id[16] = {1, 2, 3}, eph[SR_SUBMIT_POINT_LEN], key_id[SR_KEY_ID_LEN], sent[32],
          opened[32];
  assert_int_equal(sr_submit_wrap_seal(der, (size_t)len, file_id, eph, key_id, sent), SR_OK);
  assert_int_equal(sr_submit_wrap_open(priv, eph, file_id, key_id, opened), SR_OK);
  assert_memory_equal(sent, opened, 32);
  /* the file id is the salt: another file, another key */
  file_id[0] ^= 1;
  assert_int_equal(sr_submit_wrap_open(priv, eph, file_id, key_id, opened), SR_OK);
  assert_memory_not_equal(sent, opened, 32);
  /* a point off the curve is refused, not used */
  eph[40] ^= 1;
  assert_int_equal(sr_submit_wrap_open(priv, eph, file_id, key_id, opened), SR_ERR_CORRUPT);
  EVP_PKEY_free(priv);
  sr_site_key_free(key);
}

static void test_seal_refuses_other_keys(void **state) {
  (void)state;
  uint8_t file_id[16] = {0}, eph[SR_SUBMIT_POINT_LEN], key_id[SR_KEY_ID_LEN], wrap[32];
  uint8_t der[512];
  /* a P-384 key and garbage are no submission keys */
  EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
  uint8_t *p = der;
  int len = i2d_PUBKEY(p384, &p);
  assert_true(len > 0);
  assert_int_equal(sr_submit_wrap_seal(der, (size_t)len, file_id, eph, key_id, wrap),
                   SR_ERR_INVALID);
  EVP_PKEY_free(p384);
  memset(der, 0x30, 91);
  assert_int_equal(sr_submit_wrap_seal(der, 91, file_id, eph, key_id, wrap), SR_ERR_INVALID);
  /* a valid key followed by trailing bytes is refused too */
  EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  p = der;
  len = i2d_PUBKEY(p256, &p);
  assert_int_equal(sr_submit_wrap_seal(der, (size_t)len, file_id, eph, key_id, wrap), SR_OK);
  assert_int_equal(sr_submit_wrap_seal(der, (size_t)len + 1, file_id, eph, key_id, wrap),
                   SR_ERR_INVALID);
  EVP_PKEY_free(p256);
}

static void test_base64url(void **state) {
  (void)state;
  const uint8_t bytes[] = {0xfb, 0xff, 0xbf, 0x00, 0x10};
  char text[16];
  uint8_t back[8];
  for (size_t n = 0; n <= sizeof bytes; n++) {
    sr_base64url_encode(bytes, n, text, sizeof text);
    assert_int_equal(strlen(text), (n * 4 + 2) / 3);
    assert_null(strchr(text, '='));
    assert_int_equal(sr_base64url_decode(text, back, sizeof back), (long)n);
    assert_memory_equal(back, bytes, n);
  }
  sr_base64url_encode(bytes, 3, text, sizeof text);
  assert_string_equal(text, "-_-_");
  assert_int_equal(sr_base64url_decode("+/+/", back, sizeof back), -1); /* base64, not url */
  assert_int_equal(sr_base64url_decode("AAA=", back, sizeof back), -1); /* no padding */
  assert_int_equal(sr_base64url_decode("A", back, sizeof back), -1);
  assert_int_equal(sr_base64url_decode("AB", back, sizeof back), -1); /* stray bits set */
  assert_int_equal(sr_base64url_decode("AAAAAAAAAAAA", back, 8), -1); /* does not fit */
  char small[8];
  uint8_t secret[SR_SITE_SECRET_LEN] = {0};
  sr_site_key *key = key_for(secret, "acme");
  char fp[SR_SUBMIT_FINGERPRINT_LEN];
  assert_int_equal(sr_submit_key_public(key, small, sizeof small, fp), SR_ERR_INVALID);
  sr_site_key_free(key);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_answer),
      cmocka_unit_test(test_same_secret_same_key_else_different),
      cmocka_unit_test(test_pair_is_p256_and_halves_agree),
      cmocka_unit_test(test_seal_refuses_other_keys),
      cmocka_unit_test(test_base64url),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
