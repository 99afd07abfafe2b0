/* Scout enrollment certificates: root -> tenant intermediate -> scout leaf,
 * checked with OpenSSL's own chain verification and once with the openssl
 * command line tool. */
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr/abi.h"
#include "x509_issue.h"

/* A root and one tenant intermediate under it. */
typedef struct {
  char *root_cert, *root_key;
  char *inter_cert, *inter_key;
} pki;

static void pki_make(pki *p, const char *tenant) {
  char err[256] = "";
  assert_int_equal(sr_x509_ca_new("Test Root CA", 3650, NULL, NULL, &p->root_cert, &p->root_key,
                                  err, sizeof err),
                   SR_OK);
  assert_int_equal(sr_x509_ca_new(tenant, 1825, p->root_cert, p->root_key, &p->inter_cert,
                                  &p->inter_key, err, sizeof err),
                   SR_OK);
}

static void pki_free(pki *p) {
  free(p->root_cert);
  free(p->root_key);
  free(p->inter_cert);
  free(p->inter_key);
}

/* A fresh scout key and a CSR claiming `csr_cn`. */
static char *make_csr(const char *csr_cn) {
  char err[256] = "", *key = NULL, *csr = NULL;
  assert_int_equal(sr_x509_key_new(&key, err, sizeof err), SR_OK);
  assert_int_equal(sr_x509_csr_new(key, csr_cn, &csr, err, sizeof err), SR_OK);
  free(key);
  return csr;
}

/* Signs a fresh CSR with the tenant CA; fails the test on error. */
static char *make_leaf(const pki *p, const char *cn, sr_x509_usage usage, const char *san) {
  char err[256] = "", *leaf = NULL;
  char *csr = make_csr(cn);
  int status = sr_x509_sign_csr(p->inter_cert, p->inter_key, csr, cn, 365, usage, san, &leaf, err,
                                sizeof err);
  if (status != SR_OK)
    fail_msg("sign_csr: %s", err);
  free(csr);
  return leaf;
}

static X509 *parse_cert(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
  BIO_free(b);
  assert_non_null(x);
  return x;
}

/* X509_verify_cert of `leaf` with `anchor` as the only trusted certificate
 * and `untrusted` (may be NULL) as the chain the client presents. Returns 1
 * if it verifies; *error gets the X509_V_ERR_* code. */
static int verify(const char *anchor, const char *untrusted, const char *leaf, int purpose,
                  unsigned long flags, int *error) {
  X509_STORE *store = X509_STORE_new();
  X509 *anchor_x = parse_cert(anchor), *leaf_x = parse_cert(leaf);
  assert_int_equal(X509_STORE_add_cert(store, anchor_x), 1);
  STACK_OF(X509) *chain = sk_X509_new_null();
  if (untrusted)
    sk_X509_push(chain, parse_cert(untrusted));
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf_x, chain), 1);
  assert_int_equal(X509_STORE_CTX_set_purpose(ctx, purpose), 1);
  if (flags)
    X509_STORE_CTX_set_flags(ctx, flags);
  int ok = X509_verify_cert(ctx);
  *error = X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  sk_X509_pop_free(chain, X509_free);
  X509_free(leaf_x);
  X509_free(anchor_x);
  X509_STORE_free(store);
  return ok;
}

static void test_key_is_unencrypted_pkcs8_p256(void **state) {
  (void)state;
  char err[256] = "", *key = NULL;
  assert_int_equal(sr_x509_key_new(&key, err, sizeof err), SR_OK);
  assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----\n"));
  BIO *b = BIO_new_mem_buf(key, -1);
  EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
  assert_non_null(k);
  char group[64] = "";
  assert_int_equal(EVP_PKEY_get_group_name(k, group, sizeof group, NULL), 1);
  assert_string_equal(group, "prime256v1");
  EVP_PKEY_free(k);
  BIO_free(b);
  free(key);
}

