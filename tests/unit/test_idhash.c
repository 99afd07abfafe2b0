/* Identity normalisation and keyed hashing. Expected hashes come from an
 * independent implementation (Python's hmac) of the documented framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "idhash.h"
#include "sr/abi.h"

static sr_site_key *key_a, *key_b;

static int setup(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN];
  for (int i = 0; i < SR_SITE_SECRET_LEN; i++)
    secret[i] = (uint8_t)i;
  memset(salt, 0xa5, sizeof salt);
  if (sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &key_a) != SR_OK)
    return -1;
  secret[0] ^= 1;
  return sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &key_b) == SR_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  sr_site_key_free(key_a);
  sr_site_key_free(key_b);
  return 0;
}

static void card(const sr_card_rule *rule, const char *raw, int status, const char *expected) {
  char out[SR_ID_MAX + 1];
  assert_int_equal(sr_card_normalise(rule, raw, out, sizeof out), status);
  if (status == SR_OK)
    assert_string_equal(out, expected);
}

static void test_card_rules(void **state) {
  (void)state;
  sr_card_rule dec = {SR_CARD_DECIMAL, true}, dec_keep = {SR_CARD_DECIMAL, false};
  sr_card_rule hex = {SR_CARD_HEX, true}, raw = {SR_CARD_RAW, false};
  card(&dec, "0012 3456-789", SR_OK, "123456789");
  card(&dec, "000", SR_OK, "0");
  card(&dec_keep, "00123", SR_OK, "00123");
  card(&dec, "12a4", SR_ERR_INVALID, NULL);
  card(&dec, " - ", SR_ERR_INVALID, NULL);
  /* the same badge read as hex and as decimal normalises the same */
  card(&hex, "07:5B:CD:15", SR_OK, "123456789");
  card(&hex, "75bcd15", SR_OK, "123456789");
  /* longer than 64 bits */
  card(&hex, "FFFFFFFFFFFFFFFFFF", SR_OK, "4722366482869645213695");
  card(&hex, "0xZZ", SR_ERR_INVALID, NULL);
  card(&raw, "ab-12", SR_OK, "AB12");
}

static void test_email_pin_passcode(void **state) {
  (void)state;
  char out[SR_ID_MAX + 1];
  assert_int_equal(sr_email_normalise("  Alice.Smith@Example.COM \n", out, sizeof out), SR_OK);
  assert_string_equal(out, "alice.smith@example.com");
  assert_int_equal(sr_email_normalise("no-at-sign", out, sizeof out), SR_ERR_INVALID);
  assert_int_equal(sr_email_normalise("a@b@c", out, sizeof out), SR_ERR_INVALID);
  assert_int_equal(sr_email_normalise("@example.com", out, sizeof out), SR_ERR_INVALID);
  assert_int_equal(sr_email_normalise("a b@example.com", out, sizeof out), SR_ERR_INVALID);
  assert_int_equal(sr_pin_normalise("0420", 4, out, sizeof out), SR_OK);
  assert_string_equal(out, "0420");
  assert_int_equal(sr_pin_normalise("042", 4, out, sizeof out), SR_ERR_INVALID);
  assert_int_equal(sr_pin_normalise("04a0", 4, out, sizeof out), SR_ERR_INVALID);
  assert_int_equal(sr_pin_normalise("123456", 6, out, sizeof out), SR_OK);
  assert_int_equal(sr_passcode_normalise("k7q2-m9x4", out, sizeof out), SR_OK);
  assert_string_equal(out, "K7Q2M9X4");
  assert_int_equal(sr_passcode_normalise("k7q2_m9", out, sizeof out), SR_ERR_INVALID);
}

static void test_hash_known_answers(void **state) {
  (void)state;
  char hex[SR_IDHASH_HEX_LEN + 1];
  assert_int_equal(sr_idhash_hex(key_a, SR_ID_CARD, NULL, "123456789", hex), SR_OK);
  assert_string_equal(hex, "b68e4e7d590651fd45c0e89a452902689748c8966a584eb6f9270d428ad64d8a");
  assert_int_equal(sr_idhash_hex(key_a, SR_ID_PIN, "user@example.com", "1234", hex), SR_OK);
  assert_string_equal(hex, "79ddc6984d5614abb866f000f1ee1d70704668455ff8bb804e7d0030e1ed53e4");
}

