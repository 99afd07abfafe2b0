#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "aead.h"
#include "jobfile.h"
#include "jobfile_format.h"
#include "sr/abi.h"
#include "submit_key.h"

#define ZSTD_WINDOW_LOG_MAX 24 /* refuse frames needing more than 16 MiB */

typedef enum read_stage { STAGE_HEADER, STAGE_HEAD, STAGE_BODY, STAGE_DONE } read_stage;

struct sr_jobfile_reader {
  const sr_site_key *key;
  sr_write_fn sink;
  void *sink_ctx;
  read_stage stage;
  uint8_t header[SR_JF_MAX_HEADER_LEN];
  size_t header_len;      /* SR_JF_PREFIX_LEN until the version is known */
  const uint8_t *file_id; /* in header */
  uint8_t head[SR_JF_RECORD_HEAD];
  size_t have;     /* bytes collected for the current stage */
  uint8_t *body;   /* ciphertext + tag, decrypted in place */
  size_t body_cap; /* max ciphertext length + tag */
  size_t need;     /* body bytes expected */
  sr_aead *aead;
  uint8_t header_digest[32];
  uint32_t chunk_size;
  uint64_t next_index;
  ZSTD_DCtx *zstd;
  uint8_t *zout;
  size_t zout_size;
  bool frame_done; /* the zstd frame was fully decoded */
  char *info;
  int status;
  char error[256];
};

static int fail(sr_jobfile_reader *r, int status, const char *fmt, ...) SR_PRINTF(3, 4);
static int fail(sr_jobfile_reader *r, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->error, sizeof r->error, fmt, ap);
  va_end(ap);
  return r->status = status;
}

int sr_jobfile_reader_new(const sr_site_key *key, sr_write_fn sink, void *sink_ctx,
                          sr_jobfile_reader **out) {
  if (!key || !sink)
    return SR_ERR_INVALID;
  sr_jobfile_reader *r = calloc(1, sizeof *r);
  if (!r)
    return SR_ERR_NOMEM;
  r->key = key;
  r->sink = sink;
  r->sink_ctx = sink_ctx;
  r->header_len = SR_JF_PREFIX_LEN;
  *out = r;
  return SR_OK;
}

