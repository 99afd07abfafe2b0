/*
 * Certificates for scout enrollment with mutual TLS.
 *
 * The cloud holds a root CA; each tenant gets an intermediate CA signed by
 * the root. A scout makes its own key and a CSR; the cloud signs the CSR
 * with the tenant CA and chooses the certificate's CN itself (the scout id),
 * never trusting the CSR's subject. The leaf is the client certificate for
 * mosquitto (use_identity_as_username: the CN is the MQTT username) and for
 * the HTTPS API; a client presents leaf + intermediate so that a server
 * trusting only the root can verify it.
 *
 * Every PEM string here is NUL-terminated and allocated with malloc(); the
 * caller owns it and frees it with free(). Functions return SR_OK or a
 * negative SR_ERR_* code and, when given an `err` buffer, write a readable
 * message into it on failure.
 */
#ifndef SR_CORE_X509_ISSUE_H
#define SR_CORE_X509_ISSUE_H

#include <stddef.h>

/* Longest CN accepted (the X.509 upper bound for commonName). */
#define SR_X509_CN_MAX 64
/* Longest validity accepted, in days. */
#define SR_X509_DAYS_MAX 36500

/* What a leaf certificate is for (its extendedKeyUsage). */
typedef enum { SR_X509_CLIENT, SR_X509_SERVER } sr_x509_usage;

/* Makes a new EC P-256 private key. On SR_OK *key_pem is an unencrypted
 * PKCS#8 PEM string owned by the caller. SR_ERR_NOMEM if OpenSSL failed. */
int sr_x509_key_new(char **key_pem, char *err, size_t err_size);

/* Makes a CSR for `key_pem` (an unencrypted private key) with subject
 * CN=cn, signed with SHA-256. On SR_OK *csr_pem is owned by the caller.
 * SR_ERR_INVALID if the key is unreadable or cn is empty or too long. */
int sr_x509_csr_new(const char *key_pem, const char *cn, char **csr_pem, char *err,
                    size_t err_size);

/* Makes a new P-256 CA key and certificate with subject CN=cn, valid from
 * five minutes ago (clock skew) for `days` days. With issuer_cert_pem and
 * issuer_key_pem NULL it is a self-signed root (CA:TRUE); otherwise an
 * intermediate signed by that issuer (CA:TRUE, pathlen:0), whose validity
 * ends no later than the issuer's. On SR_OK the caller owns *cert_pem and
 * *key_pem (unencrypted PKCS#8). SR_ERR_INVALID for a bad argument, an
 * unreadable issuer, an issuer key that does not match, or an issuer that
 * may not sign CAs. */
int sr_x509_ca_new(const char *cn, int days, const char *issuer_cert_pem,
                   const char *issuer_key_pem, char **cert_pem, char **key_pem, char *err,
                   size_t err_size);

/* A tenant's CA: as sr_x509_ca_new with CN "securerelease tenant TENANT",
 * plus a critical nameConstraints extension permitting only subjects that
 * begin with O=TENANT, so its key cannot name another tenant's scout nor the
 * cloud (whose subject has no O). `tenant` follows the leaf CN rules. */
int sr_x509_tenant_ca_new(const char *tenant, int days, const char *issuer_cert_pem,
                          const char *issuer_key_pem, char **cert_pem, char **key_pem, char *err,
                          size_t err_size);

/* Signs `csr_pem` with the CA and returns the leaf in *cert_pem (owned by
 * the caller). The subject is CN=cn from the argument; the CSR's subject
 * and extensions are ignored. The CSR key must be EC P-256 or RSA >= 2048
 * bits and its self-signature must verify. The leaf is CA:FALSE with
 * digitalSignature (plus keyEncipherment for RSA), clientAuth or serverAuth
 * as `usage` says, SKID/AKID, and when `san` is not NULL a subjectAltName
 * in openssl config syntax ("DNS:localhost,IP:127.0.0.1"). It is valid from
 * five minutes ago for `days` days, ending no later than the CA. Because the
 * CN becomes the MQTT username, which ACL patterns put into topics, it may
 * not contain '/', '+' or '#'. Returns SR_OK; SR_ERR_CORRUPT if the CSR
 * signature is bad; SR_ERR_INVALID for any other refusal (unreadable PEM,
 * weak key, CA key not matching the CA certificate, bad cn/days/san). */
int sr_x509_sign_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_pem,
                     const char *cn, int days, sr_x509_usage usage, const char *san,
                     char **cert_pem, char *err, size_t err_size);

/* A scout's client certificate: as sr_x509_sign_csr with usage client and
 * no SAN, but with subject O=tenant, CN=scout (what the tenant CA's name
 * constraint permits; the broker's username is that whole subject). */
int sr_x509_sign_scout_csr(const char *ca_cert_pem, const char *ca_key_pem, const char *csr_pem,
                           const char *tenant, const char *scout, int days, char **cert_pem,
                           char *err, size_t err_size);

/* The subject of the first certificate in `pem` in RFC 2253 form, as
 * mosquitto's use_subject_as_username makes it ("CN=s-1,O=demo"). Returns
 * SR_OK, or SR_ERR_INVALID (unreadable, or does not fit in out_size). */
int sr_x509_mqtt_username(const char *pem, char *out, size_t out_size);

/* Whether the DER certificate (a peer's, already verified up to the root by
 * TLS) was signed by the tenant CA `ca_cert_pem` and its subject begins with
 * O=tenant. SR_OK if so, SR_ERR_AUTH if not, SR_ERR_INVALID if unreadable. */
int sr_x509_der_issued_by(const unsigned char *der, size_t der_len, const char *tenant,
                          const char *ca_cert_pem);

/* Copies the subject CN of the first certificate in `cert_pem` into `cn`
 * (NUL-terminated, `cn_size` bytes). Returns SR_OK; SR_ERR_INVALID if the
 * PEM is unreadable, the CN is not clean text or does not fit;
 * SR_ERR_NOT_FOUND if the subject has no CN. */
int sr_x509_cert_cn(const char *cert_pem, char *cn, size_t cn_size);

/* Concatenates leaf and intermediate PEM into *chain_pem (owned by the
 * caller), adding a newline between them if the leaf lacks one. Returns
 * SR_OK, SR_ERR_INVALID for a NULL argument or SR_ERR_NOMEM. */
int sr_x509_chain_pem(const char *leaf_pem, const char *intermediate_pem, char **chain_pem);

#endif
