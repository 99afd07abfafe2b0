/*
 * Keyed identity hashing: card numbers, emails, PINs and passcodes are
 * normalised and hashed at the site with HMAC-SHA256 under a key derived
 * from the site secret, so the cloud can match them but, without the
 * secret, cannot brute-force a 4-digit PIN.
 */
#ifndef SR_CORE_IDHASH_H
#define SR_CORE_IDHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "site_key.h"

#define SR_IDHASH_LEN 32
#define SR_IDHASH_HEX_LEN 64
#define SR_ID_MAX 256 /* longest normalised identifier */

/* What is hashed; each kind is a separate domain, so equal text of two
 * kinds never gives the same hash. */
typedef enum sr_id_kind {
  SR_ID_CARD = 1,
  SR_ID_EMAIL = 2,
  SR_ID_PIN = 3,
  SR_ID_PASSCODE = 4,
  SR_ID_USERNAME = 5,
  SR_ID_JOB_PIN = 6, /* a job's PIN (IPP job-password), as SHA-256 of its digits */
} sr_id_kind;

/* How a site's card readers write numbers. */
typedef enum sr_card_format {
  SR_CARD_DECIMAL = 0, /* digits */
  SR_CARD_HEX = 1,     /* hexadecimal, turned into decimal */
  SR_CARD_RAW = 2,     /* letters and digits, compared as upper case */
} sr_card_format;

typedef struct sr_card_rule {
  int format;               /* sr_card_format */
  bool strip_leading_zeros; /* "000123" is "123" */
} sr_card_rule;

/* Card number: drops spaces, '-', ':' and '.', converts by the rule.
 * Writes NUL-terminated text to `out`. SR_OK or SR_ERR_INVALID. */
int sr_card_normalise(const sr_card_rule *rule, const char *raw, char *out, size_t out_size);

/* Email: trims spaces, folds ASCII letters to lower case; needs one '@'
 * with text on both sides. SR_OK or SR_ERR_INVALID. */
int sr_email_normalise(const char *raw, char *out, size_t out_size);

/* PIN: exactly `length` digits (SR_ERR_INVALID otherwise), copied. */
int sr_pin_normalise(const char *raw, int length, char *out, size_t out_size);

/* Passcode: drops spaces and '-', folds to upper case; letters and digits
 * only. SR_OK or SR_ERR_INVALID. */
int sr_passcode_normalise(const char *raw, char *out, size_t out_size);

/* A job's PIN: digits only, min_len to max_len of them (SR_ERR_INVALID
 * otherwise); `digest` gets SHA-256 of the digits, which is what an IPP
 * client sends as job-password with job-password-encryption sha2-256. */
int sr_job_pin_digest(const char *pin, size_t len, int min_len, int max_len,
                      uint8_t digest[SR_IDHASH_LEN]);

/* The keyed hash of a job PIN's SHA-256 (SR_ID_JOB_PIN, no context: one
 * "pin" at a panel must match every job it releases), as 64 hex digits. */
int sr_job_pin_hash_hex(const sr_site_key *key, const uint8_t digest[SR_IDHASH_LEN],
                        char out[SR_IDHASH_HEX_LEN + 1]);

/* HMAC-SHA256(site identity key, kind || context || value), with lengths
 * framing each part. `context` binds a value to its owner (the email hash
 * for a PIN, so equal PINs of two users differ) and may be NULL, which is
 * the same as "". `value` is
 * already normalised. Returns SR_OK. */
int sr_idhash(const sr_site_key *key, sr_id_kind kind, const char *context, const char *value,
              uint8_t out[SR_IDHASH_LEN]);

/* Same, as 64 lower-case hex digits plus NUL. */
int sr_idhash_hex(const sr_site_key *key, sr_id_kind kind, const char *context, const char *value,
                  char out[SR_IDHASH_HEX_LEN + 1]);

#endif