static void hex8(const uint8_t *id, char *out) {
  for (int i = 0; i < SR_KEY_ID_LEN; i++)
    snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* The header length of a format version, 0 for one this build cannot read. */
static size_t header_len_of(uint16_t version) {
  return version == SR_JF_VERSION     ? SR_JF_HEADER_LEN
         : version == SR_JF_VERSION_2 ? SR_JF2_HEADER_LEN
                                      : 0;
}

/* Magic and version: what the first SR_JF_PREFIX_LEN bytes can tell. */
static int check_prefix(const uint8_t *h, size_t len, char *why, size_t why_size) {
  if (len < SR_JF_PREFIX_LEN || memcmp(h, SR_JF_MAGIC, SR_JF_MAGIC_LEN) != 0) {
    snprintf(why, why_size, "not a securerelease job file (bad magic)");
    return SR_ERR_CORRUPT;
  }
  uint16_t version = sr_be16_get(h + SR_JF_OFF_VERSION);
  if (!header_len_of(version)) {
    snprintf(why, why_size,
             "job file format version %u is not supported (this build reads %d and %d)", version,
             SR_JF_VERSION, SR_JF_VERSION_2);
    return SR_ERR_CORRUPT;
  }
  return SR_OK;
}

static int check_chunk(uint32_t chunk, char *why, size_t why_size) {
  if (chunk < SR_JOBFILE_MIN_CHUNK || chunk > SR_JOBFILE_MAX_CHUNK) {
    snprintf(why, why_size, "job file header is corrupted (chunk size %u)", chunk);
    return SR_ERR_CORRUPT;
  }
  return SR_OK;
}

static int check_v1(const uint8_t *h, char *why, size_t why_size) {
  if (sr_be16_get(h + SR_JF_OFF_HEADER_LEN) != SR_JF_HEADER_LEN ||
      h[SR_JF_OFF_KDF] != SR_JF_KDF_PBKDF2 || h[SR_JF_OFF_COMPRESS] > SR_JF_COMPRESS_ZSTD ||
      sr_be16_get(h + SR_JF_OFF_RESERVED) != 0) {
    snprintf(why, why_size, "job file header is corrupted (unknown field values)");
    return SR_ERR_CORRUPT;
  }
  uint32_t iterations = sr_be32_get(h + SR_JF_OFF_ITERATIONS);
  if (iterations < SR_KDF_MIN_ITERATIONS || iterations > SR_KDF_MAX_ITERATIONS) {
    snprintf(why, why_size, "job file header is corrupted (KDF iterations %u outside %u..%u)",
             iterations, SR_KDF_MIN_ITERATIONS, SR_KDF_MAX_ITERATIONS);
    return SR_ERR_CORRUPT;
  }
  return check_chunk(sr_be32_get(h + SR_JF_OFF_CHUNK), why, why_size);
}

static int check_v2(const uint8_t *h, char *why, size_t why_size) {
  if (sr_be16_get(h + SR_JF_OFF_HEADER_LEN) != SR_JF2_HEADER_LEN ||
      h[SR_JF_OFF_KDF] != SR_JF_KDF_ECDH_P256 || h[SR_JF_OFF_COMPRESS] != SR_JF_COMPRESS_NONE ||
      sr_be16_get(h + SR_JF_OFF_RESERVED) != 0) {
    snprintf(why, why_size, "job file header is corrupted (unknown field values)");
    return SR_ERR_CORRUPT;
  }
  if (h[SR_JF2_OFF_EPHEMERAL] != 4) {
    snprintf(why, why_size,
             "job file header is corrupted (the ephemeral key is not an "
             "uncompressed P-256 point)");
    return SR_ERR_CORRUPT;
  }
  return check_chunk(sr_be32_get(h + SR_JF2_OFF_CHUNK), why, why_size);
}

int sr_jobfile_header_check(const uint8_t *h, size_t len, char *why, size_t why_size) {
  int status = check_prefix(h, len, why, why_size);
  if (status != SR_OK)
    return status;
  size_t need = header_len_of(sr_be16_get(h + SR_JF_OFF_VERSION));
  if (len < need) {
    snprintf(why, why_size, "truncated: the job file ends inside its header");
    return SR_ERR_CORRUPT;
  }
  return need == SR_JF_HEADER_LEN ? check_v1(h, why, why_size) : check_v2(h, why, why_size);
}

size_t sr_jobfile_file_id_offset(const uint8_t *h, size_t len) {
  char why[160];
  if (check_prefix(h, len, why, sizeof why) != SR_OK)
    return 0;
  return sr_be16_get(h + SR_JF_OFF_VERSION) == SR_JF_VERSION ? SR_JF_OFF_FILE_ID
                                                             : SR_JF2_OFF_FILE_ID;
}

static int another_site(sr_jobfile_reader *r, const uint8_t *want_id, const uint8_t *have_id) {
  char want[2 * SR_KEY_ID_LEN + 1], have[2 * SR_KEY_ID_LEN + 1];
  hex8(want_id, want);
  hex8(have_id, have);
  return fail(r, SR_ERR_AUTH,
              "job file was written for another site key, or its header is damaged (key id "
              "%s, this site's is %s)",
              want, have);
}

/* With the data key unwrapped: the record cipher and buffers. */
static int start_records(sr_jobfile_reader *r, const uint8_t data_key[SR_JF_KEY_LEN]) {
  r->aead = sr_aead_new(data_key);
  sr_sha256(r->header, r->header_len, r->header_digest);
  r->body_cap =
      (r->chunk_size > SR_JOBFILE_MAX_INFO ? r->chunk_size : SR_JOBFILE_MAX_INFO) + SR_JF_TAG_LEN;
  r->body = malloc(r->body_cap);
  if (!r->aead || !r->body)
    return fail(r, SR_ERR_NOMEM, "out of memory");
  return SR_OK;
}

/* Version 2: ECDH with the site's submission key (derived here, a scalar
 * multiplication: no slow KDF an attacker's file could make us run). */
static int parse_header_v2(sr_jobfile_reader *r) {
  const uint8_t *h = r->header;
  r->chunk_size = sr_be32_get(h + SR_JF2_OFF_CHUNK);
  r->file_id = h + SR_JF2_OFF_FILE_ID;
  EVP_PKEY *priv = NULL;
  int status = sr_submit_key_derive(r->key, &priv);
  if (status != SR_OK)
    return fail(r, status, "cannot derive the site's submission key");
  uint8_t spki[SR_SUBMIT_SPKI_MAX], key_id[SR_KEY_ID_LEN], wrap_key[32], data_key[SR_JF_KEY_LEN];
  size_t spki_len = sr_submit_key_spki(priv, spki, sizeof spki);
  sr_submit_key_id(spki, spki_len, key_id);
  if (!spki_len || memcmp(key_id, h + SR_JF2_OFF_KEY_ID, SR_KEY_ID_LEN) != 0) {
    EVP_PKEY_free(priv);
    return another_site(r, h + SR_JF2_OFF_KEY_ID, key_id);
  }
  status = sr_submit_wrap_open(priv, h + SR_JF2_OFF_EPHEMERAL, r->file_id, key_id, wrap_key);
  EVP_PKEY_free(priv);
  if (status != SR_OK)
    return fail(r, SR_ERR_CORRUPT,
                "job file header is corrupted (its ephemeral key is not a P-256 point)");
  sr_aead *wrap = sr_aead_new(wrap_key);
  OPENSSL_cleanse(wrap_key, sizeof wrap_key);
  if (!wrap)
    return fail(r, SR_ERR_NOMEM, "out of memory");
  status =
      sr_aead_open(wrap, h + SR_JF2_OFF_WRAP_NONCE, h, SR_JF2_WRAP_AAD_LEN,
                   h + SR_JF2_OFF_WRAPPED_KEY, SR_JF_KEY_LEN, data_key, h + SR_JF2_OFF_WRAP_TAG);
  sr_aead_free(wrap);
  if (status != SR_OK) {
    OPENSSL_cleanse(data_key, sizeof data_key);
    return fail(r, SR_ERR_CORRUPT, "job file header is corrupted (it failed authentication)");
  }
  status = start_records(r, data_key);
  OPENSSL_cleanse(data_key, sizeof data_key);
  return status;
}

static int parse_header(sr_jobfile_reader *r) {
  const uint8_t *h = r->header;
  char why[160];
  if (sr_jobfile_header_check(h, r->header_len, why, sizeof why) != SR_OK)
    return fail(r, SR_ERR_CORRUPT, "%s", why);
  if (r->header_len == SR_JF2_HEADER_LEN)
    return parse_header_v2(r);
  r->file_id = h + SR_JF_OFF_FILE_ID;
  uint32_t iterations = sr_be32_get(h + SR_JF_OFF_ITERATIONS);
  r->chunk_size = sr_be32_get(h + SR_JF_OFF_CHUNK);

  /* Only the site's own salt and iteration count are accepted: deriving a
   * key for whatever an unauthenticated header asks would let anyone who
   * can hand us a file burn seconds of CPU with it. */
  if (iterations != sr_site_key_iterations(r->key) ||
      memcmp(h + SR_JF_OFF_SALT, sr_site_key_salt(r->key), SR_KDF_SALT_LEN) != 0 ||
      memcmp(h + SR_JF_OFF_KEY_ID, sr_site_key_id(r->key), SR_KEY_ID_LEN) != 0)
    return another_site(r, h + SR_JF_OFF_KEY_ID, sr_site_key_id(r->key));
  uint8_t kek[32], key_id[SR_KEY_ID_LEN], data_key[SR_JF_KEY_LEN];
  int status = sr_site_key_kek(r->key, h + SR_JF_OFF_SALT, iterations, kek, key_id);
  if (status != SR_OK) {
    OPENSSL_cleanse(kek, sizeof kek);
    return fail(r, status, "cannot derive the site key");
  }
  sr_aead *wrap = sr_aead_new(kek);
  OPENSSL_cleanse(kek, sizeof kek);
  if (!wrap)
    return fail(r, SR_ERR_NOMEM, "out of memory");
  status = sr_aead_open(wrap, h + SR_JF_OFF_WRAP_NONCE, h, SR_JF_WRAP_AAD_LEN,
                        h + SR_JF_OFF_WRAPPED_KEY, SR_JF_KEY_LEN, data_key, h + SR_JF_OFF_WRAP_TAG);
  sr_aead_free(wrap);
  if (status != SR_OK) {
    OPENSSL_cleanse(data_key, sizeof data_key); /* GCM wrote it before the tag check */
    return fail(r, SR_ERR_CORRUPT, "job file header is corrupted (it failed authentication)");
  }
  status = start_records(r, data_key);
  OPENSSL_cleanse(data_key, sizeof data_key);
  if (status != SR_OK)
    return status;
  if (h[SR_JF_OFF_COMPRESS] == SR_JF_COMPRESS_ZSTD) {
    r->zout_size = ZSTD_DStreamOutSize();
    if (!(r->zstd = ZSTD_createDCtx()) || !(r->zout = malloc(r->zout_size)))
      return fail(r, SR_ERR_NOMEM, "out of memory");
    ZSTD_DCtx_setParameter(r->zstd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX);
  }
  return SR_OK;
}

/* Checks a record head before its body is read. */
static int check_head(sr_jobfile_reader *r) {
  const uint8_t *head = r->head;
  uint32_t len = sr_be32_get(head + 4);
  uint64_t pos = r->next_index;
  if (memcmp(head + 16, r->file_id, SR_JF_FILE_ID_LEN) != 0)
    return fail(r, SR_ERR_CORRUPT, "chunk %llu comes from another job file (spliced) or is damaged",
                (unsigned long long)pos);
  if ((size_t)len + SR_JF_TAG_LEN > r->body_cap ||
      (head[0] == SR_JF_TYPE_DATA && len > r->chunk_size))
    return fail(r, SR_ERR_CORRUPT, "chunk %llu is damaged (length %u)", (unsigned long long)pos,
                len);
  r->need = (size_t)len + SR_JF_TAG_LEN;
  return SR_OK;
}

static int sink_refused(sr_jobfile_reader *r, int status) {
  return fail(r, status, "the document's destination refused it (%s)", sr_status_name(status));
}

static int deliver_document(sr_jobfile_reader *r, const uint8_t *p, size_t len) {
  if (!len)
    return SR_OK;
  if (!r->zstd) {
    int status = r->sink(r->sink_ctx, p, len);
    return status == SR_OK ? SR_OK : sink_refused(r, status);
  }
  ZSTD_inBuffer in = {p, len, 0};
  for (;;) {
    ZSTD_outBuffer out = {r->zout, r->zout_size, 0};
    size_t before = in.pos;
    size_t left = ZSTD_decompressStream(r->zstd, &out, &in);
    if (ZSTD_isError(left))
      return fail(r, SR_ERR_CORRUPT, "document does not decompress: %s", ZSTD_getErrorName(left));
    /* 0 means a frame ended; a later call without input says nothing new */
    if (left == 0)
      r->frame_done = true;
    else if (in.pos > before)
      r->frame_done = false;
    if (out.pos) {
      int status = r->sink(r->sink_ctx, r->zout, out.pos);
      if (status != SR_OK)
        return sink_refused(r, status);
    }
    /* Output not full: the decoder holds nothing more for this input. */
    if (in.pos == in.size && out.pos < out.size)
      return SR_OK;
  }
}

/* Authenticates and decrypts the record body at `src` (r->body itself, or
 * the caller's buffer when a whole body arrived at once) into r->body. */
static int open_record(sr_jobfile_reader *r, const uint8_t *src) {
  const uint8_t *head = r->head;
  size_t len = r->need - SR_JF_TAG_LEN;
  uint64_t index = sr_be64_get(head + 8);
  uint64_t pos = r->next_index;
  uint8_t aad[SR_JF_AAD_LEN], nonce[SR_JF_NONCE_LEN];
  memcpy(aad, r->header_digest, 32);
  memcpy(aad + 32, head, SR_JF_RECORD_HEAD);
  sr_jf_nonce(nonce, index);
  if (sr_aead_open(r->aead, nonce, aad, sizeof aad, src, len, r->body, src + len) != SR_OK)
    return fail(r, SR_ERR_CORRUPT,
                "chunk %llu failed authentication (the file was modified or damaged)",
                (unsigned long long)pos);
  /* Authentic from here on: what is wrong now is the order. */
  if (index != pos)
    return fail(r, SR_ERR_CORRUPT,
                "chunks are out of order: chunk %llu found where chunk %llu belongs",
                (unsigned long long)index, (unsigned long long)pos);
  bool final = head[1] & SR_JF_FLAG_FINAL;
  uint8_t want = pos == 0 ? SR_JF_TYPE_INFO : SR_JF_TYPE_DATA;
  if (head[0] != want || (pos == 0 && final) || sr_be16_get(head + 2) != 0)
    return fail(r, SR_ERR_CORRUPT, "chunk %llu has the wrong type", (unsigned long long)pos);
  r->next_index++;
  if (pos == 0) {
    if (!(r->info = malloc(len + 1)))
      return fail(r, SR_ERR_NOMEM, "out of memory");
    memcpy(r->info, r->body, len);
    r->info[len] = '\0';
    return SR_OK;
  }
  int status = deliver_document(r, r->body, len);
  if (status != SR_OK)
    return status;
  if (final) {
    if (r->zstd && !r->frame_done)
      return fail(r, SR_ERR_CORRUPT, "the compressed document ends early");
    r->stage = STAGE_DONE;
  }
  return SR_OK;
}

int sr_jobfile_reader_feed(sr_jobfile_reader *r, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len && r->status == SR_OK) {
    if (r->stage == STAGE_BODY && r->have == 0 && len >= r->need) {
      /* The whole body is in the caller's buffer: decrypt from there. */
      size_t need = r->need;
      r->stage = STAGE_HEAD;
      open_record(r, p);
      p += need;
      len -= need;
      continue;
    }
    uint8_t *dst;
    size_t want;
    switch (r->stage) {
    case STAGE_HEADER:
      dst = r->header;
      want = r->header_len;
      break;
    case STAGE_HEAD:
      dst = r->head;
      want = SR_JF_RECORD_HEAD;
      break;
    case STAGE_BODY:
      dst = r->body;
      want = r->need;
      break;
    default: return fail(r, SR_ERR_CORRUPT, "data after the final chunk");
    }
    size_t take = want - r->have < len ? want - r->have : len;
    memcpy(dst + r->have, p, take);
    r->have += take;
    p += take;
    len -= take;
    if (r->have < want)
      break;
    if (r->stage == STAGE_HEADER && r->header_len == SR_JF_PREFIX_LEN) {
      /* the version says how long the rest of the header is */
      char why[160];
      if (check_prefix(r->header, SR_JF_PREFIX_LEN, why, sizeof why) != SR_OK)
        return fail(r, SR_ERR_CORRUPT, "%s", why);
      r->header_len = header_len_of(sr_be16_get(r->header + SR_JF_OFF_VERSION));
      continue;
    }
    r->have = 0;
    if (r->stage == STAGE_HEADER) {
      if (parse_header(r) == SR_OK)
        r->stage = STAGE_HEAD;
    } else if (r->stage == STAGE_HEAD) {
      if (check_head(r) == SR_OK)
        r->stage = STAGE_BODY;
    } else {
      r->stage = STAGE_HEAD;
      open_record(r, r->body);
    }
  }
  return r->status;
}

