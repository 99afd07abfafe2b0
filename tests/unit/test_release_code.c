/* Rotating release codes: a minted code verifies for its device within its
 * time bounds and for nothing else; its mac matches an independent
 * implementation (Python's hmac), so the format in docs/security.md is the
 * one the code speaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "printer_list.h"
#include "release_code.h"
#include "sr/abi.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

static const uint8_t test_key[SR_RELEASE_CODE_KEY_LEN] = {
    1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void mint(const char *device, int64_t expires_at, char code[SR_RELEASE_CODE_SIZE]) {
  assert_int_equal(sr_release_code_mint(test_key, device, expires_at, code), SR_OK);
}

static int verify(const char *device, const char *code, int64_t now) {
  return sr_release_code_verify(test_key, device, code, now);
}

static void minted_code_verifies_until_it_expires(void **state) {
  (void)state;
  char code[SR_RELEASE_CODE_SIZE];
  mint("printer1", NOW + SR_RELEASE_CODE_TTL, code);
  /* "<expiry>.<22 characters of base64url>" */
  assert_int_equal(strlen(code), 10 + 1 + SR_RELEASE_CODE_MAC_TEXT_LEN);
  assert_memory_equal(code, "1767225660.", 11);
  assert_int_equal(
      strspn(code + 11, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      SR_RELEASE_CODE_MAC_TEXT_LEN);
  assert_int_equal(verify("printer1", code, NOW), SR_OK);
  assert_int_equal(verify("printer1", code, NOW + SR_RELEASE_CODE_TTL), SR_OK); /* last second */
  assert_int_equal(verify("printer1", code, NOW + SR_RELEASE_CODE_TTL + 1), SR_ERR_AUTH);
  assert_int_equal(verify("printer1", code, NOW + 86400), SR_ERR_AUTH);
}

static void far_future_expiry_is_refused(void **state) {
  (void)state;
  char code[SR_RELEASE_CODE_SIZE];
  mint("printer1", NOW + SR_RELEASE_CODE_MAX_AHEAD, code);
  assert_int_equal(verify("printer1", code, NOW), SR_OK);
  mint("printer1", NOW + SR_RELEASE_CODE_MAX_AHEAD + 1, code);
  assert_int_equal(verify("printer1", code, NOW), SR_ERR_AUTH);
  /* the same code once its expiry is near enough: the mac was right */
  assert_int_equal(verify("printer1", code, NOW + 1), SR_OK);
  mint("printer1", 9223372036854775807LL, code); /* "for ever" */
  assert_int_equal(verify("printer1", code, NOW), SR_ERR_AUTH);
}

static void code_of_another_device_is_refused(void **state) {
  (void)state;
  char code[SR_RELEASE_CODE_SIZE];
  mint("printer1", NOW + 60, code);
  assert_int_equal(verify("printer2", code, NOW), SR_ERR_AUTH);
  assert_int_equal(verify("printer", code, NOW), SR_ERR_AUTH);   /* a prefix */
  assert_int_equal(verify("printer11", code, NOW), SR_ERR_AUTH); /* longer */
  assert_int_equal(verify("", code, NOW), SR_ERR_AUTH);
  assert_int_equal(verify(NULL, code, NOW), SR_ERR_AUTH);
  /* another site's key */
  uint8_t other[SR_RELEASE_CODE_KEY_LEN];
  memcpy(other, test_key, sizeof other);
  other[0] ^= 1;
  assert_int_equal(sr_release_code_verify(other, "printer1", code, NOW), SR_ERR_AUTH);
}

static void tampered_code_is_refused(void **state) {
  (void)state;
  char code[SR_RELEASE_CODE_SIZE], bad[SR_RELEASE_CODE_SIZE + 8];
  mint("printer1", NOW + 60, code);
  size_t mac_at = strlen(code) - SR_RELEASE_CODE_MAC_TEXT_LEN;
  for (size_t i = mac_at; i < strlen(code); i++) { /* each character of the mac changed */
    snprintf(bad, sizeof bad, "%s", code);
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  }
  /* the expiry moved on with the old mac */
  snprintf(bad, sizeof bad, "%lld%s", (long long)NOW + 61, code + mac_at - 1);
  assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  /* one expiry, one text: a leading zero is another code */
  snprintf(bad, sizeof bad, "0%s", code);
  assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  /* short, long, no separator, padding, empty, too many digits */
  snprintf(bad, sizeof bad, "%.*s", (int)strlen(code) - 1, code);
  assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  snprintf(bad, sizeof bad, "%sA", code);
  assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  snprintf(bad, sizeof bad, "%s==", code);
  assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  snprintf(bad, sizeof bad, "%s", code);
  bad[mac_at - 1] = '-';
  assert_int_equal(verify("printer1", bad, NOW), SR_ERR_AUTH);
  assert_int_equal(verify("printer1", "", NOW), SR_ERR_AUTH);
  assert_int_equal(verify("printer1", NULL, NOW), SR_ERR_AUTH);
  assert_int_equal(verify("printer1", ".AAAAAAAAAAAAAAAAAAAAAA", NOW), SR_ERR_AUTH);
  assert_int_equal(verify("printer1", "99999999999999999999.AAAAAAAAAAAAAAAAAAAAAA", NOW),
                   SR_ERR_AUTH);
  assert_int_equal(verify("printer1", code, NOW), SR_OK); /* the original still works */
}

