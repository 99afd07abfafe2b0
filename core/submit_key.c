#include "submit_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "aead.h"
#include "sr/abi.h"

#define SEED_LEN 48 /* 384 bits for a 256-bit order: the reduction's bias is 2^-128 */
static const char derive_label[] = "securerelease submission key v1";
static const char wrap_info[] = "securerelease job v2";

/* An EVP_PKEY for P-256 from a public point and, when given, the scalar. */
static EVP_PKEY *pkey_from(const uint8_t point[SR_SUBMIT_POINT_LEN], const BIGNUM *priv) {
  OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;
  if (bld && ctx &&
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, SR_SUBMIT_POINT_LEN) ==
          1 &&
      (!priv || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) == 1) &&
      (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) == 1)
    if (EVP_PKEY_fromdata(ctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
      pkey = NULL;
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(bld);
  EVP_PKEY_CTX_free(ctx);
  return pkey;
}

int sr_submit_key_derive(const sr_site_key *key, EVP_PKEY **priv_out) {
  uint8_t seed[SEED_LEN], point[SR_SUBMIT_POINT_LEN];
  int status = sr_site_key_purpose(key, derive_label, seed, sizeof seed);
  if (status != SR_OK)
    return status;
  status = SR_ERR_NOMEM;
  EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BN_CTX *bn = BN_CTX_secure_new();
  BIGNUM *d = BN_secure_new(), *order_minus_1 = BN_new();
  EC_POINT *pub = group ? EC_POINT_new(group) : NULL;
  EVP_PKEY *pkey = NULL;
  /* d = seed mod (n - 1) + 1: never zero, always below n */
  if (!bn || !d || !order_minus_1 || !pub || !BN_bin2bn(seed, sizeof seed, d) ||
      !BN_copy(order_minus_1, EC_GROUP_get0_order(group)) || !BN_sub_word(order_minus_1, 1) ||
      !BN_mod(d, d, order_minus_1, bn) || !BN_add_word(d, 1) ||
      !EC_POINT_mul(group, pub, d, NULL, NULL, bn) ||
      EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point, sizeof point, bn) !=
          sizeof point)
    goto out;
  if ((pkey = pkey_from(point, d)))
    status = SR_OK;
out:
  OPENSSL_cleanse(seed, sizeof seed);
  EC_POINT_free(pub);
  BN_clear_free(d);
  BN_free(order_minus_1);
  BN_CTX_free(bn);
  EC_GROUP_free(group);
  *priv_out = pkey;
  return status;
}

size_t sr_submit_key_spki(EVP_PKEY *pkey, uint8_t *der, size_t size) {
  int len = i2d_PUBKEY(pkey, NULL);
  if (len <= 0 || (size_t)len > size)
    return 0;
  uint8_t *p = der;
  return i2d_PUBKEY(pkey, &p) == len ? (size_t)len : 0;
}

void sr_base64url_encode(const uint8_t *in, size_t len, char *out, size_t size) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < size; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
                 (i + 2 < len ? in[i + 2] : 0);
    size_t chars = len - i >= 3 ? 4 : len - i + 1;
    for (size_t c = 0; c < chars && o + 1 < size; c++)
      out[o++] = alphabet[(v >> (18 - 6 * c)) & 63];
  }
  if (size)
    out[o] = '\0';
}

static int b64url_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  return c == '-' ? 62 : c == '_' ? 63 : -1;
}

long sr_base64url_decode(const char *in, uint8_t *out, size_t size) {
  size_t n = strlen(in), o = 0;
  if (n % 4 == 1)
    return -1;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64url_value(in[i]);
    if (v < 0)
      return -1;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o == size)
        return -1;
      out[o++] = (uint8_t)(acc >> bits);
    }
  }
  /* leftover bits must be zero: one text per byte string */
  if (acc & ((1u << bits) - 1))
    return -1;
  return (long)o;
}

void sr_submit_key_fingerprint(const uint8_t *spki, size_t spki_len,
                               char fingerprint[SR_SUBMIT_FINGERPRINT_LEN]) {
  uint8_t digest[32];
  sr_sha256(spki, spki_len, digest);
  char *o = fingerprint + snprintf(fingerprint, SR_SUBMIT_FINGERPRINT_LEN, "SHA256:");
  for (int i = 0; i < 32; i += 2)
    o += snprintf(o, 6, "%s%02x%02x", i ? ":" : "", digest[i], digest[i + 1]);
}

void sr_submit_key_id(const uint8_t *spki, size_t spki_len, uint8_t key_id[SR_KEY_ID_LEN]) {
  uint8_t digest[32];
  sr_sha256(spki, spki_len, digest);
  memcpy(key_id, digest, SR_KEY_ID_LEN);
}

