/* The signed printer list: what a print scout accepts (the site's own
 * signature, its tenant, a version not older than one seen) and what it
 * refuses: a changed byte, another site secret, another tenant, a replay
 * of an older list, also after a restart. */
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "json_file.h"
#include "printer_allow.h"
#include "printer_book.h"
#include "printer_list.h"
#include "sr/abi.h"

static sr_site_key *key_of(uint8_t fill, const char *tenant) {
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN];
  memset(secret, fill, sizeof secret);
  sr_site_salt_for_tenant(tenant, salt);
  sr_site_key *key = NULL;
  assert_int_equal(sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &key), SR_OK);
  return key;
}

static json_t *printers(const char *uri) {
  return json_pack("[{s:s, s:s, s:[s, s], s:s}, {s:s, s:s, s:[s], s:n}]", "device", "printer1",
                   "name", "Floor 1", "uris", uri, "ipp://127.0.0.5:631/ipp/print", "snmp",
                   "127.0.0.5:16105", "device", "printer2", "name", "Floor 2", "uris",
                   "socket://127.0.0.6:9100", "snmp");
}

static json_t *seal(const sr_site_key *site, const char *tenant, int64_t version) {
  uint8_t key[SR_PRINTER_LIST_KEY_LEN];
  char why[256] = "";
  assert_int_equal(sr_printer_list_key(site, key), SR_OK);
  json_t *list = printers("ipps://127.0.0.5:631/ipp/print");
  json_t *envelope =
      sr_printer_list_seal(key, tenant, "site-1", version, 1700000000, list, why, sizeof why);
  json_decref(list);
  assert_non_null(envelope);
  return envelope;
}

static int open_with(const sr_site_key *site, const char *tenant, const json_t *envelope, char *why,
                     size_t why_size) {
  uint8_t key[SR_PRINTER_LIST_KEY_LEN];
  sr_printer_list *list = NULL;
  assert_int_equal(sr_printer_list_key(site, key), SR_OK);
  int status = sr_printer_list_open(key, tenant, envelope, &list, why, why_size);
  assert_true((status == SR_OK) == (list != NULL));
  sr_printer_list_free(list);
  return status;
}

static sr_site_key *acme, *acme_other_secret;

static int setup(void **state) {
  (void)state;
  acme = key_of(7, "acme");
  acme_other_secret = key_of(8, "acme");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  sr_site_key_free(acme);
  sr_site_key_free(acme_other_secret);
  return 0;
}

static void test_signed_list_names_its_printers(void **state) {
  (void)state;
  uint8_t key[SR_PRINTER_LIST_KEY_LEN];
  char why[256] = "";
  assert_int_equal(sr_printer_list_key(acme, key), SR_OK);
  json_t *envelope = seal(acme, "acme", 5);
  sr_printer_list *list = NULL;
  assert_int_equal(sr_printer_list_open(key, "acme", envelope, &list, why, sizeof why), SR_OK);
  assert_string_equal(sr_printer_list_site(list), "site-1");
  assert_int_equal(sr_printer_list_version(list), 5);
  assert_true(sr_printer_list_allows(list, "printer1", "ipps://127.0.0.5:631/ipp/print", NULL));
  assert_true(
      sr_printer_list_allows(list, "printer1", "ipp://127.0.0.5:631/ipp/print", "127.0.0.5:16105"));
  assert_true(sr_printer_list_allows(list, "printer2", "socket://127.0.0.6:9100", ""));
  /* another device's URI, a URI of no device, an SNMP address not signed */
  assert_false(sr_printer_list_allows(list, "printer2", "ipps://127.0.0.5:631/ipp/print", NULL));
  assert_false(sr_printer_list_allows(list, "printer1", "ipps://10.9.9.9:631/ipp/print", NULL));
  assert_false(sr_printer_list_allows(list, "printer3", "socket://127.0.0.6:9100", NULL));
  assert_false(
      sr_printer_list_allows(list, "printer1", "ipps://127.0.0.5:631/ipp/print", "10.9.9.9:161"));
  assert_false(
      sr_printer_list_allows(list, "printer2", "socket://127.0.0.6:9100", "127.0.0.6:161"));
  sr_printer_list_free(list);
  /* the same printers give the same bytes (canonical): only the version differs */
  json_t *again = seal(acme, "acme", 5);
  assert_true(json_equal(envelope, again));
  json_decref(again);
  json_decref(envelope);
}

