#include "x509_issue.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr/abi.h"

/* Certificates start this long ago so that a peer whose clock is a little
 * behind does not reject them as "not yet valid". */
#define SKEW_SECONDS (5 * 60)

/* Formats the message, adds OpenSSL's reason when it has one (it often says
 * what was wrong with the input), and clears OpenSSL's error queue so that
 * the next caller does not see stale errors. Returns `status`. */
SR_PRINTF(4, 5)
static int fail(char *err, size_t err_size, int status, const char *fmt, ...) {
  if (err && err_size > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    size_t n = strlen(err);
    if (reason && n < err_size)
      snprintf(err + n, err_size - n, " (%s)", reason);
  }
  ERR_clear_error();
  return status;
}

/* Keys are never encrypted here; without this callback OpenSSL would prompt
 * on the terminal for a passphrase when given an encrypted key. */
static int no_password(char *buf, int size, int rwflag, void *u) {
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

static EVP_PKEY *read_key(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *key = b ? PEM_read_bio_PrivateKey(b, NULL, no_password, NULL) : NULL;
  BIO_free(b);
  return key;
}

static X509 *read_cert(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *cert = b ? PEM_read_bio_X509(b, NULL, no_password, NULL) : NULL;
  BIO_free(b);
  return cert;
}

static X509_REQ *read_csr(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509_REQ *req = b ? PEM_read_bio_X509_REQ(b, NULL, no_password, NULL) : NULL;
  BIO_free(b);
  return req;
}

/* The memory BIO's contents as a malloc'd NUL-terminated string. */
static char *bio_string(BIO *b) {
  char *data = NULL;
  long n = BIO_get_mem_data(b, &data);
  if (n < 0 || !data)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  memcpy(s, data, (size_t)n);
  s[n] = '\0';
  return s;
}

static char *key_pem(EVP_PKEY *key) {
  /* secmem: OpenSSL wipes the key's PEM text when the BIO is freed */
  BIO *b = BIO_new(BIO_s_secmem());
  char *s = NULL;
  if (b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1)
    s = bio_string(b);
  BIO_free(b);
  return s;
}

static char *cert_pem(X509 *cert) {
  BIO *b = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (b && PEM_write_bio_X509(b, cert) == 1)
    s = bio_string(b);
  BIO_free(b);
  return s;
}

static char *csr_pem(X509_REQ *req) {
  BIO *b = BIO_new(BIO_s_mem());
  char *s = NULL;
  if (b && PEM_write_bio_X509_REQ(b, req) == 1)
    s = bio_string(b);
  BIO_free(b);
  return s;
}

/* A leaf's CN becomes the MQTT username, which ACL patterns substitute into
 * topics (%u): '/', '+' and '#' there would widen what it may access. */
static int check_cn(const char *cn, int leaf, char *err, size_t err_size) {
  if (!cn || !*cn)
    return fail(err, err_size, SR_ERR_INVALID, "the CN is empty");
  if (strlen(cn) > SR_X509_CN_MAX)
    return fail(err, err_size, SR_ERR_INVALID, "the CN is longer than %d bytes", SR_X509_CN_MAX);
  for (const unsigned char *p = (const unsigned char *)cn; *p; p++) {
    if (*p < 0x20 || *p == 0x7f)
      return fail(err, err_size, SR_ERR_INVALID, "the CN contains a control character");
    if (leaf && (*p == '/' || *p == '+' || *p == '#'))
      return fail(err, err_size, SR_ERR_INVALID,
                  "the CN may not contain '/', '+' or '#' (it becomes the MQTT username)");
  }
  return SR_OK;
}

static int check_days(int days, char *err, size_t err_size) {
  if (days < 1 || days > SR_X509_DAYS_MAX)
    return fail(err, err_size, SR_ERR_INVALID, "validity must be 1 to %d days, not %d",
                SR_X509_DAYS_MAX, days);
  return SR_OK;
}

/* O=org (when org is not NULL), then CN=cn: the tenant comes first so that a
 * tenant CA's name constraint (a prefix of the subject) can require it. */
static X509_NAME *subject_name(const char *org, const char *cn) {
  X509_NAME *name = X509_NAME_new();
  if (name && ((org && X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8,
                                                  (const unsigned char *)org, -1, -1, 0) != 1) ||
               X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                          (const unsigned char *)cn, -1, -1, 0) != 1)) {
    X509_NAME_free(name);
    return NULL;
  }
  return name;
}