int sr_jobfile_reader_finish(sr_jobfile_reader *r) {
  if (r->status != SR_OK)
    return r->status;
  if (r->stage == STAGE_DONE)
    return SR_OK;
  if (r->stage == STAGE_HEADER)
    return fail(r, SR_ERR_CORRUPT, "truncated: the job file ends inside its header");
  if (r->have || r->stage == STAGE_BODY)
    return fail(r, SR_ERR_CORRUPT, "truncated: the job file ends inside chunk %llu",
                (unsigned long long)r->next_index);
  return fail(r, SR_ERR_CORRUPT,
              "truncated: the job file ends after chunk %llu, before its final chunk",
              (unsigned long long)(r->next_index ? r->next_index - 1 : 0));
}

const char *sr_jobfile_reader_info(const sr_jobfile_reader *r) { return r->info; }
const char *sr_jobfile_reader_error(const sr_jobfile_reader *r) { return r->error; }

void sr_jobfile_reader_free(sr_jobfile_reader *r) {
  if (!r)
    return;
  sr_aead_free(r->aead);
  ZSTD_freeDCtx(r->zstd);
  if (r->body)
    OPENSSL_cleanse(r->body, r->body_cap);
  free(r->body);
  free(r->zout);
  if (r->info)
    OPENSSL_cleanse(r->info, strlen(r->info));
  free(r->info);
  free(r);
}
