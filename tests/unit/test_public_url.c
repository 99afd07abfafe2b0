/* The release page's base URL (docs/devices.md, "Labels"): what a site's
 * panel.public_url, a heartbeat and srctl's --base-url accept, and the
 * default a site derives from its panel listener. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "address_check.h"
#include "public_url.h"

static void accepts_https_hosts_ports_and_paths(void **state) {
  (void)state;
  static const char *const good[] = {"https://print.example.com",
                                     "https://print.example.com:9443",
                                     "https://10.0.4.2:9443",
                                     "https://[2001:db8::7]:9443",
                                     "https://[::1]",
                                     "https://proxy.example.com/secure-print",
                                     "https://proxy.example.com/a/b-c_d",
                                     "https://localhost:1"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    assert_true(sr_release_base_url_ok(good[i]));
}

static void refuses_what_a_label_must_not_carry(void **state) {
  (void)state;
  static const char *const bad[] = {NULL,
                                    "",
                                    "https://",
                                    "http://print.example.com",        /* no TLS */
                                    "print.example.com",               /* no scheme */
                                    "https://print.example.com/",      /* "/r/ID" is appended */
                                    "https://print.example.com/x?a=1", /* a query */
                                    "https://print.example.com/x#top", /* a fragment */
                                    "https://print.example.com/a b",   /* a space */
                                    "https://print.example.com/\"><x", /* markup */
                                    "https://print.example.com:0",     /* no such port */
                                    "https://print.example.com:65536", /* nor this */
                                    "https://exa mple.com",            /* not a host */
                                    "https://[zz::1]",                 /* not an address */
                                    "https://user@print.example.com",  /* credentials */
                                    "javascript:alert(1)"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_false(sr_release_base_url_ok(bad[i]));
  char longest[SR_BASE_URL_MAX + 2] = "https://a.example.com/";
  size_t n = strlen(longest);
  while (n < SR_BASE_URL_MAX)
    longest[n++] = 'x';
  longest[n] = '\0';
  assert_true(sr_release_base_url_ok(longest));
  longest[n++] = 'x';
  longest[n] = '\0';
  assert_false(sr_release_base_url_ok(longest));
}

static void default_is_the_listener(void **state) {
  (void)state;
  char url[SR_BASE_URL_MAX + 1], err[256];
  site_public_url(NULL, "127.0.0.1", 9443, url, sizeof url);
  assert_string_equal(url, "https://127.0.0.1:9443");
  site_public_url(NULL, "print.example.com", 443, url, sizeof url);
  assert_string_equal(url, "https://print.example.com:443");
  site_public_url(NULL, "2001:db8::7", 9443, url, sizeof url); /* in brackets */
  assert_string_equal(url, "https://[2001:db8::7]:9443");
  assert_true(sr_release_base_url_ok(url));
  /* a wildcard address names no host: none, rather than a dead link */
  site_public_url(NULL, "0.0.0.0", 9443, url, sizeof url);
  assert_string_equal(url, "");
  site_public_url(NULL, "::", 9443, url, sizeof url);
  assert_string_equal(url, "");
  /* configured: as written, checked first */
  assert_true(site_public_url_check("https://print.example.com", err, sizeof err));
  site_public_url("https://print.example.com", "0.0.0.0", 9443, url, sizeof url);
  assert_string_equal(url, "https://print.example.com");
  assert_true(site_public_url_check(NULL, err, sizeof err));
  assert_false(site_public_url_check("https://print.example.com/", err, sizeof err));
  assert_non_null(strstr(err, "panel.public_url"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(accepts_https_hosts_ports_and_paths),
      cmocka_unit_test(refuses_what_a_label_must_not_carry),
      cmocka_unit_test(default_is_the_listener),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