static X509_NAME *cn_name(const char *cn) { return subject_name(NULL, cn); }

/* A critical nameConstraints extension permitting only subjects that begin
 * with O=org: whoever holds this CA's key can name nothing outside it. */
static int add_org_constraint(X509 *cert, const char *org) {
  NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
  GENERAL_SUBTREE *tree = GENERAL_SUBTREE_new();
  GENERAL_NAME *base = GENERAL_NAME_new();
  X509_NAME *dir = X509_NAME_new();
  int ok = 0;
  if (nc && tree && base && dir &&
      X509_NAME_add_entry_by_NID(dir, NID_organizationName, MBSTRING_UTF8,
                                 (const unsigned char *)org, -1, -1, 0) == 1) {
    GENERAL_NAME_set0_value(base, GEN_DIRNAME, dir);
    dir = NULL;
    GENERAL_NAME_free(tree->base);
    tree->base = base;
    base = NULL;
    nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
    if (nc->permittedSubtrees && sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, tree) > 0) {
      tree = NULL;
      ok = X509_add1_ext_i2d(cert, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) == 1;
    }
  }
  X509_NAME_free(dir);
  GENERAL_NAME_free(base);
  GENERAL_SUBTREE_free(tree);
  NAME_CONSTRAINTS_free(nc);
  return ok;
}

/* 127 random bits: positive (top bit clear) and never short, as CAs/B
 * Forum rules want at least 64 unpredictable bits. */
static int set_serial(X509 *cert) {
  unsigned char buf[16];
  if (RAND_bytes(buf, sizeof buf) != 1)
    return 0;
  buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40);
  BIGNUM *bn = BN_bin2bn(buf, sizeof buf, NULL);
  ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
  int ok = serial && X509_set_serialNumber(cert, serial) == 1;
  ASN1_INTEGER_free(serial);
  BN_free(bn);
  return ok;
}

/* A certificate outliving its issuer would only fail verification later, so
 * the end is capped at the issuer's. */
static int set_validity(X509 *cert, int days, const X509 *issuer) {
  if (!X509_gmtime_adj(X509_getm_notBefore(cert), -SKEW_SECONDS) ||
      !X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL))
    return 0;
  if (issuer && ASN1_TIME_compare(X509_get0_notAfter(cert), X509_get0_notAfter(issuer)) > 0)
    return X509_set1_notAfter(cert, X509_get0_notAfter(issuer)) == 1;
  return 1;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  int ok = ext && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/* The common part of every certificate made here: v3, random serial,
 * subject [O=org,] CN=cn, issuer's subject (or its own), public key, validity. */
static X509 *new_cert(const char *org, const char *cn, int days, X509 *issuer, EVP_PKEY *pub) {
  X509 *cert = X509_new();
  X509_NAME *name = subject_name(org, cn);
  int ok = cert && name && X509_set_version(cert, X509_VERSION_3) == 1 && set_serial(cert) &&
           X509_set_subject_name(cert, name) == 1 &&
           X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) == 1 &&
           X509_set_pubkey(cert, pub) == 1 && set_validity(cert, days, issuer);
  X509_NAME_free(name);
  if (!ok) {
    X509_free(cert);
    return NULL;
  }
  return cert;
}

/* Loads an issuing CA and refuses one that cannot issue: unreadable, key
 * not its own, not a CA, or expired. On SR_OK the caller frees both. */