static void test_client_chain_verifies_as_client_not_server(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  char *leaf = make_leaf(&p, "scout-1", SR_X509_CLIENT, NULL);
  int error = 0;
  assert_int_equal(verify(p.root_cert, p.inter_cert, leaf, X509_PURPOSE_SSL_CLIENT, 0, &error), 1);
  assert_int_equal(error, X509_V_OK);
  assert_int_equal(verify(p.root_cert, p.inter_cert, leaf, X509_PURPOSE_SSL_SERVER, 0, &error), 0);
  assert_int_equal(error, X509_V_ERR_INVALID_PURPOSE);
  /* without the intermediate the root alone cannot vouch for the leaf */
  assert_int_equal(verify(p.root_cert, NULL, leaf, X509_PURPOSE_SSL_CLIENT, 0, &error), 0);

  /* the CA certificates are what they claim: a root and a tenant CA that
   * may only sign leaves */
  X509 *root = parse_cert(p.root_cert), *inter = parse_cert(p.inter_cert), *x = parse_cert(leaf);
  assert_int_equal(X509_check_ca(root), 1);
  assert_int_equal(X509_get_pathlen(root), -1);
  assert_int_equal(X509_check_ca(inter), 1);
  assert_int_equal(X509_get_pathlen(inter), 0);
  assert_int_equal(X509_check_ca(x), 0);
  assert_int_equal(X509_check_issued(inter, x), X509_V_OK);
  /* serials are random, positive and long */
  BIGNUM *s1 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(inter), NULL);
  BIGNUM *s2 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
  assert_false(BN_is_negative(s1));
  assert_true(BN_num_bits(s1) >= 120);
  assert_int_not_equal(BN_cmp(s1, s2), 0);
  BN_free(s1);
  BN_free(s2);
  X509_free(x);
  X509_free(inter);
  X509_free(root);
  free(leaf);
  pki_free(&p);
}

static void test_leaf_cn_is_chosen_by_the_cloud(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  char err[256] = "", *leaf = NULL, cn[SR_X509_CN_MAX + 1];
  char *csr = make_csr("evil");
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "scout-1", 365, SR_X509_CLIENT,
                                    NULL, &leaf, err, sizeof err),
                   SR_OK);
  assert_int_equal(sr_x509_cert_cn(leaf, cn, sizeof cn), SR_OK);
  assert_string_equal(cn, "scout-1");
  /* the subject is that CN and nothing else from the CSR */
  X509 *x = parse_cert(leaf);
  assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 1);
  X509_free(x);
  assert_int_equal(sr_x509_cert_cn(p.inter_cert, cn, sizeof cn), SR_OK);
  assert_string_equal(cn, "Tenant A CA");
  /* a CN too long for the buffer is refused rather than cut */
  assert_int_equal(sr_x509_cert_cn(leaf, cn, 4), SR_ERR_INVALID);
  assert_int_equal(sr_x509_cert_cn("not a certificate", cn, sizeof cn), SR_ERR_INVALID);

  /* the CN becomes the MQTT username: topic wildcards and levels refused */
  char *bad = NULL;
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "scout/#", 365, SR_X509_CLIENT,
                                    NULL, &bad, err, sizeof err),
                   SR_ERR_INVALID);
  assert_null(bad);
  assert_non_null(strstr(err, "MQTT username"));
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "", 365, SR_X509_CLIENT, NULL,
                                    &bad, err, sizeof err),
                   SR_ERR_INVALID);
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "scout-1", 0, SR_X509_CLIENT,
                                    NULL, &bad, err, sizeof err),
                   SR_ERR_INVALID);
  assert_null(bad);
  free(csr);
  free(leaf);
  pki_free(&p);
}