int sr_submit_key_public(const sr_site_key *key, char *spki_b64url, size_t size,
                         char fingerprint[SR_SUBMIT_FINGERPRINT_LEN]) {
  EVP_PKEY *pkey = NULL;
  int status = sr_submit_key_derive(key, &pkey);
  if (status != SR_OK)
    return status;
  uint8_t der[SR_SUBMIT_SPKI_MAX];
  size_t len = sr_submit_key_spki(pkey, der, sizeof der);
  EVP_PKEY_free(pkey);
  if (!len)
    return SR_ERR_NOMEM;
  if (size < (len + 2) / 3 * 4 + 1)
    return SR_ERR_INVALID;
  sr_base64url_encode(der, len, spki_b64url, size);
  sr_submit_key_fingerprint(der, len, fingerprint);
  return SR_OK;
}

/* ECDH of `priv` with `peer`, then HKDF into the wrapping key. */
static int wrap_key_from(EVP_PKEY *priv, EVP_PKEY *peer, const uint8_t file_id[16],
                         const uint8_t key_id[SR_KEY_ID_LEN], uint8_t wrap_key[32]) {
  uint8_t shared[32], info[sizeof wrap_info - 1 + SR_KEY_ID_LEN];
  size_t shared_len = sizeof shared;
  EVP_PKEY_CTX *dh = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
  int ok = dh && EVP_PKEY_derive_init(dh) == 1 && EVP_PKEY_derive_set_peer(dh, peer) == 1 &&
           EVP_PKEY_derive(dh, shared, &shared_len) == 1 && shared_len == sizeof shared;
  EVP_PKEY_CTX_free(dh);
  if (!ok) {
    OPENSSL_cleanse(shared, sizeof shared);
    return SR_ERR_CORRUPT;
  }
  memcpy(info, wrap_info, sizeof wrap_info - 1);
  memcpy(info + sizeof wrap_info - 1, key_id, SR_KEY_ID_LEN);
  EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
  EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
  EVP_KDF_free(kdf);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, shared, sizeof shared),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)file_id, 16),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof info),
      OSSL_PARAM_construct_end(),
  };
  ok = kctx && EVP_KDF_derive(kctx, wrap_key, 32, params) == 1;
  EVP_KDF_CTX_free(kctx);
  OPENSSL_cleanse(shared, sizeof shared);
  return ok ? SR_OK : SR_ERR_NOMEM;
}

/* The P-256 public key in `spki` (exactly), or NULL. */
static EVP_PKEY *p256_public(const uint8_t *spki, size_t spki_len) {
  const uint8_t *p = spki;
  EVP_PKEY *key = spki_len ? d2i_PUBKEY(NULL, &p, (long)spki_len) : NULL;
  char group[32] = "";
  if (!key || p != spki + spki_len || !EVP_PKEY_is_a(key, "EC") ||
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) !=
          1 ||
      strcmp(group, "prime256v1") != 0) {
    EVP_PKEY_free(key);
    return NULL;
  }
  return key;
}

bool sr_submit_key_spki_ok(const uint8_t *spki, size_t spki_len) {
  EVP_PKEY *key = p256_public(spki, spki_len);
  EVP_PKEY_free(key);
  return key != NULL;
}

int sr_submit_wrap_seal(const uint8_t *spki, size_t spki_len, const uint8_t file_id[16],
                        uint8_t eph_out[SR_SUBMIT_POINT_LEN], uint8_t key_id_out[SR_KEY_ID_LEN],
                        uint8_t wrap_key[32]) {
  EVP_PKEY *site = p256_public(spki, spki_len);
  size_t point_len = 0;
  if (!site)
    return SR_ERR_INVALID;
  EVP_PKEY *eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  int status = SR_ERR_NOMEM;
  if (eph &&
      EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_PUB_KEY, eph_out, SR_SUBMIT_POINT_LEN,
                                      &point_len) == 1 &&
      point_len == SR_SUBMIT_POINT_LEN && eph_out[0] == POINT_CONVERSION_UNCOMPRESSED) {
    sr_submit_key_id(spki, spki_len, key_id_out);
    status = wrap_key_from(eph, site, file_id, key_id_out, wrap_key);
  }
  EVP_PKEY_free(eph);
  EVP_PKEY_free(site);
  return status;
}

int sr_submit_wrap_open(EVP_PKEY *priv, const uint8_t eph[SR_SUBMIT_POINT_LEN],
                        const uint8_t file_id[16], const uint8_t key_id[SR_KEY_ID_LEN],
                        uint8_t wrap_key[32]) {
  /* fromdata checks that the point is on the curve (and not at infinity) */
  if (eph[0] != POINT_CONVERSION_UNCOMPRESSED)
    return SR_ERR_CORRUPT;
  EVP_PKEY *peer = pkey_from(eph, NULL);
  if (!peer)
    return SR_ERR_CORRUPT;
  int status = wrap_key_from(priv, peer, file_id, key_id, wrap_key);
  EVP_PKEY_free(peer);
  return status;
}