static int load_ca(const char *ca_cert_pem, const char *ca_key_pem, X509 **ca, EVP_PKEY **key,
                   char *err, size_t err_size) {
  *ca = read_cert(ca_cert_pem);
  if (!*ca)
    return fail(err, err_size, SR_ERR_INVALID, "the CA certificate is not a readable PEM");
  *key = read_key(ca_key_pem);
  int status = SR_OK;
  if (!*key)
    status = fail(err, err_size, SR_ERR_INVALID,
                  "the CA key is not a readable unencrypted PEM private key");
  else if (X509_check_private_key(*ca, *key) != 1)
    status = fail(err, err_size, SR_ERR_INVALID, "the CA key does not match the CA certificate");
  else if (X509_check_ca(*ca) != 1)
    status = fail(err, err_size, SR_ERR_INVALID,
                  "the CA certificate is not a CA (needs CA:TRUE and keyCertSign)");
  else if (X509_cmp_current_time(X509_get0_notAfter(*ca)) <= 0)
    status = fail(err, err_size, SR_ERR_INVALID, "the CA certificate has expired");
  if (status != SR_OK) {
    X509_free(*ca);
    EVP_PKEY_free(*key);
    *ca = NULL;
    *key = NULL;
  }
  return status;
}

int sr_x509_key_new(char **out, char *err, size_t err_size) {
  if (!out)
    return fail(err, err_size, SR_ERR_INVALID, "no place for the key");
  *out = NULL;
  ERR_clear_error();
  EVP_PKEY *key = EVP_EC_gen(SN_X9_62_prime256v1);
  if (key)
    *out = key_pem(key);
  EVP_PKEY_free(key);
  if (!*out)
    return fail(err, err_size, SR_ERR_NOMEM, "could not make a P-256 key");
  return SR_OK;
}

int sr_x509_csr_new(const char *key_text, const char *cn, char **out, char *err, size_t err_size) {
  if (!out || !key_text)
    return fail(err, err_size, SR_ERR_INVALID, "a key and a place for the CSR are needed");
  *out = NULL;
  ERR_clear_error();
  int status = check_cn(cn, 0, err, err_size);
  if (status != SR_OK)
    return status;
  EVP_PKEY *key = read_key(key_text);
  if (!key)
    return fail(err, err_size, SR_ERR_INVALID, "the key is not a readable unencrypted PEM");
  X509_REQ *req = X509_REQ_new();
  X509_NAME *name = cn_name(cn);
  if (!req || !name)
    status = fail(err, err_size, SR_ERR_NOMEM, "could not build the CSR");
  else if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
           X509_REQ_set_subject_name(req, name) != 1 || X509_REQ_set_pubkey(req, key) != 1 ||
           X509_REQ_sign(req, key, EVP_sha256()) <= 0)
    status = fail(err, err_size, SR_ERR_INVALID, "could not sign the CSR with this key");
  else if (!(*out = csr_pem(req)))
    status = fail(err, err_size, SR_ERR_NOMEM, "could not write the CSR");
  X509_NAME_free(name);
  X509_REQ_free(req);
  EVP_PKEY_free(key);
  return status;
}

