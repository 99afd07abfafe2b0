/*
 * The site's submission key: a P-256 key pair derived from the site key, so
 * that a browser (or any holder of the public half) can seal a job file
 * (format version 2) that only the site can open, and the scouts need no
 * new key material: every holder of the site secret derives the same pair.
 *
 *   scalar = (HKDF-SHA256(KEK, "securerelease submission key v1", 48 bytes)
 *             mod (n - 1)) + 1
 *
 * (the KEK is PBKDF2 of the site secret with the tenant's salt, so the pair
 * is bound to the tenant too; 384 bits reduced mod n leave no usable bias).
 * Rotating the site secret rotates this key.
 *
 * The public half travels as SPKI DER in base64url without padding (what
 * WebCrypto's importKey("spki") takes); its fingerprint, "SHA256:" and the
 * SHA-256 of the DER in groups of four hex digits, is what srctl, the logs
 * and the pages show. The key id in a version 2 header is the first 8 bytes
 * of that digest.
 */
#ifndef SR_CORE_SUBMIT_KEY_H
#define SR_CORE_SUBMIT_KEY_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "site_key.h"

#define SR_SUBMIT_POINT_LEN 65       /* uncompressed P-256 point: 04 || X || Y */
#define SR_SUBMIT_SPKI_MAX 128       /* SPKI DER of a P-256 key is 91 bytes */
#define SR_SUBMIT_SPKI_B64_MAX 132   /* its base64url, with the NUL */
#define SR_SUBMIT_FINGERPRINT_LEN 96 /* "SHA256:" + 16 groups of 4 + 15 ':' + NUL fit */

/* The private key (P-256, with its public point) of `key`'s submission
 * key. On SR_OK the caller owns *priv_out (EVP_PKEY_free). */
int sr_submit_key_derive(const sr_site_key *key, EVP_PKEY **priv_out);

/* The public key as SPKI DER in base64url (no padding) into `spki_b64url`
 * (`size` bytes, SR_SUBMIT_SPKI_B64_MAX suffice) and its fingerprint.
 * SR_OK, SR_ERR_INVALID if `size` is too small. */
int sr_submit_key_public(const sr_site_key *key, char *spki_b64url, size_t size,
                         char fingerprint[SR_SUBMIT_FINGERPRINT_LEN]);

/* True when `spki` is exactly the SPKI DER of a P-256 public key (what the
 * cloud checks before publishing a site's key). */
bool sr_submit_key_spki_ok(const uint8_t *spki, size_t spki_len);

/* Fingerprint and 8-byte key id of a public key given as SPKI DER. */
void sr_submit_key_fingerprint(const uint8_t *spki, size_t spki_len,
                               char fingerprint[SR_SUBMIT_FINGERPRINT_LEN]);
void sr_submit_key_id(const uint8_t *spki, size_t spki_len, uint8_t key_id[SR_KEY_ID_LEN]);

/* The key that wraps a version 2 file's data key:
 * HKDF-SHA256(ikm = ECDH x-coordinate, salt = file id,
 *             info = "securerelease job v2" || key id).
 *
 * Sealing side: from the recipient's SPKI DER, makes an ephemeral key pair,
 * writes its public point to `eph_out`, the recipient's key id to
 * `key_id_out` and the wrapping key to `wrap_key`. SR_ERR_INVALID when the
 * SPKI is not a P-256 public key. */
int sr_submit_wrap_seal(const uint8_t *spki, size_t spki_len, const uint8_t file_id[16],
                        uint8_t eph_out[SR_SUBMIT_POINT_LEN], uint8_t key_id_out[SR_KEY_ID_LEN],
                        uint8_t wrap_key[32]);

/* Opening side: from the site's private key (borrowed), the header's
 * ephemeral point, file id and key id. SR_ERR_CORRUPT when the point is not
 * on the curve. */
int sr_submit_wrap_open(EVP_PKEY *priv, const uint8_t eph[SR_SUBMIT_POINT_LEN],
                        const uint8_t file_id[16], const uint8_t key_id[SR_KEY_ID_LEN],
                        uint8_t wrap_key[32]);

/* SPKI DER of `pkey` (a public or private key) into `der` (`size` bytes);
 * returns its length, or 0 when it does not fit. */
size_t sr_submit_key_spki(EVP_PKEY *pkey, uint8_t *der, size_t size);

/* base64url without padding, and back (returns the length, or -1 when
 * `in` is not base64url or does not fit `size`). */
void sr_base64url_encode(const uint8_t *in, size_t len, char *out, size_t size);
long sr_base64url_decode(const char *in, uint8_t *out, size_t size);

#endif
