#include "site_key.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr/abi.h"

#define CHECKSUM_LEN 2
#define PAYLOAD_LEN (SR_SITE_SECRET_LEN + CHECKSUM_LEN) /* 34 bytes = 55 base32 chars */
#define BASE32_LEN 55
static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

struct sr_site_key {
  uint8_t secret[SR_SITE_SECRET_LEN]; /* kept to derive KEKs for other parameters */
  uint8_t salt[SR_KDF_SALT_LEN];
  uint32_t iterations;
  uint8_t kek[32];
  uint8_t key_id[SR_KEY_ID_LEN];
  uint8_t idhash_key[32];
};

int sr_site_secret_generate(uint8_t secret[SR_SITE_SECRET_LEN]) {
  return RAND_bytes(secret, SR_SITE_SECRET_LEN) == 1 ? SR_OK : SR_ERR_NOMEM;
}

/* The checksum catches typos in the text form; it is not a MAC. */
static void secret_checksum(const uint8_t secret[SR_SITE_SECRET_LEN], uint8_t sum[CHECKSUM_LEN]) {
  uint8_t digest[32];
  unsigned int len = 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), NULL);
  EVP_DigestUpdate(md, "securerelease site secret v1", 28);
  EVP_DigestUpdate(md, secret, SR_SITE_SECRET_LEN);
  EVP_DigestFinal_ex(md, digest, &len);
  EVP_MD_CTX_free(md);
  memcpy(sum, digest, CHECKSUM_LEN);
}

void sr_site_secret_encode(const uint8_t secret[SR_SITE_SECRET_LEN], char *text) {
  uint8_t payload[PAYLOAD_LEN];
  memcpy(payload, secret, SR_SITE_SECRET_LEN);
  secret_checksum(secret, payload + SR_SITE_SECRET_LEN);
  char *o = text;
  memcpy(o, "SR1", 3);
  o += 3;
  /* base32, most significant bits first; 5-character groups */
  for (size_t i = 0; i < BASE32_LEN; i++) {
    size_t bit = i * 5;
    unsigned v = 0;
    for (size_t b = 0; b < 5; b++, bit++) {
      unsigned byte = bit / 8 < PAYLOAD_LEN ? payload[bit / 8] : 0;
      v = (v << 1) | ((byte >> (7 - bit % 8)) & 1u);
    }
    if (i % 5 == 0)
      *o++ = '-';
    *o++ = base32_alphabet[v];
  }
  *o = '\0';
  OPENSSL_cleanse(payload, sizeof payload);
}

int sr_site_secret_decode(const char *text, uint8_t secret[SR_SITE_SECRET_LEN], char *why,
                          size_t why_size) {
  char chars[BASE32_LEN];
  size_t n = 0;
  const char *p = text;
  while (*p == ' ')
    p++;
  if (strncasecmp(p, "SR1", 3) != 0) {
    snprintf(why, why_size, "a site secret starts with SR1-");
    return SR_ERR_INVALID;
  }
  for (p += 3; *p; p++) {
    if (*p == '-' || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
      continue;
    char c = (char)toupper((unsigned char)*p);
    if (!strchr(base32_alphabet, c) || n == BASE32_LEN) {
      snprintf(why, why_size,
               n == BASE32_LEN ? "site secret is too long"
                               : "site secret has a character that is not A-Z or 2-7");
      return SR_ERR_INVALID;
    }
    chars[n++] = c;
  }
  if (n != BASE32_LEN) {
    snprintf(why, why_size, "site secret is too short (%zu of %d characters)", n, BASE32_LEN);
    return SR_ERR_INVALID;
  }
  uint8_t payload[PAYLOAD_LEN + 1] = {0};
  size_t bit = 0;
  for (size_t i = 0; i < BASE32_LEN; i++) {
    unsigned v = (unsigned)(strchr(base32_alphabet, chars[i]) - base32_alphabet);
    for (int b = 4; b >= 0; b--, bit++)
      if ((v >> b) & 1u)
        payload[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
  }
  OPENSSL_cleanse(chars, sizeof chars);
  uint8_t sum[CHECKSUM_LEN];
  secret_checksum(payload, sum);
  int status = SR_OK;
  if (memcmp(sum, payload + SR_SITE_SECRET_LEN, CHECKSUM_LEN) != 0 || payload[PAYLOAD_LEN] != 0) {
    snprintf(why, why_size, "site secret has a typo (its checksum does not match)");
    status = SR_ERR_INVALID;
  } else {
    memcpy(secret, payload, SR_SITE_SECRET_LEN);
  }
  OPENSSL_cleanse(payload, sizeof payload);
  return status;
}

int sr_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t *out,
                   size_t out_len) {
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  EVP_KDF_free(kdf);
  if (!ctx)
    return SR_ERR_NOMEM;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info)),
      OSSL_PARAM_construct_end(),
  };
  int ok = EVP_KDF_derive(ctx, out, out_len, params);
  EVP_KDF_CTX_free(ctx);
  return ok == 1 ? SR_OK : SR_ERR_INVALID;
}