static int ca_new(const char *cn, const char *constraint_org, int days, const char *issuer_cert_pem,
                  const char *issuer_key_pem, char **cert_out, char **key_out, char *err,
                  size_t err_size) {
  if (!cert_out || !key_out)
    return fail(err, err_size, SR_ERR_INVALID, "no place for the CA certificate and key");
  *cert_out = NULL;
  *key_out = NULL;
  ERR_clear_error();
  int status = check_cn(cn, 0, err, err_size);
  if (status == SR_OK)
    status = check_days(days, err, err_size);
  if (status != SR_OK)
    return status;
  if (!issuer_cert_pem != !issuer_key_pem)
    return fail(err, err_size, SR_ERR_INVALID,
                "give both the issuer certificate and its key, or neither for a root");

  X509 *issuer = NULL, *cert = NULL;
  EVP_PKEY *issuer_key = NULL, *key = NULL;
  if (issuer_cert_pem) {
    status = load_ca(issuer_cert_pem, issuer_key_pem, &issuer, &issuer_key, err, err_size);
    if (status != SR_OK)
      goto out;
    /* a pathlen:0 issuer (a tenant CA) may only sign leaves */
    if (X509_get_pathlen(issuer) == 0) {
      status = fail(err, err_size, SR_ERR_INVALID,
                    "the issuer has pathlen:0 and may not sign another CA");
      goto out;
    }
  }
  key = EVP_EC_gen(SN_X9_62_prime256v1);
  cert = key ? new_cert(NULL, cn, days, issuer, key) : NULL;
  X509 *signer = issuer ? issuer : cert;
  if (!cert ||
      !add_ext(cert, signer, NID_basic_constraints,
               issuer ? "critical,CA:TRUE,pathlen:0" : "critical,CA:TRUE") ||
      !add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_ext(cert, signer, NID_subject_key_identifier, "hash") ||
      (issuer && !add_ext(cert, signer, NID_authority_key_identifier, "keyid:always")) ||
      (constraint_org && !add_org_constraint(cert, constraint_org)) ||
      X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()) <= 0) {
    status = fail(err, err_size, SR_ERR_NOMEM, "could not build the CA certificate");
    goto out;
  }
  *cert_out = cert_pem(cert);
  *key_out = key_pem(key);
  if (!*cert_out || !*key_out) {
    free(*cert_out);
    free(*key_out);
    *cert_out = NULL;
    *key_out = NULL;
    status = fail(err, err_size, SR_ERR_NOMEM, "could not write the CA certificate and key");
  }
out:
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_free(issuer);
  EVP_PKEY_free(issuer_key);
  return status;
}

/* Only keys that TLS peers accept and that resist factoring/DLP today. */
static int check_csr_key(EVP_PKEY *key, int *is_rsa, char *err, size_t err_size) {
  int type = EVP_PKEY_get_base_id(key);
  *is_rsa = type == EVP_PKEY_RSA;
  if (type == EVP_PKEY_EC) {
    char group[64] = "";
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 ||
        strcmp(group, SN_X9_62_prime256v1) != 0)
      return fail(err, err_size, SR_ERR_INVALID, "the CSR key is EC but not on curve P-256 (%s)",
                  group[0] ? group : "unnamed curve");
    return SR_OK;
  }
  if (type == EVP_PKEY_RSA) {
    int bits = EVP_PKEY_get_bits(key);
    if (bits < 2048)
      return fail(err, err_size, SR_ERR_INVALID,
                  "the CSR key is RSA with %d bits; at least 2048 are needed", bits);
    return SR_OK;
  }
  return fail(err, err_size, SR_ERR_INVALID,
              "the CSR key is neither EC P-256 nor RSA of at least 2048 bits");
}

int sr_x509_ca_new(const char *cn, int days, const char *issuer_cert_pem,
                   const char *issuer_key_pem, char **cert_out, char **key_out, char *err,
                   size_t err_size) {
  return ca_new(cn, NULL, days, issuer_cert_pem, issuer_key_pem, cert_out, key_out, err, err_size);
}

int sr_x509_tenant_ca_new(const char *tenant, int days, const char *issuer_cert_pem,
                          const char *issuer_key_pem, char **cert_out, char **key_out, char *err,
                          size_t err_size) {
  if (!issuer_cert_pem || !issuer_key_pem || !cert_out || !key_out)
    return fail(err, err_size, SR_ERR_INVALID, "a tenant CA needs an issuer and a place for it");
  int status = check_cn(tenant, 1, err, err_size);
  if (status != SR_OK)
    return status;
  char cn[SR_X509_CN_MAX + 1];
  snprintf(cn, sizeof cn, "securerelease tenant %.40s", tenant);
  return ca_new(cn, tenant, days, issuer_cert_pem, issuer_key_pem, cert_out, key_out, err,
                err_size);
}