static void test_other_tenant_intermediate_does_not_verify(void **state) {
  (void)state;
  pki a, b;
  pki_make(&a, "Tenant A CA");
  pki_make(&b, "Tenant B CA");
  char *leaf_a = make_leaf(&a, "scout-a", SR_X509_CLIENT, NULL);
  char *leaf_b = make_leaf(&b, "scout-b", SR_X509_CLIENT, NULL);
  int error = 0;
  /* a server trusting only tenant B's CA (partial chain allowed so that a
   * non-root anchor counts) accepts B's scouts... */
  assert_int_equal(verify(b.inter_cert, NULL, leaf_b, X509_PURPOSE_SSL_CLIENT,
                          X509_V_FLAG_PARTIAL_CHAIN, &error),
                   1);
  /* ...and not A's, even when A's intermediate comes along */
  assert_int_equal(verify(b.inter_cert, NULL, leaf_a, X509_PURPOSE_SSL_CLIENT,
                          X509_V_FLAG_PARTIAL_CHAIN, &error),
                   0);
  assert_int_equal(error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  assert_int_equal(verify(b.inter_cert, a.inter_cert, leaf_a, X509_PURPOSE_SSL_CLIENT,
                          X509_V_FLAG_PARTIAL_CHAIN, &error),
                   0);
  /* nor against B's whole chain: another root */
  assert_int_equal(verify(b.root_cert, b.inter_cert, leaf_a, X509_PURPOSE_SSL_CLIENT, 0, &error),
                   0);
  free(leaf_a);
  free(leaf_b);
  pki_free(&a);
  pki_free(&b);
}

/* The CSR with the last byte of its DER (inside the signature) flipped. */
static char *tamper_csr(const char *csr) {
  BIO *in = BIO_new_mem_buf(csr, -1);
  X509_REQ *req = PEM_read_bio_X509_REQ(in, NULL, NULL, NULL);
  assert_non_null(req);
  unsigned char *der = NULL;
  int len = i2d_X509_REQ(req, &der);
  assert_true(len > 0);
  der[len - 1] ^= 0x01;
  BIO *out = BIO_new(BIO_s_mem());
  assert_true(PEM_write_bio(out, "CERTIFICATE REQUEST", "", der, len) > 0);
  char *data = NULL;
  long n = BIO_get_mem_data(out, &data);
  char *copy = strndup(data, (size_t)n);
  BIO_free(out);
  OPENSSL_free(der);
  X509_REQ_free(req);
  BIO_free(in);
  return copy;
}

static void test_tampered_csr_refused(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  char err[256] = "", *leaf = NULL;
  char *csr = make_csr("scout-1");
  char *bad = tamper_csr(csr);
  assert_string_not_equal(bad, csr);
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, bad, "scout-1", 365, SR_X509_CLIENT,
                                    NULL, &leaf, err, sizeof err),
                   SR_ERR_CORRUPT);
  assert_null(leaf);
  assert_non_null(strstr(err, "CSR signature is bad"));
  /* the untouched CSR still goes through */
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "scout-1", 365, SR_X509_CLIENT,
                                    NULL, &leaf, err, sizeof err),
                   SR_OK);
  free(leaf);
  free(bad);
  free(csr);
  pki_free(&p);
}

static void test_garbage_refused(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  char err[256] = "", *leaf = NULL, *csr = make_csr("scout-1");
  const char *garbage = "-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all!\n"
                        "-----END CERTIFICATE REQUEST-----\n";
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, garbage, "scout-1", 365,
                                    SR_X509_CLIENT, NULL, &leaf, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "the CSR is not a readable PEM"));
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, "hello", "scout-1", 365,
                                    SR_X509_CLIENT, NULL, &leaf, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "the CSR is not a readable PEM"));
  assert_int_equal(sr_x509_sign_csr("hello", p.inter_key, csr, "scout-1", 365, SR_X509_CLIENT, NULL,
                                    &leaf, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "the CA certificate is not a readable PEM"));
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, "hello", csr, "scout-1", 365, SR_X509_CLIENT,
                                    NULL, &leaf, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "the CA key is not a readable"));
  char *out = NULL;
  assert_int_equal(sr_x509_csr_new("hello", "scout-1", &out, err, sizeof err), SR_ERR_INVALID);
  assert_null(out);
  assert_null(leaf);
  free(csr);
  pki_free(&p);
}

static void test_mismatched_or_unfit_ca_refused(void **state) {
  (void)state;
  pki a, b;
  pki_make(&a, "Tenant A CA");
  pki_make(&b, "Tenant B CA");
  char err[256] = "", *leaf = NULL, *cert = NULL, *key = NULL;
  char *csr = make_csr("scout-1");
  /* tenant A's certificate with tenant B's key */
  assert_int_equal(sr_x509_sign_csr(a.inter_cert, b.inter_key, csr, "scout-1", 365, SR_X509_CLIENT,
                                    NULL, &leaf, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "the CA key does not match the CA certificate"));
  assert_int_equal(
      sr_x509_ca_new("Tenant C CA", 365, a.root_cert, b.root_key, &cert, &key, err, sizeof err),
      SR_ERR_INVALID);
  assert_non_null(strstr(err, "does not match"));
  /* a tenant CA (pathlen:0) may not make another CA */
  assert_int_equal(
      sr_x509_ca_new("Sub CA", 365, a.inter_cert, a.inter_key, &cert, &key, err, sizeof err),
      SR_ERR_INVALID);
  assert_non_null(strstr(err, "pathlen:0"));
  /* a leaf may not sign anything */
  char *scout_key = NULL, *scout_csr = NULL, *scout_cert = NULL;
  assert_int_equal(sr_x509_key_new(&scout_key, err, sizeof err), SR_OK);
  assert_int_equal(sr_x509_csr_new(scout_key, "x", &scout_csr, err, sizeof err), SR_OK);
  assert_int_equal(sr_x509_sign_csr(a.inter_cert, a.inter_key, scout_csr, "scout-2", 365,
                                    SR_X509_CLIENT, NULL, &scout_cert, err, sizeof err),
                   SR_OK);
  assert_int_equal(sr_x509_sign_csr(scout_cert, scout_key, csr, "scout-1", 365, SR_X509_CLIENT,
                                    NULL, &leaf, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "not a CA"));
  assert_null(leaf);
  assert_null(cert);
  assert_null(key);
  free(scout_key);
  free(scout_csr);
  free(scout_cert);
  free(csr);
  pki_free(&a);
  pki_free(&b);
}

