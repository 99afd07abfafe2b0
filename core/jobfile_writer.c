#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "aead.h"
#include "jobfile.h"
#include "jobfile_format.h"
#include "sr/abi.h"
#include "submit_key.h"

struct sr_jobfile_writer {
  sr_write_fn sink;
  void *sink_ctx;
  sr_aead *aead; /* under this file's data key */
  uint8_t header_digest[32];
  uint8_t file_id[SR_JF_FILE_ID_LEN];
  uint32_t chunk_size;
  uint64_t next_index;
  uint8_t *record; /* head + chunk + tag: the record being built */
  size_t record_size;
  size_t fill;     /* plaintext bytes in record + SR_JF_RECORD_HEAD */
  ZSTD_CCtx *zstd; /* NULL when not compressing */
  int status;      /* first error; every later call returns it */
  bool finished;
};

/* Seals `len` plaintext bytes already at record + SR_JF_RECORD_HEAD (or at
 * `src` when given) and pushes the record to the sink. */
static int emit_record(sr_jobfile_writer *w, uint8_t type, bool final, const uint8_t *src,
                       size_t len) {
  uint8_t *head = w->record;
  head[0] = type;
  head[1] = final ? SR_JF_FLAG_FINAL : 0;
  sr_be16_put(head + 2, 0);
  sr_be32_put(head + 4, (uint32_t)len);
  sr_be64_put(head + 8, w->next_index);
  memcpy(head + 16, w->file_id, SR_JF_FILE_ID_LEN);

  uint8_t aad[SR_JF_AAD_LEN], nonce[SR_JF_NONCE_LEN];
  memcpy(aad, w->header_digest, 32);
  memcpy(aad + 32, head, SR_JF_RECORD_HEAD);
  sr_jf_nonce(nonce, w->next_index);
  uint8_t *body = head + SR_JF_RECORD_HEAD;
  int status =
      sr_aead_seal(w->aead, nonce, aad, sizeof aad, src ? src : body, len, body, body + len);
  if (status == SR_OK)
    status = w->sink(w->sink_ctx, head, SR_JF_RECORD_HEAD + len + SR_JF_TAG_LEN);
  w->next_index++;
  w->fill = SR_JF_RECORD_HEAD;
  return status;
}

static int write_header(sr_jobfile_writer *w, const sr_site_key *key, bool compress,
                        const uint8_t data_key[SR_JF_KEY_LEN]) {
  uint8_t h[SR_JF_HEADER_LEN] = {0};
  memcpy(h, SR_JF_MAGIC, SR_JF_MAGIC_LEN);
  sr_be16_put(h + SR_JF_OFF_VERSION, SR_JF_VERSION);
  sr_be16_put(h + SR_JF_OFF_HEADER_LEN, SR_JF_HEADER_LEN);
  h[SR_JF_OFF_KDF] = SR_JF_KDF_PBKDF2;
  h[SR_JF_OFF_COMPRESS] = compress ? SR_JF_COMPRESS_ZSTD : SR_JF_COMPRESS_NONE;
  sr_be32_put(h + SR_JF_OFF_ITERATIONS, sr_site_key_iterations(key));
  sr_be32_put(h + SR_JF_OFF_CHUNK, w->chunk_size);
  memcpy(h + SR_JF_OFF_SALT, sr_site_key_salt(key), SR_KDF_SALT_LEN);
  memcpy(h + SR_JF_OFF_KEY_ID, sr_site_key_id(key), SR_KEY_ID_LEN);
  memcpy(h + SR_JF_OFF_FILE_ID, w->file_id, SR_JF_FILE_ID_LEN);
  if (RAND_bytes(h + SR_JF_OFF_WRAP_NONCE, SR_JF_NONCE_LEN) != 1)
    return SR_ERR_NOMEM;

  uint8_t kek[32], key_id[SR_KEY_ID_LEN];
  int status =
      sr_site_key_kek(key, sr_site_key_salt(key), sr_site_key_iterations(key), kek, key_id);
  sr_aead *wrap = status == SR_OK ? sr_aead_new(kek) : NULL;
  OPENSSL_cleanse(kek, sizeof kek);
  if (!wrap)
    return status != SR_OK ? status : SR_ERR_NOMEM;
  status = sr_aead_seal(wrap, h + SR_JF_OFF_WRAP_NONCE, h, SR_JF_WRAP_AAD_LEN, data_key,
                        SR_JF_KEY_LEN, h + SR_JF_OFF_WRAPPED_KEY, h + SR_JF_OFF_WRAP_TAG);
  sr_aead_free(wrap);
  if (status != SR_OK)
    return status;
  sr_sha256(h, sizeof h, w->header_digest);
  return w->sink(w->sink_ctx, h, sizeof h);
}