static int sign_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_text,
                    const char *org, const char *cn, int days, sr_x509_usage usage, const char *san,
                    char **out, char *err, size_t err_size) {
  if (!out)
    return fail(err, err_size, SR_ERR_INVALID, "no place for the certificate");
  *out = NULL;
  ERR_clear_error();
  if (!ca_cert_pem || !ca_key_pem || !csr_text)
    return fail(err, err_size, SR_ERR_INVALID, "a CA certificate, its key and a CSR are needed");
  if (usage != SR_X509_CLIENT && usage != SR_X509_SERVER)
    return fail(err, err_size, SR_ERR_INVALID, "unknown certificate usage %d", (int)usage);
  if (san && !*san)
    return fail(err, err_size, SR_ERR_INVALID, "the subjectAltName is empty");
  int status = check_cn(cn, 1, err, err_size);
  if (status == SR_OK)
    status = check_days(days, err, err_size);
  if (status != SR_OK)
    return status;

  X509 *ca = NULL, *cert = NULL;
  EVP_PKEY *ca_key = NULL;
  X509_REQ *req = NULL;
  status = load_ca(ca_cert_pem, ca_key_pem, &ca, &ca_key, err, err_size);
  if (status != SR_OK)
    goto out;
  req = read_csr(csr_text);
  if (!req) {
    status = fail(err, err_size, SR_ERR_INVALID, "the CSR is not a readable PEM");
    goto out;
  }
  EVP_PKEY *pub = X509_REQ_get0_pubkey(req);
  if (!pub) {
    status = fail(err, err_size, SR_ERR_INVALID, "the CSR's public key is unreadable");
    goto out;
  }
  int is_rsa = 0;
  status = check_csr_key(pub, &is_rsa, err, err_size);
  if (status != SR_OK)
    goto out;
  /* proves the requester holds the private key and the CSR is unaltered */
  if (X509_REQ_verify(req, pub) != 1) {
    status = fail(err, err_size, SR_ERR_CORRUPT,
                  "the CSR signature is bad (altered, or not signed by its own key)");
    goto out;
  }

  /* the subject comes from `cn`; nothing else is taken from the CSR */
  cert = new_cert(org, cn, days, ca, pub);
  if (!cert || !add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_ext(cert, ca, NID_key_usage,
               is_rsa ? "critical,digitalSignature,keyEncipherment"
                      : "critical,digitalSignature") ||
      !add_ext(cert, ca, NID_ext_key_usage,
               usage == SR_X509_SERVER ? "serverAuth" : "clientAuth") ||
      !add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
      !add_ext(cert, ca, NID_authority_key_identifier, "keyid:always")) {
    status = fail(err, err_size, SR_ERR_NOMEM, "could not build the certificate");
    goto out;
  }
  if (san && !add_ext(cert, ca, NID_subject_alt_name, san)) {
    status = fail(err, err_size, SR_ERR_INVALID,
                  "the subjectAltName \"%s\" is not valid (use e.g. DNS:host,IP:127.0.0.1)", san);
    goto out;
  }
  if (X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
    status = fail(err, err_size, SR_ERR_NOMEM, "could not sign the certificate");
    goto out;
  }
  if (!(*out = cert_pem(cert)))
    status = fail(err, err_size, SR_ERR_NOMEM, "could not write the certificate");
out:
  X509_free(cert);
  X509_REQ_free(req);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return status;
}

int sr_x509_sign_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_text,
                     const char *cn, int days, sr_x509_usage usage, const char *san, char **out,
                     char *err, size_t err_size) {
  return sign_csr(ca_cert_pem, ca_key_pem, csr_text, NULL, cn, days, usage, san, out, err,
                  err_size);
}

int sr_x509_sign_scout_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_pem,
                           const char *tenant, const char *scout, int days, char **cert_pem,
                           char *err, size_t err_size) {
  int status = check_cn(tenant, 1, err, err_size);
  if (status != SR_OK)
    return status;
  return sign_csr(ca_cert_pem, ca_key_pem, csr_pem, tenant, scout, days, SR_X509_CLIENT, NULL,
                  cert_pem, err, err_size);
}

