/* Site secret text form, PBKDF2 key derivation and HKDF, checked against
 * values from an independent implementation (Python's hashlib/hmac). */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "site_key.h"
#include "sr/abi.h"

static void to_hex(const uint8_t *p, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_secret_round_trip(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN], back[SR_SITE_SECRET_LEN];
  char text[SR_SITE_SECRET_TEXT_LEN + 1], why[128];
  for (int round = 0; round < 50; round++) {
    assert_int_equal(sr_site_secret_generate(secret), SR_OK);
    sr_site_secret_encode(secret, text);
    assert_int_equal(strlen(text), SR_SITE_SECRET_TEXT_LEN);
    assert_memory_equal(text, "SR1-", 4);
    assert_int_equal(sr_site_secret_decode(text, back, why, sizeof why), SR_OK);
    assert_memory_equal(secret, back, sizeof secret);
  }
  /* what an administrator might type: lower case, spaces for dashes */
  char typed[sizeof text];
  for (size_t i = 0; i <= strlen(text); i++)
    typed[i] = text[i] == '-' ? ' ' : (char)tolower((unsigned char)text[i]);
  assert_int_equal(sr_site_secret_decode(typed, back, why, sizeof why), SR_OK);
  assert_memory_equal(secret, back, sizeof secret);
}

static void test_secret_typos_are_caught(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN], back[SR_SITE_SECRET_LEN];
  char text[SR_SITE_SECRET_TEXT_LEN + 1], why[128];
  /* a fixed secret: the checksum is 16 bits of a hash, so for a random one
   * a typo slips through once in 65536 tries, and the test would flake */
  for (size_t i = 0; i < sizeof secret; i++)
    secret[i] = (uint8_t)(i * 37 + 11);
  sr_site_secret_encode(secret, text);
  /* change each character in turn to another valid one */
  int caught = 0, tried = 0;
  for (size_t i = 4; i < strlen(text); i++) {
    if (text[i] == '-')
      continue;
    char saved = text[i];
    text[i] = saved == 'A' ? 'B' : 'A';
    tried++;
    if (sr_site_secret_decode(text, back, why, sizeof why) == SR_ERR_INVALID)
      caught++;
    text[i] = saved;
  }
  assert_int_equal(caught, tried);
  assert_string_equal(why, "site secret has a typo (its checksum does not match)");

  assert_int_equal(sr_site_secret_decode("SR1-ABCDE", back, why, sizeof why), SR_ERR_INVALID);
  assert_string_equal(why, "site secret is too short (5 of 55 characters)");
  assert_int_equal(sr_site_secret_decode("XX1-ABCDE", back, why, sizeof why), SR_ERR_INVALID);
  assert_string_equal(why, "a site secret starts with SR1-");
  text[5] = '1'; /* not in the base32 alphabet */
  assert_int_equal(sr_site_secret_decode(text, back, why, sizeof why), SR_ERR_INVALID);
  assert_string_equal(why, "site secret has a character that is not A-Z or 2-7");
}

static void test_pbkdf2_known_answer(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN];
  for (int i = 0; i < SR_SITE_SECRET_LEN; i++)
    secret[i] = (uint8_t)i;
  memset(salt, 0xa5, sizeof salt);
  sr_site_key *key = NULL;
  assert_int_equal(sr_site_key_derive(secret, salt, 600000, &key), SR_OK);
  uint8_t kek[32], id[SR_KEY_ID_LEN];
  char hex[65];
  assert_int_equal(sr_site_key_kek(key, salt, 600000, kek, id), SR_OK);
  to_hex(kek, 32, hex);
  assert_string_equal(hex, "1d2a188d95a998a1c6d97cd00cb50be0bd3c6a4f5b6652a47f029a5c7f08b6b3");
  to_hex(sr_site_key_id(key), SR_KEY_ID_LEN, hex);
  assert_string_equal(hex, "441757e94052e205");
  assert_int_equal(sr_site_key_iterations(key), 600000);
  sr_site_key_free(key);
}

static void test_iteration_bounds(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN] = {1}, salt[SR_KDF_SALT_LEN] = {2};
  sr_site_key *key = NULL;
  assert_int_equal(sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS - 1, &key),
                   SR_ERR_INVALID);
  assert_null(key);
  assert_int_equal(sr_site_key_derive(secret, salt, SR_KDF_MAX_ITERATIONS + 1, &key),
                   SR_ERR_INVALID);
}

static void test_hkdf_rfc5869_case3(void **state) {
  (void)state;
  uint8_t ikm[22], okm[42];
  memset(ikm, 0x0b, sizeof ikm);
  assert_int_equal(sr_hkdf_sha256(ikm, sizeof ikm, "", okm, sizeof okm), SR_OK);
  char hex[85];
  to_hex(okm, sizeof okm, hex);
  assert_string_equal(hex, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d20"
                           "1395faa4b61a96c8");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_secret_round_trip),   cmocka_unit_test(test_secret_typos_are_caught),
      cmocka_unit_test(test_pbkdf2_known_answer), cmocka_unit_test(test_iteration_bounds),
      cmocka_unit_test(test_hkdf_rfc5869_case3),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
