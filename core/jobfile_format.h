/*
 * Byte layout of the job file, shared by the writer and the reader.
 * All integers are big-endian. Both versions start with magic, version and
 * header length (the prefix, 12 bytes); the version says the rest.
 *
 * Version 1 header (SR_JF_HEADER_LEN bytes): sealed with the site's KEK.
 *    0  8  magic "SRJOB\0\r\n"
 *    8  2  format version (1)
 *   10  2  header length (124)
 *   12  1  KDF id (1 = PBKDF2-HMAC-SHA256)
 *   13  1  compression (0 none, 1 zstd)
 *   14  2  reserved, zero
 *   16  4  KDF iterations
 *   20  4  chunk size
 *   24 16  KDF salt
 *   40  8  key id
 *   48 16  file id (random)
 *   64 12  wrap nonce            } AES-256-GCM of the data key under the
 *   76 32  wrapped data key      } KEK, with bytes 0..63 as AAD
 *  108 16  wrap tag              }
 *
 * Version 2 header (SR_JF2_HEADER_LEN bytes): sealed with the site's public
 * submission key (submit_key.h) by anyone who has it, e.g. a browser.
 *    0  8  magic
 *    8  2  format version (2)
 *   10  2  header length (169)
 *   12  1  key agreement (2 = ECDH P-256, HKDF-SHA256)
 *   13  1  compression (0: browsers have no zstd)
 *   14  2  reserved, zero
 *   16  4  chunk size
 *   20  8  key id (SHA-256 of the site's SPKI DER, first 8 bytes)
 *   28 16  file id (random)
 *   44 65  ephemeral public key (uncompressed P-256 point)
 *  109 12  wrap nonce            } AES-256-GCM of the data key under
 *  121 32  wrapped data key      } HKDF-SHA256(ECDH(ephemeral, site),
 *  153 16  wrap tag              } salt file id, info "securerelease job
 *                                } v2" || key id), bytes 0..108 as AAD
 *
 * Records (both versions; the digest is of the whole header):
 * Record (SR_JF_RECORD_HEAD + length + SR_JF_TAG_LEN bytes):
 *    0  1  type (1 job information, 2 document)
 *    1  1  flags (bit 0: final record)
 *    2  2  reserved, zero
 *    4  4  length of the ciphertext
 *    8  8  record index (0 for the job information, then 1, 2, ...)
 *   16 16  file id
 *   32  n  ciphertext
 *  32+n 16 tag
 * Nonce: 4 zero bytes + the index. AAD: SHA-256(header) + the 32-byte
 * record head. The data key is used for one file only, so nonces never
 * repeat under a key.
 */
#ifndef SR_CORE_JOBFILE_FORMAT_H
#define SR_CORE_JOBFILE_FORMAT_H

#include <stdint.h>
#include <string.h>

#define SR_JF_MAGIC "SRJOB\0\r\n"
#define SR_JF_MAGIC_LEN 8
#define SR_JF_VERSION 1
#define SR_JF_VERSION_2 2
#define SR_JF_PREFIX_LEN 12
#define SR_JF_HEADER_LEN 124
#define SR_JF2_HEADER_LEN 169
#define SR_JF_MAX_HEADER_LEN SR_JF2_HEADER_LEN
#define SR_JF_WRAP_AAD_LEN 64
#define SR_JF_KDF_PBKDF2 1
#define SR_JF_KDF_ECDH_P256 2
#define SR_JF_COMPRESS_NONE 0
#define SR_JF_COMPRESS_ZSTD 1
#define SR_JF_FILE_ID_LEN 16
#define SR_JF_NONCE_LEN 12
#define SR_JF_TAG_LEN 16
#define SR_JF_KEY_LEN 32
#define SR_JF_RECORD_HEAD 32
#define SR_JF_AAD_LEN (32 + SR_JF_RECORD_HEAD)
#define SR_JF_TYPE_INFO 1
#define SR_JF_TYPE_DATA 2
#define SR_JF_FLAG_FINAL 1

/* Header field offsets */
#define SR_JF_OFF_VERSION 8
#define SR_JF_OFF_HEADER_LEN 10
#define SR_JF_OFF_KDF 12
#define SR_JF_OFF_COMPRESS 13
#define SR_JF_OFF_RESERVED 14
#define SR_JF_OFF_ITERATIONS 16
#define SR_JF_OFF_CHUNK 20
#define SR_JF_OFF_SALT 24
#define SR_JF_OFF_KEY_ID 40
#define SR_JF_OFF_FILE_ID 48
#define SR_JF_OFF_WRAP_NONCE 64
#define SR_JF_OFF_WRAPPED_KEY 76
#define SR_JF_OFF_WRAP_TAG 108

/* Version 2 offsets (the prefix, key agreement, compression and reserved
 * bytes are where version 1 has them) */
#define SR_JF2_OFF_CHUNK 16
#define SR_JF2_OFF_KEY_ID 20
#define SR_JF2_OFF_FILE_ID 28
#define SR_JF2_OFF_EPHEMERAL 44
#define SR_JF2_OFF_WRAP_NONCE 109
#define SR_JF2_OFF_WRAPPED_KEY 121
#define SR_JF2_OFF_WRAP_TAG 153
#define SR_JF2_WRAP_AAD_LEN 109

static inline void sr_be16_put(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void sr_be32_put(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline void sr_be64_put(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static inline uint16_t sr_be16_get(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t sr_be32_get(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t sr_be64_get(const uint8_t *p) {
  return (uint64_t)sr_be32_get(p) << 32 | sr_be32_get(p + 4);
}

/* Record nonce: 4 zero bytes then the index. */
static inline void sr_jf_nonce(uint8_t nonce[SR_JF_NONCE_LEN], uint64_t index) {
  memset(nonce, 0, 4);
  sr_be64_put(nonce + 4, index);
}

#endif