static int derive_kek(const uint8_t secret[SR_SITE_SECRET_LEN], const uint8_t salt[SR_KDF_SALT_LEN],
                      uint32_t iterations, uint8_t kek[32], uint8_t key_id[SR_KEY_ID_LEN]) {
  if (iterations < SR_KDF_MIN_ITERATIONS || iterations > SR_KDF_MAX_ITERATIONS)
    return SR_ERR_INVALID;
  if (PKCS5_PBKDF2_HMAC((const char *)secret, SR_SITE_SECRET_LEN, salt, SR_KDF_SALT_LEN,
                        (int)iterations, EVP_sha256(), 32, kek) != 1)
    return SR_ERR_NOMEM;
  return sr_hkdf_sha256(kek, 32, "securerelease key id v1", key_id, SR_KEY_ID_LEN);
}

int sr_site_key_derive(const uint8_t secret[SR_SITE_SECRET_LEN],
                       const uint8_t salt[SR_KDF_SALT_LEN], uint32_t iterations,
                       sr_site_key **out) {
  sr_site_key *key = OPENSSL_secure_zalloc(sizeof *key);
  if (!key)
    return SR_ERR_NOMEM;
  memcpy(key->secret, secret, SR_SITE_SECRET_LEN);
  memcpy(key->salt, salt, SR_KDF_SALT_LEN);
  key->iterations = iterations;
  int status = derive_kek(secret, salt, iterations, key->kek, key->key_id);
  if (status == SR_OK)
    status = sr_hkdf_sha256(secret, SR_SITE_SECRET_LEN, "securerelease identity hash v1",
                            key->idhash_key, sizeof key->idhash_key);
  if (status != SR_OK) {
    sr_site_key_free(key);
    return status;
  }
  *out = key;
  return SR_OK;
}

void sr_site_key_free(sr_site_key *key) {
  if (key)
    OPENSSL_secure_clear_free(key, sizeof *key);
}

int sr_site_key_kek(const sr_site_key *key, const uint8_t salt[SR_KDF_SALT_LEN],
                    uint32_t iterations, uint8_t kek_out[32], uint8_t key_id_out[SR_KEY_ID_LEN]) {
  if (iterations == key->iterations && memcmp(salt, key->salt, SR_KDF_SALT_LEN) == 0) {
    memcpy(kek_out, key->kek, 32);
    memcpy(key_id_out, key->key_id, SR_KEY_ID_LEN);
    return SR_OK;
  }
  return derive_kek(key->secret, salt, iterations, kek_out, key_id_out);
}

const uint8_t *sr_site_key_salt(const sr_site_key *key) { return key->salt; }
uint32_t sr_site_key_iterations(const sr_site_key *key) { return key->iterations; }
const uint8_t *sr_site_key_id(const sr_site_key *key) { return key->key_id; }
const uint8_t *sr_site_key_idhash_key(const sr_site_key *key) { return key->idhash_key; }

void sr_site_salt_for_tenant(const char *tenant, uint8_t salt[SR_KDF_SALT_LEN]) {
  uint8_t digest[32];
  unsigned int len = 0;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(md, EVP_sha256(), NULL);
  EVP_DigestUpdate(md, "securerelease kdf salt v1", 26); /* with its NUL: a separator */
  EVP_DigestUpdate(md, tenant, strlen(tenant));
  EVP_DigestFinal_ex(md, digest, &len);
  EVP_MD_CTX_free(md);
  memcpy(salt, digest, SR_KDF_SALT_LEN);
}

int sr_site_secret_read_file(const char *path, uint8_t secret[SR_SITE_SECRET_LEN], char *why,
                             size_t why_size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(why, why_size, "cannot read the site secret file %s: %s", path, strerror(errno));
    if (fd >= 0)
      close(fd);
    return SR_ERR_IO;
  }
  if (st.st_mode & 077) {
    snprintf(why, why_size, "the site secret file %s can be read by others: chmod 600 it", path);
    close(fd);
    return SR_ERR_INVALID;
  }
  char text[256];
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) {
    snprintf(why, why_size, "the site secret file %s is empty", path);
    return SR_ERR_INVALID;
  }
  text[n] = '\0';
  char reason[128];
  int status = sr_site_secret_decode(text, secret, reason, sizeof reason);
  OPENSSL_cleanse(text, sizeof text);
  if (status != SR_OK)
    snprintf(why, why_size, "%s: %s", path, reason);
  return status;
}

int sr_site_key_load(const char *path, const char *tenant, sr_site_key **out, char *why,
                     size_t why_size) {
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN];
  *out = NULL;
  int status = sr_site_secret_read_file(path, secret, why, why_size);
  if (status != SR_OK)
    return status;
  sr_site_salt_for_tenant(tenant, salt);
  status = sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, out);
  OPENSSL_cleanse(secret, sizeof secret);
  if (status != SR_OK)
    snprintf(why, why_size, "%s: cannot derive the site key", path);
  return status;
}

int sr_site_key_purpose(const sr_site_key *site, const char *label, uint8_t *out, size_t out_len) {
  uint8_t kek[32], key_id[SR_KEY_ID_LEN];
  int status =
      sr_site_key_kek(site, sr_site_key_salt(site), sr_site_key_iterations(site), kek, key_id);
  if (status == SR_OK)
    status = sr_hkdf_sha256(kek, sizeof kek, label, out, out_len);
  OPENSSL_cleanse(kek, sizeof kek);
  return status;
}