int sr_x509_mqtt_username(const char *pem, char *out, size_t out_size) {
  if (!pem || !out || out_size == 0)
    return SR_ERR_INVALID;
  out[0] = '\0';
  X509 *cert = read_cert(pem);
  BIO *b = cert ? BIO_new(BIO_s_mem()) : NULL;
  char *text = NULL;
  int status = SR_ERR_INVALID;
  /* RFC 2253 order and escaping, as mosquitto's use_subject_as_username */
  if (b && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0 &&
      (text = bio_string(b)) && strlen(text) < out_size && !strpbrk(text, "\n\r")) {
    memcpy(out, text, strlen(text) + 1);
    status = SR_OK;
  }
  free(text);
  BIO_free(b);
  X509_free(cert);
  ERR_clear_error();
  return status;
}

int sr_x509_der_issued_by(const unsigned char *der, size_t der_len, const char *tenant,
                          const char *ca_cert_pem) {
  if (!der || !der_len || !tenant || !ca_cert_pem)
    return SR_ERR_INVALID;
  const unsigned char *p = der;
  X509 *leaf = d2i_X509(NULL, &p, (long)der_len);
  X509 *ca = read_cert(ca_cert_pem);
  int status = SR_ERR_AUTH;
  if (!leaf || !ca) {
    status = SR_ERR_INVALID;
  } else if (X509_verify(leaf, X509_get0_pubkey(ca)) == 1) {
    /* the subject must begin with O=tenant as the tenant CA's constraint says */
    const X509_NAME *name = X509_get_subject_name(leaf);
    const X509_NAME_ENTRY *first =
        X509_NAME_entry_count(name) > 0 ? X509_NAME_get_entry(name, 0) : NULL;
    unsigned char *org = NULL;
    int n = first && OBJ_obj2nid(X509_NAME_ENTRY_get_object(first)) == NID_organizationName
                ? ASN1_STRING_to_UTF8(&org, X509_NAME_ENTRY_get_data(first))
                : -1;
    if (n >= 0 && (size_t)n == strlen(tenant) && memcmp(org, tenant, (size_t)n) == 0)
      status = SR_OK;
    OPENSSL_free(org);
  }
  X509_free(leaf);
  X509_free(ca);
  ERR_clear_error();
  return status;
}

int sr_x509_cert_cn(const char *pem, char *cn, size_t cn_size) {
  if (!pem || !cn || cn_size == 0)
    return SR_ERR_INVALID;
  cn[0] = '\0';
  X509 *cert = read_cert(pem);
  if (!cert) {
    ERR_clear_error();
    return SR_ERR_INVALID;
  }
  /* the first CN, as mosquitto's use_identity_as_username takes it */
  const X509_NAME *name = X509_get_subject_name(cert);
  int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  int status = SR_ERR_NOT_FOUND;
  if (i >= 0) {
    unsigned char *text = NULL;
    int n = ASN1_STRING_to_UTF8(&text, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
    /* an embedded NUL would make the name differ from what C code sees */
    if (n < 0 || memchr(text, '\0', (size_t)n) || (size_t)n >= cn_size) {
      status = SR_ERR_INVALID;
    } else {
      memcpy(cn, text, (size_t)n);
      cn[n] = '\0';
      status = SR_OK;
    }
    OPENSSL_free(text);
  }
  X509_free(cert);
  ERR_clear_error();
  return status;
}

int sr_x509_chain_pem(const char *leaf_pem, const char *intermediate_pem, char **chain_pem) {
  if (!chain_pem)
    return SR_ERR_INVALID;
  *chain_pem = NULL;
  if (!leaf_pem || !intermediate_pem)
    return SR_ERR_INVALID;
  size_t leaf_len = strlen(leaf_pem), inter_len = strlen(intermediate_pem);
  /* PEM blocks must start on a line of their own */
  size_t newline = leaf_len > 0 && leaf_pem[leaf_len - 1] != '\n';
  char *s = malloc(leaf_len + newline + inter_len + 1);
  if (!s)
    return SR_ERR_NOMEM;
  memcpy(s, leaf_pem, leaf_len);
  if (newline)
    s[leaf_len] = '\n';
  memcpy(s + leaf_len + newline, intermediate_pem, inter_len + 1);
  *chain_pem = s;
  return SR_OK;
}