/* Every byte of the signed list, changed in turn, is refused. */
static void test_a_changed_byte_is_refused(void **state) {
  (void)state;
  json_t *envelope = seal(acme, "acme", 5);
  const char *b64 = json_string_value(json_object_get(envelope, "list"));
  size_t b64_len = strlen(b64);
  unsigned char *bytes = malloc(b64_len);
  int len = EVP_DecodeBlock(bytes, (const unsigned char *)b64, (int)b64_len);
  len -= (b64[b64_len - 1] == '=') + (b64[b64_len - 2] == '=');
  char *changed = malloc(b64_len + 8), why[256];
  for (int i = 0; i < len; i++) {
    bytes[i] ^= 0x01;
    EVP_EncodeBlock((unsigned char *)changed, bytes, len);
    bytes[i] ^= 0x01;
    json_t *altered =
        json_pack("{s:s, s:O}", "list", changed, "mac", json_object_get(envelope, "mac"));
    assert_int_equal(open_with(acme, "acme", altered, why, sizeof why), SR_ERR_AUTH);
    json_decref(altered);
  }
  assert_non_null(strstr(why, "altered"));
  /* the MAC itself changed */
  json_t *altered = json_deep_copy(envelope);
  char mac[64];
  snprintf(mac, sizeof mac, "%s", json_string_value(json_object_get(envelope, "mac")));
  mac[3] = mac[3] == 'A' ? 'B' : 'A';
  json_object_set_new(altered, "mac", json_string(mac));
  assert_int_equal(open_with(acme, "acme", altered, why, sizeof why), SR_ERR_AUTH);
  /* no envelope at all */
  json_object_del(altered, "mac");
  assert_int_equal(open_with(acme, "acme", altered, why, sizeof why), SR_ERR_CORRUPT);
  json_decref(altered);
  free(changed);
  free(bytes);
  json_decref(envelope);
}

static void test_another_secret_or_tenant_is_refused(void **state) {
  (void)state;
  char why[256];
  json_t *envelope = seal(acme, "acme", 5);
  assert_int_equal(open_with(acme_other_secret, "acme", envelope, why, sizeof why), SR_ERR_AUTH);
  json_decref(envelope);
  /* signed by this secret for another tenant: not this tenant's list */
  envelope = seal(acme, "globex", 5);
  assert_int_equal(open_with(acme, "acme", envelope, why, sizeof why), SR_ERR_INVALID);
  assert_non_null(strstr(why, "globex"));
  json_decref(envelope);
}

static void test_an_older_version_is_refused_after_restart_too(void **state) {
  (void)state;
  char path[] = "/tmp/sr-printer-book-XXXXXX", why[256] = "";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  sr_printer_book *book = sr_printer_book_new(acme, "acme", path, why, sizeof why);
  assert_non_null(book);
  assert_int_equal(sr_printer_book_count(book), 0);
  assert_false(sr_printer_book_allows(book, "printer1", "ipps://127.0.0.5:631/ipp/print", NULL));
  json_t *v5 = seal(acme, "acme", 5), *v7 = seal(acme, "acme", 7);
  assert_int_equal(sr_printer_book_take(book, v7, why, sizeof why), SR_OK);
  assert_true(sr_printer_book_allows(book, "printer1", "ipps://127.0.0.5:631/ipp/print", NULL));
  assert_int_equal(sr_printer_book_take(book, v7, why, sizeof why), SR_OK); /* the same again */
  assert_int_equal(sr_printer_book_take(book, v5, why, sizeof why), SR_ERR_EXISTS);
  assert_non_null(strstr(why, "older"));
  sr_printer_book_free(book);
  /* restarted: the saved list is verified and still the newest */
  book = sr_printer_book_new(acme, "acme", path, why, sizeof why);
  assert_non_null(book);
  assert_int_equal(sr_printer_book_count(book), 1);
  assert_true(sr_printer_book_allows(book, "printer1", "ipps://127.0.0.5:631/ipp/print", NULL));
  assert_int_equal(sr_printer_book_take(book, v5, why, sizeof why), SR_ERR_EXISTS);
  sr_printer_book_free(book);
  /* a saved list altered on disk is not trusted either */
  json_t *doc = NULL;
  assert_int_equal(sr_json_file_read(path, &doc, why, sizeof why), SR_OK);
  json_t *saved = json_array_get(json_object_get(doc, "lists"), 0);
  json_object_set(saved, "list", json_object_get(v5, "list")); /* v5's list, v7's MAC */
  assert_int_equal(sr_json_file_write(path, doc, why, sizeof why), SR_OK);
  json_decref(doc);
  book = sr_printer_book_new(acme, "acme", path, why, sizeof why);
  assert_non_null(book);
  assert_int_equal(sr_printer_book_count(book), 0);
  sr_printer_book_free(book);
  json_decref(v5);
  json_decref(v7);
  unlink(path);
}

/* The hosts the site compares with what its scan found, and what a
 * scout decides with the static list, the signed lists or neither. */