/* PEM of a private key made by OpenSSL directly, for key types that
 * sr_x509_key_new does not make. */
static char *foreign_key(EVP_PKEY *k) {
  assert_non_null(k);
  BIO *b = BIO_new(BIO_s_mem());
  assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
  char *data = NULL;
  long n = BIO_get_mem_data(b, &data);
  char *s = strndup(data, (size_t)n);
  BIO_free(b);
  EVP_PKEY_free(k);
  return s;
}

static void test_csr_key_strength(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  struct {
    EVP_PKEY *key;
    int status;
    const char *why;
  } cases[] = {
      {EVP_RSA_gen(1024), SR_ERR_INVALID, "RSA with 1024 bits"},
      {EVP_EC_gen("P-384"), SR_ERR_INVALID, "not on curve P-256"},
      {EVP_RSA_gen(2048), SR_OK, NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[256] = "", *csr = NULL, *leaf = NULL;
    char *key = foreign_key(cases[i].key);
    assert_int_equal(sr_x509_csr_new(key, "scout-1", &csr, err, sizeof err), SR_OK);
    assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "scout-1", 365,
                                      SR_X509_CLIENT, NULL, &leaf, err, sizeof err),
                     cases[i].status);
    if (cases[i].why)
      assert_non_null(strstr(err, cases[i].why));
    else
      assert_non_null(leaf);
    free(leaf);
    free(csr);
    free(key);
  }
  pki_free(&p);
}

static void test_server_leaf_san_matches_host_and_ip(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  char *leaf = make_leaf(&p, "broker", SR_X509_SERVER, "DNS:localhost,IP:127.0.0.1");
  X509 *x = parse_cert(leaf);
  assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
  assert_int_equal(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
  assert_int_equal(X509_check_host(x, "example.com", 0, 0, NULL), 0);
  assert_int_equal(X509_check_ip_asc(x, "127.0.0.2", 0), 0);
  X509_free(x);
  int error = 0;
  assert_int_equal(verify(p.root_cert, p.inter_cert, leaf, X509_PURPOSE_SSL_SERVER, 0, &error), 1);
  assert_int_equal(verify(p.root_cert, p.inter_cert, leaf, X509_PURPOSE_SSL_CLIENT, 0, &error), 0);

  char err[256] = "", *bad = NULL, *csr = make_csr("broker");
  assert_int_equal(sr_x509_sign_csr(p.inter_cert, p.inter_key, csr, "broker", 365, SR_X509_SERVER,
                                    "bogus:localhost", &bad, err, sizeof err),
                   SR_ERR_INVALID);
  assert_non_null(strstr(err, "subjectAltName"));
  assert_null(bad);
  free(csr);
  free(leaf);
  pki_free(&p);
}

static void test_leaf_validity_within_ca(void **state) {
  (void)state;
  char err[256] = "", *root = NULL, *root_key = NULL, *inter = NULL, *inter_key = NULL;
  char *leaf = NULL, *csr = make_csr("scout-1");
  assert_int_equal(sr_x509_ca_new("Root", 3650, NULL, NULL, &root, &root_key, err, sizeof err),
                   SR_OK);
  assert_int_equal(
      sr_x509_ca_new("Short CA", 30, root, root_key, &inter, &inter_key, err, sizeof err), SR_OK);
  assert_int_equal(sr_x509_sign_csr(inter, inter_key, csr, "scout-1", 365, SR_X509_CLIENT, NULL,
                                    &leaf, err, sizeof err),
                   SR_OK);
  X509 *ca = parse_cert(inter), *x = parse_cert(leaf);
  /* asked for a year, capped at the CA's 30 days */
  assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca)), 0);
  /* backdated for clock skew: already valid four minutes ago */
  time_t four_min_ago = time(NULL) - 4 * 60;
  assert_true(X509_cmp_time(X509_get0_notBefore(x), &four_min_ago) < 0);
  X509_free(x);
  X509_free(ca);
  free(leaf);
  free(csr);
  free(root);
  free(root_key);
  free(inter);
  free(inter_key);
}