/* Python's hmac over the documented message gives the same code. */
static void mac_is_the_documented_one(void **state) {
  (void)state;
  char code[SR_RELEASE_CODE_SIZE], cmd[1024], expected[64] = {0};
  mint("lobby-mfp", NOW + 60, code);
  snprintf(cmd, sizeof cmd,
           "python3 -c 'import hmac,hashlib,base64; "
           "k=bytes(range(1,33)); e=b\"%lld\"; "
           "m=hmac.new(k, b\"sr-release-code-v1\\0lobby-mfp\\0\"+e, hashlib.sha256).digest()[:16]; "
           "print(e.decode()+\".\"+base64.urlsafe_b64encode(m).decode().rstrip(\"=\"))'",
           (long long)NOW + 60);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  assert_non_null(fgets(expected, sizeof expected, p));
  assert_int_equal(pclose(p), 0);
  expected[strcspn(expected, "\n")] = '\0';
  assert_string_equal(code, expected);
}

/* The key comes from the site secret and the tenant: the same for every
 * site service of the tenant, another for another tenant, and not the
 * printer list's key. */
static void key_is_the_sites_own(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN] = {42}, salt_a[SR_KDF_SALT_LEN], salt_b[SR_KDF_SALT_LEN];
  sr_site_key *a1 = NULL, *a2 = NULL, *b = NULL;
  sr_site_salt_for_tenant("acme", salt_a);
  sr_site_salt_for_tenant("other", salt_b);
  assert_int_equal(sr_site_key_derive(secret, salt_a, SR_KDF_MIN_ITERATIONS, &a1), SR_OK);
  assert_int_equal(sr_site_key_derive(secret, salt_a, SR_KDF_MIN_ITERATIONS, &a2), SR_OK);
  assert_int_equal(sr_site_key_derive(secret, salt_b, SR_KDF_MIN_ITERATIONS, &b), SR_OK);
  uint8_t k1[SR_RELEASE_CODE_KEY_LEN], k2[SR_RELEASE_CODE_KEY_LEN], kb[SR_RELEASE_CODE_KEY_LEN];
  uint8_t list_key[SR_PRINTER_LIST_KEY_LEN];
  assert_int_equal(sr_release_code_key(a1, k1), SR_OK);
  assert_int_equal(sr_release_code_key(a2, k2), SR_OK);
  assert_int_equal(sr_release_code_key(b, kb), SR_OK);
  assert_int_equal(sr_printer_list_key(a1, list_key), SR_OK);
  assert_memory_equal(k1, k2, sizeof k1);
  assert_memory_not_equal(k1, kb, sizeof k1);
  assert_memory_not_equal(k1, list_key, sizeof k1);
  char code[SR_RELEASE_CODE_SIZE];
  assert_int_equal(sr_release_code_mint(k1, "printer1", NOW + 60, code), SR_OK);
  assert_int_equal(sr_release_code_verify(k2, "printer1", code, NOW), SR_OK);
  assert_int_equal(sr_release_code_verify(kb, "printer1", code, NOW), SR_ERR_AUTH);
  sr_site_key_free(a1);
  sr_site_key_free(a2);
  sr_site_key_free(b);
}

static void mint_refuses_bad_arguments(void **state) {
  (void)state;
  char code[SR_RELEASE_CODE_SIZE];
  assert_int_equal(sr_release_code_mint(test_key, "", NOW, code), SR_ERR_INVALID);
  assert_int_equal(sr_release_code_mint(test_key, NULL, NOW, code), SR_ERR_INVALID);
  assert_int_equal(sr_release_code_mint(test_key, "p", -1, code), SR_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(minted_code_verifies_until_it_expires),
      cmocka_unit_test(far_future_expiry_is_refused),
      cmocka_unit_test(code_of_another_device_is_refused),
      cmocka_unit_test(tampered_code_is_refused),
      cmocka_unit_test(mac_is_the_documented_one),
      cmocka_unit_test(key_is_the_sites_own),
      cmocka_unit_test(mint_refuses_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