/* Version 2: the data key wrapped for the site's public submission key. */
static int write_header_v2(sr_jobfile_writer *w, const uint8_t *spki, size_t spki_len,
                           const uint8_t data_key[SR_JF_KEY_LEN]) {
  uint8_t h[SR_JF2_HEADER_LEN] = {0}, wrap_key[32];
  memcpy(h, SR_JF_MAGIC, SR_JF_MAGIC_LEN);
  sr_be16_put(h + SR_JF_OFF_VERSION, SR_JF_VERSION_2);
  sr_be16_put(h + SR_JF_OFF_HEADER_LEN, SR_JF2_HEADER_LEN);
  h[SR_JF_OFF_KDF] = SR_JF_KDF_ECDH_P256;
  h[SR_JF_OFF_COMPRESS] = SR_JF_COMPRESS_NONE;
  sr_be32_put(h + SR_JF2_OFF_CHUNK, w->chunk_size);
  memcpy(h + SR_JF2_OFF_FILE_ID, w->file_id, SR_JF_FILE_ID_LEN);
  int status = sr_submit_wrap_seal(spki, spki_len, w->file_id, h + SR_JF2_OFF_EPHEMERAL,
                                   h + SR_JF2_OFF_KEY_ID, wrap_key);
  if (status != SR_OK)
    return status;
  sr_aead *wrap = sr_aead_new(wrap_key);
  OPENSSL_cleanse(wrap_key, sizeof wrap_key);
  if (!wrap || RAND_bytes(h + SR_JF2_OFF_WRAP_NONCE, SR_JF_NONCE_LEN) != 1) {
    sr_aead_free(wrap);
    return SR_ERR_NOMEM;
  }
  status = sr_aead_seal(wrap, h + SR_JF2_OFF_WRAP_NONCE, h, SR_JF2_WRAP_AAD_LEN, data_key,
                        SR_JF_KEY_LEN, h + SR_JF2_OFF_WRAPPED_KEY, h + SR_JF2_OFF_WRAP_TAG);
  sr_aead_free(wrap);
  if (status != SR_OK)
    return status;
  sr_sha256(h, sizeof h, w->header_digest);
  return w->sink(w->sink_ctx, h, sizeof h);
}

/* Either `key` (version 1) or `spki` (version 2) is given. */
static int writer_new(const sr_site_key *key, const uint8_t *spki, size_t spki_len,
                      const sr_jobfile_options *opts, const char *info, sr_write_fn sink,
                      void *sink_ctx, sr_jobfile_writer **out) {
  sr_jobfile_options defaults = {.chunk_size = SR_JOBFILE_DEFAULT_CHUNK, .compress = !spki};
  if (!opts)
    opts = &defaults;
  uint32_t chunk = opts->chunk_size ? opts->chunk_size : SR_JOBFILE_DEFAULT_CHUNK;
  size_t info_len = info ? strlen(info) : 0;
  if ((!key && !spki) || !sink || chunk < SR_JOBFILE_MIN_CHUNK || chunk > SR_JOBFILE_MAX_CHUNK ||
      info_len > SR_JOBFILE_MAX_INFO || (spki && opts->compress))
    return SR_ERR_INVALID;

  sr_jobfile_writer *w = calloc(1, sizeof *w);
  if (!w)
    return SR_ERR_NOMEM;
  w->sink = sink;
  w->sink_ctx = sink_ctx;
  w->chunk_size = chunk;
  w->fill = SR_JF_RECORD_HEAD;
  size_t record_size = w->record_size =
      SR_JF_RECORD_HEAD + (chunk > SR_JOBFILE_MAX_INFO ? chunk : SR_JOBFILE_MAX_INFO) +
      SR_JF_TAG_LEN;
  uint8_t data_key[SR_JF_KEY_LEN];
  int status = SR_ERR_NOMEM;
  if (!(w->record = malloc(record_size)) || RAND_bytes(data_key, sizeof data_key) != 1 ||
      RAND_bytes(w->file_id, sizeof w->file_id) != 1 || !(w->aead = sr_aead_new(data_key)))
    goto out_fail;
  if (opts->compress) {
    if (!(w->zstd = ZSTD_createCCtx()))
      goto out_fail;
    /* The reader refuses windows over 16 MiB (memory stays bounded). Levels
     * up to 19 stay below that on their own; the "ultra" levels 20-22 would
     * not, so their window is capped (a bigger one only costs memory). */
    int level = opts->level ? opts->level : ZSTD_CLEVEL_DEFAULT;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(w->zstd, ZSTD_c_compressionLevel, level)) ||
        (level >= 20 && ZSTD_isError(ZSTD_CCtx_setParameter(w->zstd, ZSTD_c_windowLog, 24)))) {
      status = SR_ERR_INVALID;
      goto out_fail;
    }
  }
  status = spki ? write_header_v2(w, spki, spki_len, data_key)
                : write_header(w, key, opts->compress, data_key);
  if (status == SR_OK)
    status = emit_record(w, SR_JF_TYPE_INFO, false, (const uint8_t *)(info ? info : ""), info_len);
  if (status != SR_OK)
    goto out_fail;
  OPENSSL_cleanse(data_key, sizeof data_key);
  *out = w;
  return SR_OK;