static void test_chain_pem(void **state) {
  (void)state;
  char *chain = NULL;
  assert_int_equal(sr_x509_chain_pem("A\n", "B\n", &chain), SR_OK);
  assert_string_equal(chain, "A\nB\n");
  free(chain);
  assert_int_equal(sr_x509_chain_pem("A", "B\n", &chain), SR_OK);
  assert_string_equal(chain, "A\nB\n");
  free(chain);
  assert_int_equal(sr_x509_chain_pem(NULL, "B\n", &chain), SR_ERR_INVALID);
  assert_null(chain);
}

static void write_file(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fputs(text, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  unlink(path);
}

/* An independent verifier: the openssl command line tool. */
static void test_openssl_cli_verifies_chain(void **state) {
  (void)state;
  pki p;
  pki_make(&p, "Tenant A CA");
  char *leaf = make_leaf(&p, "scout-1", SR_X509_CLIENT, NULL), *chain = NULL;
  assert_int_equal(sr_x509_chain_pem(leaf, p.inter_cert, &chain), SR_OK);
  char dir[] = "/tmp/sr-x509-XXXXXX";
  assert_non_null(mkdtemp(dir));
  write_file(dir, "root.pem", p.root_cert);
  write_file(dir, "inter.pem", p.inter_cert);
  write_file(dir, "leaf.pem", leaf);
  write_file(dir, "chain.pem", chain);

  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "openssl verify -CAfile %s/root.pem -untrusted %s/inter.pem %s/leaf.pem", dir, dir, dir);
  int rc = system(cmd);
  assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
  /* what a scout presents: leaf + intermediate in one file */
  snprintf(cmd, sizeof cmd,
           "openssl verify -purpose sslclient -CAfile %s/root.pem -untrusted %s/chain.pem "
           "%s/leaf.pem",
           dir, dir, dir);
  rc = system(cmd);
  assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
  /* and the tool agrees the root alone is not enough */
  snprintf(cmd, sizeof cmd, "openssl verify -CAfile %s/root.pem %s/leaf.pem >/dev/null 2>&1", dir,
           dir);
  rc = system(cmd);
  assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) != 0);

  remove_file(dir, "root.pem");
  remove_file(dir, "inter.pem");
  remove_file(dir, "leaf.pem");
  remove_file(dir, "chain.pem");
  assert_int_equal(rmdir(dir), 0);
  free(chain);
  free(leaf);
  pki_free(&p);
}

/* Signs a fresh CSR as tenant CA `ca` would for scout `cn` of `org`. */
static char *scout_leaf(const char *ca_cert, const char *ca_key, const char *org, const char *cn) {
  char err[256] = "", *leaf = NULL, *csr = make_csr("whatever the scout asks");
  int status = sr_x509_sign_scout_csr(ca_cert, ca_key, csr, org, cn, 365, &leaf, err, sizeof err);
  free(csr);
  if (status != SR_OK)
    fail_msg("sign_scout_csr: %s", err);
  return leaf;
}

static char *leaf_der(const char *pem, size_t *len) {
  X509 *x = parse_cert(pem);
  unsigned char *der = NULL;
  int n = i2d_X509(x, &der);
  assert_true(n > 0);
  X509_free(x);
  *len = (size_t)n;
  return (char *)der;
}

/* Whoever holds one tenant's CA key can name nothing outside that tenant:
 * not another tenant's scout (subject O=other), not the cloud (no O), and
 * the cloud's own check finds the issuing tenant whatever the CN says. */
