/* The OIDC plugin's ID token check: tokens signed here with a key of our
 * own, published in a JWKS, and the same tokens with a wrong issuer,
 * audience, expiry or signature, which must all be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "token_check.h"

#define ISSUER "https://localhost:9999"
#define CLIENT "securerelease-scout"

static EVP_PKEY *key, *other_key;
static json_t *jwks;

static void b64url(const unsigned char *in, size_t len, char *out) {
  unsigned char buf[2048];
  int n = EVP_EncodeBlock(buf, in, (int)len);
  int j = 0;
  for (int i = 0; i < n && buf[i] != '='; i++)
    out[j++] = buf[i] == '+' ? '-' : buf[i] == '/' ? '_' : (char)buf[i];
  out[j] = '\0';
}

static json_t *public_jwk(EVP_PKEY *pkey, const char *kid) {
  BIGNUM *n = NULL, *e = NULL;
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
  unsigned char nb[512], eb[8];
  int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
  char ns[1024], es[16];
  b64url(nb, (size_t)nl, ns);
  b64url(eb, (size_t)el, es);
  BN_free(n);
  BN_free(e);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "kid", kid, "use", "sig", "alg",
                   "RS256", "n", ns, "e", es);
}

/* header.payload.signature, RS256 with `pkey` (NULL: alg none, unsigned) */
static char *make_token(EVP_PKEY *pkey, const char *kid, json_t *claims) {
  json_t *header = pkey ? json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", kid)
                        : json_pack("{s:s, s:s}", "alg", "none", "typ", "JWT");
  char *h = json_dumps(header, JSON_COMPACT), *p = json_dumps(claims, JSON_COMPACT);
  static char token[8192];
  char hs[1024], ps[2048], ss[1024] = "";
  b64url((unsigned char *)h, strlen(h), hs);
  b64url((unsigned char *)p, strlen(p), ps);
  snprintf(token, sizeof token, "%s.%s", hs, ps);
  if (pkey) {
    unsigned char sig[512];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey);
    EVP_DigestSign(md, sig, &sig_len, (unsigned char *)token, strlen(token));
    EVP_MD_CTX_free(md);
    b64url(sig, sig_len, ss);
  }
  size_t n = strlen(token);
  snprintf(token + n, sizeof token - n, ".%s", ss);
  free(h);
  free(p);
  json_decref(header);
  json_decref(claims);
  return token;
}

static json_t *claims(const char *iss, const char *aud, long exp_from_now) {
  time_t now = time(NULL);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "iss", iss, "aud", aud, "sub",
                   "alice-sub", "email", "alice@example.com", "name", "Alice Demo", "iat",
                   (json_int_t)now, "exp", (json_int_t)(now + exp_from_now));
}

static int check(const char *token, char *why) {
  json_t *out = NULL;
  int rc = oidc_check_id_token(jwks, token, ISSUER, CLIENT, time(NULL), &out, why, 300);
  if (rc == 0) {
    assert_string_equal(json_string_value(json_object_get(out, "sub")), "alice-sub");
    json_decref(out);
  } else {
    assert_null(out);
  }
  return rc;
}

static int setup(void **state) {
  (void)state;
  key = EVP_RSA_gen(2048);
  other_key = EVP_RSA_gen(2048);
  jwks = json_pack("{s:[o]}", "keys", public_jwk(key, "k1"));
  return key && other_key && jwks ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  EVP_PKEY_free(key);
  EVP_PKEY_free(other_key);
  json_decref(jwks);
  return 0;
}

static void test_good_token_is_accepted(void **state) {
  (void)state;
  char why[300] = "";
  assert_int_equal(check(make_token(key, "k1", claims(ISSUER, CLIENT, 300)), why), 0);
}

static void test_wrong_issuer_is_refused(void **state) {
  (void)state;
  char why[300] = "";
  assert_int_equal(check(make_token(key, "k1", claims("https://evil.example", CLIENT, 300)), why),
                   -1);
  assert_non_null(strstr(why, "issuer"));
}

static void test_wrong_audience_is_refused(void **state) {
  (void)state;
  char why[300] = "";
  assert_int_equal(check(make_token(key, "k1", claims(ISSUER, "another-client", 300)), why), -1);
  assert_non_null(strstr(why, "not for this client"));
}

static void test_expired_token_is_refused(void **state) {
  (void)state;
  char why[300] = "";
  assert_int_equal(check(make_token(key, "k1", claims(ISSUER, CLIENT, -3600)), why), -1);
  assert_non_null(strstr(why, "expired"));
}

static void test_wrong_signature_is_refused(void **state) {
  (void)state;
  char why[300] = "";
  /* signed by a key the provider does not publish, under its key id */
  assert_int_equal(check(make_token(other_key, "k1", claims(ISSUER, CLIENT, 300)), why), -1);
  assert_non_null(strstr(why, "signature"));
  /* a payload changed after signing */
  char *token = make_token(key, "k1", claims(ISSUER, CLIENT, 300));
  char *dot = strchr(token, '.');
  dot[3] = dot[3] == 'A' ? 'B' : 'A';
  assert_int_equal(check(token, why), -1);
  /* no signature at all */
  assert_int_equal(check(make_token(NULL, "k1", claims(ISSUER, CLIENT, 300)), why), -1);
}

static void test_garbage_is_refused(void **state) {
  (void)state;
  char why[300] = "";
  assert_int_equal(check("not.a.token", why), -1);
  assert_int_equal(check("", why), -1);
  json_t *empty = json_pack("{s:[]}", "keys"), *out = NULL;
  assert_int_equal(oidc_check_id_token(empty, make_token(key, "k1", claims(ISSUER, CLIENT, 300)),
                                       ISSUER, CLIENT, time(NULL), &out, why, sizeof why),
                   -1);
  assert_non_null(strstr(why, "no keys"));
  json_decref(empty);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_token_is_accepted),
      cmocka_unit_test(test_wrong_issuer_is_refused),
      cmocka_unit_test(test_wrong_audience_is_refused),
      cmocka_unit_test(test_expired_token_is_refused),
      cmocka_unit_test(test_wrong_signature_is_refused),
      cmocka_unit_test(test_garbage_is_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
