#include "aead.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "sr/abi.h"

struct sr_aead {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
};

sr_aead *sr_aead_new(const uint8_t key[SR_AEAD_KEY_LEN]) {
  sr_aead *a = calloc(1, sizeof *a);
  if (!a)
    return NULL;
  EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  a->enc = EVP_CIPHER_CTX_new();
  a->dec = EVP_CIPHER_CTX_new();
  /* Key schedules are set once; each message only sets its nonce. */
  if (!cipher || !a->enc || !a->dec || EVP_EncryptInit_ex2(a->enc, cipher, key, NULL, NULL) != 1 ||
      EVP_DecryptInit_ex2(a->dec, cipher, key, NULL, NULL) != 1) {
    EVP_CIPHER_free(cipher);
    sr_aead_free(a);
    return NULL;
  }
  EVP_CIPHER_free(cipher);
  return a;
}

void sr_aead_free(sr_aead *a) {
  if (!a)
    return;
  EVP_CIPHER_CTX_free(a->enc);
  EVP_CIPHER_CTX_free(a->dec);
  free(a);
}

int sr_aead_seal(sr_aead *a, const uint8_t nonce[SR_AEAD_NONCE_LEN], const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 uint8_t tag[SR_AEAD_TAG_LEN]) {
  int n = 0;
  if (len > INT_MAX || aad_len > INT_MAX)
    return SR_ERR_INVALID;
  if (EVP_EncryptInit_ex2(a->enc, NULL, NULL, nonce, NULL) != 1 ||
      (aad_len && EVP_EncryptUpdate(a->enc, NULL, &n, aad, (int)aad_len) != 1) ||
      (len && EVP_EncryptUpdate(a->enc, out, &n, in, (int)len) != 1) ||
      EVP_EncryptFinal_ex(a->enc, out + len, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_GCM_GET_TAG, SR_AEAD_TAG_LEN, tag) != 1)
    return SR_ERR_NOMEM;
  return SR_OK;
}

int sr_aead_open(sr_aead *a, const uint8_t nonce[SR_AEAD_NONCE_LEN], const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 const uint8_t tag[SR_AEAD_TAG_LEN]) {
  int n = 0;
  if (len > INT_MAX || aad_len > INT_MAX)
    return SR_ERR_INVALID;
  if (EVP_DecryptInit_ex2(a->dec, NULL, NULL, nonce, NULL) != 1 ||
      (aad_len && EVP_DecryptUpdate(a->dec, NULL, &n, aad, (int)aad_len) != 1) ||
      (len && EVP_DecryptUpdate(a->dec, out, &n, in, (int)len) != 1) ||
      EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_GCM_SET_TAG, SR_AEAD_TAG_LEN, (void *)tag) != 1)
    return SR_ERR_NOMEM;
  return EVP_DecryptFinal_ex(a->dec, out + len, &n) == 1 ? SR_OK : SR_ERR_CORRUPT;
}

void sr_sha256(const void *data, size_t len, uint8_t out[32]) {
  unsigned int n = 0;
  EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}