out_fail:
  OPENSSL_cleanse(data_key, sizeof data_key);
  sr_jobfile_writer_free(w);
  return status;
}

int sr_jobfile_writer_new(const sr_site_key *key, const sr_jobfile_options *opts, const char *info,
                          sr_write_fn sink, void *sink_ctx, sr_jobfile_writer **out) {
  return key ? writer_new(key, NULL, 0, opts, info, sink, sink_ctx, out) : SR_ERR_INVALID;
}

int sr_jobfile_writer_new_public(const uint8_t *spki, size_t spki_len,
                                 const sr_jobfile_options *opts, const char *info, sr_write_fn sink,
                                 void *sink_ctx, sr_jobfile_writer **out) {
  return spki && spki_len ? writer_new(NULL, spki, spki_len, opts, info, sink, sink_ctx, out)
                          : SR_ERR_INVALID;
}

/* Pushes input through zstd into the record buffer, emitting each full
 * chunk. `mode` is ZSTD_e_continue or ZSTD_e_end. */
static int compress_into_chunks(sr_jobfile_writer *w, const void *buf, size_t len,
                                ZSTD_EndDirective mode) {
  ZSTD_inBuffer in = {buf, len, 0};
  for (;;) {
    ZSTD_outBuffer out = {w->record, SR_JF_RECORD_HEAD + w->chunk_size, w->fill};
    size_t left = ZSTD_compressStream2(w->zstd, &out, &in, mode);
    if (ZSTD_isError(left))
      return SR_ERR_INVALID;
    w->fill = out.pos;
    if (w->fill == SR_JF_RECORD_HEAD + w->chunk_size) {
      int status = emit_record(w, SR_JF_TYPE_DATA, false, NULL, w->chunk_size);
      if (status != SR_OK)
        return status;
      continue;
    }
    bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
    if (done)
      return SR_OK;
  }
}

static int copy_into_chunks(sr_jobfile_writer *w, const uint8_t *p, size_t len) {
  while (len) {
    size_t have = w->fill - SR_JF_RECORD_HEAD;
    if (have == 0 && len >= w->chunk_size) {
      /* A whole chunk in the caller's buffer: seal it from there. */
      int status = emit_record(w, SR_JF_TYPE_DATA, false, p, w->chunk_size);
      if (status != SR_OK)
        return status;
      p += w->chunk_size;
      len -= w->chunk_size;
      continue;
    }
    size_t take = w->chunk_size - have < len ? w->chunk_size - have : len;
    memcpy(w->record + w->fill, p, take);
    w->fill += take;
    p += take;
    len -= take;
    if (w->fill == SR_JF_RECORD_HEAD + w->chunk_size) {
      int status = emit_record(w, SR_JF_TYPE_DATA, false, NULL, w->chunk_size);
      if (status != SR_OK)
        return status;
    }
  }
  return SR_OK;
}

int sr_jobfile_writer_write(sr_jobfile_writer *w, const void *buf, size_t len) {
  if (w->status != SR_OK)
    return w->status;
  if (w->finished)
    return w->status = SR_ERR_INVALID;
  if (!len)
    return SR_OK;
  w->status =
      w->zstd ? compress_into_chunks(w, buf, len, ZSTD_e_continue) : copy_into_chunks(w, buf, len);
  return w->status;
}

int sr_jobfile_writer_finish(sr_jobfile_writer *w) {
  if (w->status != SR_OK)
    return w->status;
  if (w->finished)
    return SR_ERR_INVALID;
  if (w->zstd)
    w->status = compress_into_chunks(w, NULL, 0, ZSTD_e_end);
  if (w->status == SR_OK)
    w->status = emit_record(w, SR_JF_TYPE_DATA, true, NULL, w->fill - SR_JF_RECORD_HEAD);
  w->finished = true;
  return w->status;
}

void sr_jobfile_writer_free(sr_jobfile_writer *w) {
  if (!w)
    return;
  sr_aead_free(w->aead);
  ZSTD_freeCCtx(w->zstd);
  if (w->record)
    OPENSSL_cleanse(w->record, w->record_size);
  free(w->record);
  free(w);
}
