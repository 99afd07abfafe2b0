/*
 * The site secret and the keys derived from it (DESIGN: zero knowledge).
 *
 * The secret is 32 random bytes made at tenant setup and shown to the
 * administrator once as text ("SR1-XXXXX-..."); the cloud never stores it.
 * From it:
 *   - the key-encryption key (KEK), PBKDF2-HMAC-SHA256 with a salt and an
 *     iteration count (>= 600,000) that every job file header records;
 *   - a key id (HKDF of the KEK) so a file written for another site is
 *     recognised as such instead of failing as "corrupt";
 *   - the identity hashing key (HKDF of the secret) for cards, PINs, emails.
 */
#ifndef SR_CORE_SITE_KEY_H
#define SR_CORE_SITE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SR_SITE_SECRET_LEN 32
#define SR_KDF_SALT_LEN 16
#define SR_KEY_ID_LEN 8
#define SR_KDF_MIN_ITERATIONS 600000u
#define SR_KDF_MAX_ITERATIONS 20000000u /* a header asking for more is refused */
/* Text form: "SR1-" + 55 base32 characters in groups of 5 joined by '-'. */
#define SR_SITE_SECRET_TEXT_LEN 69

typedef struct sr_site_key sr_site_key;

/* Fills `secret` with random bytes. Returns SR_OK or SR_ERR_NOMEM if the
 * random generator failed. */
int sr_site_secret_generate(uint8_t secret[SR_SITE_SECRET_LEN]);

/* Writes the display form (NUL-terminated) of `secret` into `text`, which
 * holds at least SR_SITE_SECRET_TEXT_LEN + 1 bytes. */
void sr_site_secret_encode(const uint8_t secret[SR_SITE_SECRET_LEN], char *text);

/* Parses the display form; case, spaces and dashes do not matter. Returns
 * SR_OK, or SR_ERR_INVALID with `why` set (a typo fails the checksum). */
int sr_site_secret_decode(const char *text, uint8_t secret[SR_SITE_SECRET_LEN], char *why,
                          size_t why_size);

/* Derives the site key (slow on purpose: PBKDF2 with `iterations`).
 * `salt` is public and site-wide. On SR_OK the caller owns *out and frees it
 * with sr_site_key_free(). SR_ERR_INVALID if iterations are out of range. */
int sr_site_key_derive(const uint8_t secret[SR_SITE_SECRET_LEN],
                       const uint8_t salt[SR_KDF_SALT_LEN], uint32_t iterations, sr_site_key **out);

/* Wipes and frees. */
void sr_site_key_free(sr_site_key *key);

/* The KEK for `salt`/`iterations`: the cached one when they match the
 * key's own, else derived afresh into `kek_out`. Returns SR_OK. */
int sr_site_key_kek(const sr_site_key *key, const uint8_t salt[SR_KDF_SALT_LEN],
                    uint32_t iterations, uint8_t kek_out[32], uint8_t key_id_out[SR_KEY_ID_LEN]);

/* Accessors: the derivation parameters and key id; the identity hash key. */
const uint8_t *sr_site_key_salt(const sr_site_key *key);
uint32_t sr_site_key_iterations(const sr_site_key *key);
const uint8_t *sr_site_key_id(const sr_site_key *key);
const uint8_t *sr_site_key_idhash_key(const sr_site_key *key);

/* The KDF salt of a tenant: public, derived from the tenant id so that every
 * scout of the tenant derives the same key without sharing more than the
 * secret. */
void sr_site_salt_for_tenant(const char *tenant, uint8_t salt[SR_KDF_SALT_LEN]);

/* Reads a site secret from a file that only its owner may read (mode 0600
 * or stricter, else refused). SR_OK, or an error with `why` set. */
int sr_site_secret_read_file(const char *path, uint8_t secret[SR_SITE_SECRET_LEN], char *why,
                             size_t why_size);

/* The site key of `tenant` from the secret in `path` (read as above, then
 * derived with the minimum iterations; the secret is wiped). On SR_OK the
 * caller owns *out (sr_site_key_free); else `why` says what failed. */
int sr_site_key_load(const char *path, const char *tenant, sr_site_key **out, char *why,
                     size_t why_size);

/* HKDF-SHA256 of `ikm` with `info` into `out_len` bytes. SR_OK or an error. */
int sr_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const char *info, uint8_t *out,
                   size_t out_len);

/* A key for one purpose, named by `label`, from the site's KEK (only
 * holders of the site secret have it; its salt binds it to the tenant):
 * HKDF-SHA256 of the KEK with `label` into `out_len` bytes. SR_OK or an
 * error. */
int sr_site_key_purpose(const sr_site_key *site, const char *label, uint8_t *out, size_t out_len);

#endif
