/*
 * Rotating release codes (docs/security.md, "Release codes"): what a
 * printer's panel app shows as a QR code so that a phone that scans it
 * proves it is at that printer now. A code is "<expiry>.<mac>": expiry in
 * unix seconds (decimal), mac the first 16 bytes of
 * HMAC-SHA256(K, "sr-release-code-v1\0" <device> "\0" <expiry>) in
 * base64url without padding (22 characters). K is derived from the site
 * key, so only the site service mints and checks codes; the cloud never
 * can.
 *
 * A code is valid for its device only, while now <= expiry and expiry <=
 * now + SR_RELEASE_CODE_MAX_AHEAD (a code from the far future would be a
 * code for ever).
 */
#ifndef SR_CORE_RELEASE_CODE_H
#define SR_CORE_RELEASE_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "site_key.h"

#define SR_RELEASE_CODE_KEY_LEN 32
#define SR_RELEASE_CODE_TTL 60        /* seconds a minted code lives */
#define SR_RELEASE_CODE_MAX_AHEAD 120 /* an expiry further ahead is refused */
#define SR_RELEASE_CODE_MAC_TEXT_LEN 22
/* up to 20 digits, '.', the mac and the NUL */
#define SR_RELEASE_CODE_SIZE (20 + 1 + SR_RELEASE_CODE_MAC_TEXT_LEN + 1)

/* The release code key of a site: HKDF of the site's KEK with a label of
 * its own (as the printer list's key), so holders of the site secret alone
 * have it. SR_OK or an error (OpenSSL failed). */
int sr_release_code_key(const sr_site_key *site, uint8_t key[SR_RELEASE_CODE_KEY_LEN]);

/* Writes the code of `device` expiring at `expires_at` into `out`
 * (SR_RELEASE_CODE_SIZE bytes). SR_OK, SR_ERR_INVALID (no device, or an
 * expiry below 0), or an error if OpenSSL failed. */
int sr_release_code_mint(const uint8_t key[SR_RELEASE_CODE_KEY_LEN], const char *device,
                         int64_t expires_at, char out[SR_RELEASE_CODE_SIZE]);

/* SR_OK if `code` is a valid code of `device` at time `now`: well formed,
 * its mac right (compared in constant time) and its expiry within
 * [now, now + SR_RELEASE_CODE_MAX_AHEAD]. Else SR_ERR_AUTH, whatever was
 * wrong: the caller gives one answer for all, so a caller learns nothing
 * from which. */
int sr_release_code_verify(const uint8_t key[SR_RELEASE_CODE_KEY_LEN], const char *device,
                           const char *code, int64_t now);

#endif
