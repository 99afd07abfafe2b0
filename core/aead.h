/*
 * AES-256-GCM with a fixed key and a fresh nonce per message (OpenSSL 3).
 * One context is made per key and reused for every chunk.
 */
#ifndef SR_CORE_AEAD_H
#define SR_CORE_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define SR_AEAD_KEY_LEN 32
#define SR_AEAD_NONCE_LEN 12
#define SR_AEAD_TAG_LEN 16

typedef struct sr_aead sr_aead;

/* Returns a context for `key` (copied into OpenSSL's key schedule), or NULL.
 * Free with sr_aead_free(). */
sr_aead *sr_aead_new(const uint8_t key[SR_AEAD_KEY_LEN]);
void sr_aead_free(sr_aead *a);

/* Encrypts `len` bytes from `in` to `out` (may be the same buffer) and
 * writes the tag. Returns SR_OK or SR_ERR_NOMEM. */
int sr_aead_seal(sr_aead *a, const uint8_t nonce[SR_AEAD_NONCE_LEN], const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 uint8_t tag[SR_AEAD_TAG_LEN]);

/* Decrypts and checks the tag. Returns SR_OK, or SR_ERR_CORRUPT when the
 * tag does not match (then `out` must not be used). */
int sr_aead_open(sr_aead *a, const uint8_t nonce[SR_AEAD_NONCE_LEN], const uint8_t *aad,
                 size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
                 const uint8_t tag[SR_AEAD_TAG_LEN]);

/* SHA-256 of `len` bytes. */
void sr_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
