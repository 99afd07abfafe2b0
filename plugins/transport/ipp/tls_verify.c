#include "tls_verify.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

bool ipp_tls_fingerprint(cups_array_t *creds, char *out, size_t out_size) {
  http_credential_t *leaf = cupsArrayFirst(creds);
  unsigned char md[32];
  unsigned int len = 0;
  if (!leaf || out_size < 96 ||
      !EVP_Digest(leaf->data, leaf->datalen, md, &len, EVP_sha256(), NULL))
    return false;
  for (unsigned i = 0; i < len; i++)
    snprintf(out + 3 * i, 4, i + 1 < len ? "%02X:" : "%02X", md[i]);
  return true;
}

/* Compares fingerprints ignoring case and ':' separators. */
static bool same_fingerprint(const char *a, const char *b) {
  for (;;) {
    while (*a == ':')
      a++;
    while (*b == ':')
      b++;
    if (!*a || !*b)
      return !*a && !*b;
    if (toupper((unsigned char)*a++) != toupper((unsigned char)*b++))
      return false;
  }
}

static X509 *der_to_x509(const http_credential_t *c) {
  const unsigned char *p = c->data;
  return d2i_X509(NULL, &p, (long)c->datalen);
}

bool ipp_tls_verify(cups_array_t *creds, const char *host, const char *ca_file,
                    const char *fingerprint, char *why, size_t why_size) {
  if (!creds || !cupsArrayFirst(creds)) {
    snprintf(why, why_size, "the printer presented no certificate");
    return false;
  }
  if (fingerprint && *fingerprint) {
    char actual[96];
    if (!ipp_tls_fingerprint(creds, actual, sizeof actual) ||
        !same_fingerprint(actual, fingerprint)) {
      snprintf(why, why_size, "certificate fingerprint %s is not the configured one", actual);
      return false;
    }
  }
  if (!ca_file || !*ca_file)
    return true;

  bool ok = false;
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  STACK_OF(X509) *chain = sk_X509_new_null();
  X509 *leaf = NULL;
  if (!store || !ctx || !chain || X509_STORE_load_file(store, ca_file) != 1) {
    snprintf(why, why_size, "cannot load the CA file %s", ca_file);
    goto out;
  }
  for (http_credential_t *c = cupsArrayFirst(creds); c; c = cupsArrayNext(creds)) {
    X509 *x = der_to_x509(c);
    if (!x) {
      snprintf(why, why_size, "the printer sent an unreadable certificate");
      goto out;
    }
    if (!leaf)
      leaf = x;
    else
      sk_X509_push(chain, x);
  }
  X509_VERIFY_PARAM *param = X509_STORE_get0_param(store);
  /* An IP address is checked as one, a name as a DNS name. */
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
    X509_VERIFY_PARAM_set1_host(param, host, 0);
  if (X509_STORE_CTX_init(ctx, store, leaf, chain) != 1)
    goto out;
  if (X509_verify_cert(ctx) == 1) {
    ok = true;
  } else {
    snprintf(why, why_size, "certificate not trusted: %s",
             X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
  }
out:
  X509_free(leaf);
  sk_X509_pop_free(chain, X509_free);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return ok;
}