static void test_hosts_and_verdicts(void **state) {
  (void)state;
  char host[256], why[512];
  assert_true(sr_printer_uri_host("ipps://printer7.corp.example:631/ipp/print", host, sizeof host));
  assert_string_equal(host, "printer7.corp.example");
  assert_true(sr_printer_uri_host("socket://[fd00:1::5]:9100", host, sizeof host));
  assert_string_equal(host, "fd00:1::5");
  assert_false(sr_printer_uri_host("not a uri", host, sizeof host));
  assert_true(sr_printer_snmp_host("127.0.0.5:16105", host, sizeof host));
  assert_string_equal(host, "127.0.0.5");
  assert_true(sr_printer_snmp_host("udp:10.1.0.5:161", host, sizeof host));
  assert_string_equal(host, "10.1.0.5");
  assert_true(sr_printer_snmp_host("[fd00:1::5]:161", host, sizeof host));
  assert_string_equal(host, "fd00:1::5");
  assert_true(sr_printer_snmp_host("fd00:1::5", host, sizeof host));
  assert_string_equal(host, "fd00:1::5");
  assert_false(sr_printer_snmp_host("", host, sizeof host));

  const char *const hosts[] = {"127.0.0.5", NULL}, *const none[] = {NULL};
  /* the static list decides alone when set */
  assert_int_equal(
      sr_printer_allowed(hosts, NULL, NULL, "ipp://127.0.0.5/ipp/print", NULL, why, sizeof why),
      SR_PRINTER_ALLOWED);
  assert_int_equal(sr_printer_allowed(hosts, NULL, "printer1", "ipp://127.0.0.6/ipp/print", NULL,
                                      why, sizeof why),
                   SR_PRINTER_REFUSED);
  /* saying what to do about it */
  assert_non_null(strstr(why, "ipp://127.0.0.6/ipp/print is not one of this site's printers"));
  assert_non_null(strstr(why, "add it there, or remove 'printers:'"));
  /* neither: refused, saying what to do */
  assert_int_equal(sr_printer_allowed(none, NULL, "printer1", "ipp://127.0.0.5/ipp/print", NULL,
                                      why, sizeof why),
                   SR_PRINTER_REFUSED);
  assert_non_null(strstr(why, "printers:"));
  /* the signed lists: empty, then holding the site's */
  sr_printer_book *book = sr_printer_book_new(acme, "acme", NULL, why, sizeof why);
  assert_int_equal(sr_printer_allowed(none, book, "printer1", "ipps://127.0.0.5:631/ipp/print",
                                      NULL, why, sizeof why),
                   SR_PRINTER_UNLISTED);
  json_t *envelope = seal(acme, "acme", 5);
  assert_int_equal(sr_printer_book_take(book, envelope, why, sizeof why), SR_OK);
  assert_int_equal(sr_printer_allowed(none, book, "printer1", "ipps://127.0.0.5:631/ipp/print",
                                      "127.0.0.5:16105", why, sizeof why),
                   SR_PRINTER_ALLOWED);
  assert_int_equal(
      sr_printer_allowed(none, book, "printer1", "socket://127.0.0.2:9100", NULL, why, sizeof why),
      SR_PRINTER_UNLISTED);
  assert_non_null(strstr(why, "not on a printer list the site signed"));
  assert_int_equal(
      sr_printer_allowed(none, book, NULL, "ipps://127.0.0.5:631/ipp/print", NULL, why, sizeof why),
      SR_PRINTER_REFUSED);
  json_decref(envelope);
  sr_printer_book_free(book);
}

/* URIs an attacker (the cloud) writes to make another host pass for a
 * vouched one: the host compared is the one the transports connect to
 * (both parse with httpSeparateURI), and any other spelling is refused. */
static void test_odd_hosts_are_not_the_vouched_one(void **state) {
  (void)state;
  char host[256], why[512];
  const char *const hosts[] = {"127.0.0.5", "fd00:1::5", NULL};
  const char *const refused[] = {
      "ipp://127.0.0.5@evil.example/ipp/print", /* userinfo, then the real host */
      "ipp://127.0.0.5:pass@evil.example/",
      "ipp://127.0.0.5./ipp/print",
      "ipp://[::ffff:127.0.0.5]/ipp/print",
      "ipp://0x7f.0.0.5/",
      "ipp://2130706437/",
      "ipp://127.0.0.5%2f@evil/",
      "ipp://[fd00:1:0::5]/",
      "ipp://[fd00:1::5%25eth0]/"};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
    assert_int_equal(sr_printer_allowed(hosts, NULL, NULL, refused[i], NULL, why, sizeof why),
                     SR_PRINTER_REFUSED);
  assert_true(sr_printer_uri_host("ipp://127.0.0.5@evil.example/", host, sizeof host));
  assert_string_equal(host, "evil.example");
  /* userinfo before the vouched host is sent to it, harmlessly */
  assert_int_equal(sr_printer_allowed(hosts, NULL, NULL, "ipp://evil@127.0.0.5/ipp/print", NULL,
                                      why, sizeof why),
                   SR_PRINTER_ALLOWED);
  /* SNMP addresses with a transport other than UDP name no vouched host */
  assert_true(sr_printer_snmp_host("tcp:evil:161", host, sizeof host));
  assert_string_not_equal(host, "evil");
  assert_true(sr_printer_snmp_host("udp6:[fd00:1::5]:161", host, sizeof host));
  assert_string_equal(host, "fd00:1::5");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_signed_list_names_its_printers),
      cmocka_unit_test(test_a_changed_byte_is_refused),
      cmocka_unit_test(test_another_secret_or_tenant_is_refused),
      cmocka_unit_test(test_an_older_version_is_refused_after_restart_too),
      cmocka_unit_test(test_hosts_and_verdicts),
      cmocka_unit_test(test_odd_hosts_are_not_the_vouched_one),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