static void test_hash_separation(void **state) {
  (void)state;
  uint8_t a[SR_IDHASH_LEN], b[SR_IDHASH_LEN];
  /* another site's key */
  sr_idhash(key_a, SR_ID_CARD, NULL, "123456789", a);
  sr_idhash(key_b, SR_ID_CARD, NULL, "123456789", b);
  assert_memory_not_equal(a, b, sizeof a);
  /* another kind with the same text */
  sr_idhash(key_a, SR_ID_PASSCODE, NULL, "123456789", b);
  assert_memory_not_equal(a, b, sizeof a);
  /* the same PIN of two users */
  sr_idhash(key_a, SR_ID_PIN, "alice@example.com", "1234", a);
  sr_idhash(key_a, SR_ID_PIN, "bob@example.com", "1234", b);
  assert_memory_not_equal(a, b, sizeof a);
  /* framing: moving a character between context and value changes it */
  sr_idhash(key_a, SR_ID_PIN, "ab", "c", a);
  sr_idhash(key_a, SR_ID_PIN, "a", "bc", b);
  assert_memory_not_equal(a, b, sizeof a);
  /* and it is deterministic */
  sr_idhash(key_a, SR_ID_PIN, "a", "bc", a);
  assert_memory_equal(a, b, sizeof a);
}

/* A job PIN: digits within the lengths, hashed to what an IPP client sends
 * with sha2-256; its keyed hash is a domain of its own. */
static void test_job_pin(void **state) {
  (void)state;
  uint8_t digest[SR_IDHASH_LEN], user_pin[SR_IDHASH_LEN];
  static const uint8_t sha_1234[SR_IDHASH_LEN] = {0x03, 0xac, 0x67, 0x42, 0x16, 0xf3, 0xe1, 0x5c,
                                                  0x76, 0x1e, 0xe1, 0xa5, 0xe2, 0x55, 0xf0, 0x67,
                                                  0x95, 0x36, 0x23, 0xc8, 0xb3, 0x88, 0xb4, 0x45,
                                                  0x9e, 0x13, 0xf9, 0x78, 0xd7, 0xc8, 0x46, 0xf4};
  assert_int_equal(sr_job_pin_digest("1234", 4, 4, 8, digest), SR_OK);
  assert_memory_equal(digest, sha_1234, sizeof digest);
  assert_int_equal(sr_job_pin_digest("123", 3, 4, 8, digest), SR_ERR_INVALID);
  assert_int_equal(sr_job_pin_digest("123456789", 9, 4, 8, digest), SR_ERR_INVALID);
  assert_int_equal(sr_job_pin_digest("12a4", 4, 4, 8, digest), SR_ERR_INVALID);
  char a[SR_IDHASH_HEX_LEN + 1], b[SR_IDHASH_HEX_LEN + 1];
  assert_int_equal(sr_job_pin_hash_hex(key_a, sha_1234, a), SR_OK);
  assert_int_equal(sr_job_pin_hash_hex(key_b, sha_1234, b), SR_OK);
  assert_string_not_equal(a, b); /* another site */
  assert_int_equal(strlen(a), SR_IDHASH_HEX_LEN);
  sr_idhash(key_a, SR_ID_PIN, NULL, "1234", user_pin);
  char user_hex[SR_IDHASH_HEX_LEN + 1];
  for (size_t i = 0; i < SR_IDHASH_LEN; i++)
    snprintf(user_hex + 2 * i, 3, "%02x", user_pin[i]);
  assert_string_not_equal(a, user_hex); /* not a user's login PIN hash */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_card_rules),
      cmocka_unit_test(test_email_pin_passcode),
      cmocka_unit_test(test_hash_known_answers),
      cmocka_unit_test(test_hash_separation),
      cmocka_unit_test(test_job_pin),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