static void test_tenant_ca_names_only_its_tenant(void **state) {
  (void)state;
  pki root;
  char err[256] = "", *a_cert, *a_key, *b_cert, *b_key;
  pki_make(&root, "unused");
  assert_int_equal(sr_x509_tenant_ca_new("tenant-a", 365, root.root_cert, root.root_key, &a_cert,
                                         &a_key, err, sizeof err),
                   SR_OK);
  assert_int_equal(sr_x509_tenant_ca_new("tenant-b", 365, root.root_cert, root.root_key, &b_cert,
                                         &b_key, err, sizeof err),
                   SR_OK);
  /* the constraint is there, critical */
  X509 *ca = parse_cert(a_cert);
  int crit = -1;
  NAME_CONSTRAINTS *nc = X509_get_ext_d2i(ca, NID_name_constraints, &crit, NULL);
  assert_non_null(nc);
  assert_int_equal(crit, 1);
  NAME_CONSTRAINTS_free(nc);
  X509_free(ca);

  int error = 0;
  char *own = scout_leaf(a_cert, a_key, "tenant-a", "s-1");
  assert_int_equal(verify(root.root_cert, a_cert, own, X509_PURPOSE_SSL_CLIENT, 0, &error), 1);
  char name[256];
  assert_int_equal(sr_x509_mqtt_username(own, name, sizeof name), SR_OK);
  assert_string_equal(name, "CN=s-1,O=tenant-a");

  /* tenant A's key signing for tenant B's scout, or for the cloud */
  char *forged_b = scout_leaf(a_cert, a_key, "tenant-b", "s-2");
  assert_int_equal(verify(root.root_cert, a_cert, forged_b, X509_PURPOSE_SSL_CLIENT, 0, &error), 0);
  assert_int_equal(error, X509_V_ERR_PERMITTED_VIOLATION);
  char *csr = make_csr("sr-cloud"), *forged_cloud = NULL;
  assert_int_equal(sr_x509_sign_csr(a_cert, a_key, csr, "sr-cloud", 365, SR_X509_CLIENT, NULL,
                                    &forged_cloud, err, sizeof err),
                   SR_OK);
  assert_int_equal(verify(root.root_cert, a_cert, forged_cloud, X509_PURPOSE_SSL_CLIENT, 0, &error),
                   0);
  assert_int_equal(error, X509_V_ERR_PERMITTED_VIOLATION);

  /* the cloud's issuer check: right CA and tenant only */
  size_t len;
  char *der = leaf_der(own, &len);
  assert_int_equal(sr_x509_der_issued_by((unsigned char *)der, len, "tenant-a", a_cert), SR_OK);
  assert_int_equal(sr_x509_der_issued_by((unsigned char *)der, len, "tenant-b", b_cert),
                   SR_ERR_AUTH);
  assert_int_equal(sr_x509_der_issued_by((unsigned char *)der, len, "tenant-b", a_cert),
                   SR_ERR_AUTH);
  OPENSSL_free(der);
  char *b_own = scout_leaf(b_cert, b_key, "tenant-b", "s-1");
  der = leaf_der(b_own, &len);
  assert_int_equal(sr_x509_der_issued_by((unsigned char *)der, len, "tenant-a", a_cert),
                   SR_ERR_AUTH);
  OPENSSL_free(der);
  assert_int_equal(sr_x509_der_issued_by((const unsigned char *)"junk", 4, "tenant-a", a_cert),
                   SR_ERR_INVALID);

  free(b_own);
  free(csr);
  free(forged_cloud);
  free(forged_b);
  free(own);
  free(a_cert);
  free(a_key);
  free(b_cert);
  free(b_key);
  pki_free(&root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_is_unencrypted_pkcs8_p256),
      cmocka_unit_test(test_client_chain_verifies_as_client_not_server),
      cmocka_unit_test(test_leaf_cn_is_chosen_by_the_cloud),
      cmocka_unit_test(test_other_tenant_intermediate_does_not_verify),
      cmocka_unit_test(test_tampered_csr_refused),
      cmocka_unit_test(test_garbage_refused),
      cmocka_unit_test(test_mismatched_or_unfit_ca_refused),
      cmocka_unit_test(test_csr_key_strength),
      cmocka_unit_test(test_server_leaf_san_matches_host_and_ip),
      cmocka_unit_test(test_leaf_validity_within_ca),
      cmocka_unit_test(test_chain_pem),
      cmocka_unit_test(test_openssl_cli_verifies_chain),
      cmocka_unit_test(test_tenant_ca_names_only_its_tenant),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
