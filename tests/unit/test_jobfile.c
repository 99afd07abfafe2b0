/* The job file: round trips at the sizes that matter and every kind of
 * tampering, each with the error a user would be shown. */
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobfile.h"
#include "jobfile_format.h"
#include "sr/abi.h"
#include "submit_key.h"

#define SMALL_CHUNK 1024u

static sr_site_key *site, *other_site;

typedef struct buffer {
  uint8_t *data;
  size_t len, cap;
} buffer;

static int buffer_sink(void *ctx, const void *p, size_t len) {
  buffer *b = ctx;
  if (b->len + len > b->cap) {
    b->cap = (b->len + len) * 2;
    b->data = realloc(b->data, b->cap);
    assert_non_null(b->data);
  }
  memcpy(b->data + b->len, p, len);
  b->len += len;
  return SR_OK;
}

static void fill_pattern(uint8_t *p, size_t len, uint32_t seed) {
  uint32_t x = seed | 1;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    p[i] = (uint8_t)x;
  }
}

static buffer encrypt(const uint8_t *data, size_t len, uint32_t chunk, bool compress,
                      const char *info) {
  buffer file = {0};
  sr_jobfile_options opts = {.chunk_size = chunk, .compress = compress};
  sr_jobfile_writer *w = NULL;
  assert_int_equal(sr_jobfile_writer_new(site, &opts, info, buffer_sink, &file, &w), SR_OK);
  /* feed in uneven pieces to cross chunk edges in every way */
  size_t off = 0, piece = 1;
  while (off < len) {
    size_t n = piece < len - off ? piece : len - off;
    assert_int_equal(sr_jobfile_writer_write(w, data + off, n), SR_OK);
    off += n;
    piece = piece * 3 + 1;
  }
  assert_int_equal(sr_jobfile_writer_finish(w), SR_OK);
  sr_jobfile_writer_free(w);
  return file;
}

typedef struct decrypted {
  int status;
  buffer plain;
  char error[256];
  char info[256];
} decrypted;

static decrypted decrypt_with(const sr_site_key *key, const uint8_t *file, size_t len,
                              size_t slice) {
  decrypted d = {0};
  sr_jobfile_reader *r = NULL;
  assert_int_equal(sr_jobfile_reader_new(key, buffer_sink, &d.plain, &r), SR_OK);
  d.status = SR_OK;
  for (size_t off = 0; off < len && d.status == SR_OK; off += slice)
    d.status = sr_jobfile_reader_feed(r, file + off, slice < len - off ? slice : len - off);
  if (d.status == SR_OK)
    d.status = sr_jobfile_reader_finish(r);
  snprintf(d.error, sizeof d.error, "%s", sr_jobfile_reader_error(r));
  snprintf(d.info, sizeof d.info, "%s", sr_jobfile_reader_info(r) ? sr_jobfile_reader_info(r) : "");
  sr_jobfile_reader_free(r);
  return d;
}

static decrypted decrypt(const uint8_t *file, size_t len) {
  return decrypt_with(site, file, len, 4096);
}

static int setup(void **state) {
  (void)state;
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN] = {7};
  sr_site_secret_generate(secret);
  if (sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &site) != SR_OK)
    return -1;
  sr_site_secret_generate(secret);
  return sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &other_site) == SR_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  sr_site_key_free(site);
  sr_site_key_free(other_site);
  return 0;
}

static void round_trip(size_t len, uint32_t chunk, bool compress) {
  uint8_t *data = malloc(len ? len : 1);
  fill_pattern(data, len, (uint32_t)len);
  if (compress && len > 8)
    memset(data, 'x', len / 2); /* half compressible */
  buffer file = encrypt(data, len, chunk, compress, "{\"title\":\"report.pdf\"}");
  for (size_t slice = 1; slice <= 65536; slice = slice * 7 + 3) {
    if (slice < 64 && file.len > 100000)
      continue; /* byte-by-byte feeding of big files proves nothing more */
    decrypted d = decrypt_with(site, file.data, file.len, slice);
    if (d.status != SR_OK)
      fail_msg("len %zu chunk %u compress %d slice %zu: %s", len, chunk, compress, slice, d.error);
    assert_int_equal(d.plain.len, len);
    if (len)
      assert_memory_equal(d.plain.data, data, len);
    assert_string_equal(d.info, "{\"title\":\"report.pdf\"}");
    free(d.plain.data);
  }
  free(file.data);
  free(data);
}

static void test_round_trip_sizes(void **state) {
  (void)state;
  const size_t c = SR_JOBFILE_DEFAULT_CHUNK;
  const size_t sizes[] = {0, 1, 2, 1000, c - 1, c, c + 1, 2 * c - 1, 2 * c, 2 * c + 1, 3 * c + 17};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    round_trip(sizes[i], (uint32_t)c, false);
    round_trip(sizes[i], (uint32_t)c, true);
  }
  /* small chunks: many records, compressed output crossing chunk edges */
  round_trip(10 * SMALL_CHUNK + 5, SMALL_CHUNK, true);
  round_trip(10 * SMALL_CHUNK, SMALL_CHUNK, false);
}

/* 50 MiB through writer -> reader without ever holding the file: the
 * writer's sink feeds the reader, whose sink hashes what comes out. */
typedef struct pipe_ctx {
  sr_jobfile_reader *reader;
  EVP_MD_CTX *out_hash;
  size_t file_bytes, plain_bytes;
} pipe_ctx;

static int pipe_to_reader(void *ctx, const void *p, size_t len) {
  pipe_ctx *c = ctx;
  c->file_bytes += len;
  return sr_jobfile_reader_feed(c->reader, p, len);
}

static int hash_output(void *ctx, const void *p, size_t len) {
  pipe_ctx *c = ctx;
  c->plain_bytes += len;
  EVP_DigestUpdate(c->out_hash, p, len);
  return SR_OK;
}

static void big_round_trip(bool compress) {
  const size_t total = 50u << 20;
  pipe_ctx c = {.out_hash = EVP_MD_CTX_new()};
  EVP_MD_CTX *in_hash = EVP_MD_CTX_new();
  EVP_DigestInit_ex(in_hash, EVP_sha256(), NULL);
  EVP_DigestInit_ex(c.out_hash, EVP_sha256(), NULL);
  assert_int_equal(sr_jobfile_reader_new(site, hash_output, &c, &c.reader), SR_OK);
  sr_jobfile_options opts = {.compress = compress};
  sr_jobfile_writer *w = NULL;
  assert_int_equal(sr_jobfile_writer_new(site, &opts, "{}", pipe_to_reader, &c, &w), SR_OK);
  static uint8_t block[1 << 20];
  for (size_t off = 0; off < total; off += sizeof block) {
    fill_pattern(block, sizeof block, (uint32_t)off);
    EVP_DigestUpdate(in_hash, block, sizeof block);
    assert_int_equal(sr_jobfile_writer_write(w, block, sizeof block), SR_OK);
  }
  assert_int_equal(sr_jobfile_writer_finish(w), SR_OK);
  assert_int_equal(sr_jobfile_reader_finish(c.reader), SR_OK);
  uint8_t a[32], b[32];
  EVP_DigestFinal_ex(in_hash, a, NULL);
  EVP_DigestFinal_ex(c.out_hash, b, NULL);
  assert_int_equal(c.plain_bytes, total);
  assert_memory_equal(a, b, 32);
  /* pseudo-random data hardly compresses: the overhead is bounded either way */
  if (!(c.file_bytes < total + total / 100 && (compress || c.file_bytes > total)))
    fail_msg("%zu file bytes for %zu document bytes (compress %d)", c.file_bytes, total, compress);
  sr_jobfile_writer_free(w);
  sr_jobfile_reader_free(c.reader);
  EVP_MD_CTX_free(in_hash);
  EVP_MD_CTX_free(c.out_hash);
}

static void test_round_trip_50mib(void **state) {
  (void)state;
  big_round_trip(false);
  big_round_trip(true);
}

/* A 3-record document with small chunks; returns the file. Record offsets:
 * header, info record, then data records of SMALL_CHUNK. */
static buffer small_file(uint32_t seed) {
  uint8_t data[3 * SMALL_CHUNK - 100];
  fill_pattern(data, sizeof data, seed);
  return encrypt(data, sizeof data, SMALL_CHUNK, false, "{\"n\":1}");
}

static size_t record_offset(const buffer *f, size_t index) {
  size_t off = SR_JF_HEADER_LEN;
  for (size_t i = 0; i < index; i++)
    off += SR_JF_RECORD_HEAD + sr_be32_get(f->data + off + 4) + SR_JF_TAG_LEN;
  return off;
}

static void assert_fails(const buffer *f, int status, const char *message) {
  decrypted d = decrypt(f->data, f->len);
  free(d.plain.data);
  if (d.status != status || (message && !strstr(d.error, message)))
    fail_msg("status %d (%s), expected %d with '%s'", d.status, d.error, status,
             message ? message : "");
}

static bool is_slow_kdf_field(size_t byte) {
  return byte >= SR_JF_OFF_ITERATIONS && byte < SR_JF_OFF_SALT + SR_KDF_SALT_LEN;
}

static void test_every_bit_flip_is_detected(void **state) {
  (void)state;
  buffer f = small_file(1);
  size_t flips = 0;
  for (size_t byte = 0; byte < f.len; byte++) {
    /* Iterations and salt change the KDF input: each flip there costs a
     * full PBKDF2 run, so only their first bit is flipped. */
    int bits =
        is_slow_kdf_field(byte) ? (byte == SR_JF_OFF_ITERATIONS + 3 || byte == SR_JF_OFF_SALT) : 8;
    for (int bit = 0; bit < bits; bit++) {
      f.data[byte] ^= (uint8_t)(1u << bit);
      decrypted d = decrypt(f.data, f.len);
      if (d.status != SR_ERR_CORRUPT && d.status != SR_ERR_AUTH)
        fail_msg("flip of byte %zu bit %d: status %d", byte, bit, d.status);
      assert_true(d.error[0] != '\0');
      free(d.plain.data);
      f.data[byte] ^= (uint8_t)(1u << bit);
      flips++;
    }
  }
  assert_true(flips > 8 * (f.len - 40));
  /* the messages say where */
  f.data[record_offset(&f, 2) + SR_JF_RECORD_HEAD + 5] ^= 0x10;
  assert_fails(&f, SR_ERR_CORRUPT,
               "chunk 2 failed authentication (the file was modified or damaged)");
  f.data[record_offset(&f, 2) + SR_JF_RECORD_HEAD + 5] ^= 0x10;
  f.data[SR_JF_OFF_WRAPPED_KEY] ^= 1;
  assert_fails(&f, SR_ERR_CORRUPT, "job file header is corrupted (it failed authentication)");
  f.data[SR_JF_OFF_WRAPPED_KEY] ^= 1;
  f.data[0] ^= 1;
  assert_fails(&f, SR_ERR_CORRUPT, "not a securerelease job file (bad magic)");
  f.data[0] ^= 1;
  f.data[SR_JF_OFF_VERSION + 1] = 9;
  assert_fails(&f, SR_ERR_CORRUPT, "job file format version 9 is not supported");
  free(f.data);
}

static void test_truncation(void **state) {
  (void)state;
  buffer f = small_file(2);
  size_t full = f.len;
  for (size_t len = 0; len < full; len++) {
    f.len = len;
    decrypted d = decrypt(f.data, f.len);
    if (d.status != SR_ERR_CORRUPT || !strstr(d.error, "truncated"))
      fail_msg("truncated to %zu of %zu: status %d (%s)", len, full, d.status, d.error);
    free(d.plain.data);
  }
  f.len = SR_JF_HEADER_LEN - 1;
  assert_fails(&f, SR_ERR_CORRUPT, "truncated: the job file ends inside its header");
  f.len = record_offset(&f, 2) + 10;
  assert_fails(&f, SR_ERR_CORRUPT, "truncated: the job file ends inside chunk 2");
  /* cut exactly before the last record: every record left is valid */
  f.len = record_offset(&f, 3);
  assert_fails(&f, SR_ERR_CORRUPT,
               "truncated: the job file ends after chunk 2, before its final chunk");
  f.len = full;
  free(f.data);
}

static void test_reordered_dropped_replayed(void **state) {
  (void)state;
  buffer f = small_file(3);
  size_t r1 = record_offset(&f, 1), r2 = record_offset(&f, 2), r3 = record_offset(&f, 3);
  size_t n = r2 - r1; /* chunks 1 and 2 are both full: same length */
  assert_int_equal(r3 - r2, n);
  buffer g = {malloc(f.len), f.len, f.len};
  /* swap chunks 1 and 2 */
  memcpy(g.data, f.data, f.len);
  memcpy(g.data + r1, f.data + r2, n);
  memcpy(g.data + r2, f.data + r1, n);
  assert_fails(&g, SR_ERR_CORRUPT, "chunks are out of order: chunk 2 found where chunk 1 belongs");
  /* drop chunk 1 */
  memcpy(g.data, f.data, r1);
  memcpy(g.data + r1, f.data + r2, f.len - r2);
  g.len = f.len - n;
  assert_fails(&g, SR_ERR_CORRUPT, "chunks are out of order: chunk 2 found where chunk 1 belongs");
  /* replay chunk 1 in place of chunk 2 */
  memcpy(g.data, f.data, f.len);
  memcpy(g.data + r2, f.data + r1, n);
  g.len = f.len;
  assert_fails(&g, SR_ERR_CORRUPT, "chunks are out of order: chunk 1 found where chunk 2 belongs");
  /* trailing bytes after the final record */
  memcpy(g.data, f.data, f.len);
  g.data = realloc(g.data, f.len + 1);
  g.data[f.len] = 0;
  g.len = f.len + 1;
  assert_fails(&g, SR_ERR_CORRUPT, "data after the final chunk");
  free(g.data);
  free(f.data);
}

static void test_spliced_from_two_jobs(void **state) {
  (void)state;
  buffer a = small_file(4), b = small_file(5);
  assert_int_equal(a.len, b.len);
  size_t r2 = record_offset(&a, 2);
  /* job A up to chunk 1, then job B's chunks 2 and 3 (same site key) */
  memcpy(a.data + r2, b.data + r2, a.len - r2);
  assert_fails(&a, SR_ERR_CORRUPT, "chunk 2 comes from another job file (spliced)");
  /* B's header with A's records */
  free(a.data);
  a = small_file(4);
  memcpy(a.data, b.data, SR_JF_HEADER_LEN);
  assert_fails(&a, SR_ERR_CORRUPT, "chunk 0 comes from another job file (spliced)");
  free(a.data);
  free(b.data);
}

static void test_other_site_key(void **state) {
  (void)state;
  buffer f = small_file(6);
  decrypted d = decrypt_with(other_site, f.data, f.len, 4096);
  assert_int_equal(d.status, SR_ERR_AUTH);
  assert_non_null(strstr(
      d.error, "job file was written for another site key, or its header is damaged (key id "));
  assert_int_equal(d.plain.len, 0);
  free(f.data);
}

static void test_any_level_is_readable_and_kdf_is_not_ours_to_choose(void **state) {
  (void)state;
  uint8_t data[5000];
  fill_pattern(data, sizeof data, 9);
  for (int level = 1; level <= 22; level += 7) {
    buffer file = {0};
    sr_jobfile_options opts = {.compress = true, .level = level == 22 ? 22 : level};
    sr_jobfile_writer *w = NULL;
    assert_int_equal(sr_jobfile_writer_new(site, &opts, "{}", buffer_sink, &file, &w), SR_OK);
    assert_int_equal(sr_jobfile_writer_write(w, data, sizeof data), SR_OK);
    assert_int_equal(sr_jobfile_writer_finish(w), SR_OK);
    sr_jobfile_writer_free(w);
    decrypted d = decrypt(file.data, file.len);
    if (d.status != SR_OK)
      fail_msg("level %d: %s", level, d.error);
    assert_memory_equal(d.plain.data, data, sizeof data);
    free(d.plain.data);
    free(file.data);
  }
  /* a header asking for 20 million PBKDF2 rounds is refused, not obeyed */
  buffer f = small_file(7);
  sr_be32_put(f.data + SR_JF_OFF_ITERATIONS, 20000000);
  assert_fails(&f, SR_ERR_AUTH, "another site key, or its header is damaged");
  free(f.data);
}

static void test_writer_argument_checks(void **state) {
  (void)state;
  buffer file = {0};
  sr_jobfile_writer *w = NULL;
  sr_jobfile_options tiny = {.chunk_size = 10};
  assert_int_equal(sr_jobfile_writer_new(site, &tiny, "{}", buffer_sink, &file, &w),
                   SR_ERR_INVALID);
  char *huge = malloc(SR_JOBFILE_MAX_INFO + 2);
  memset(huge, 'a', SR_JOBFILE_MAX_INFO + 1);
  huge[SR_JOBFILE_MAX_INFO + 1] = '\0';
  assert_int_equal(sr_jobfile_writer_new(site, NULL, huge, buffer_sink, &file, &w), SR_ERR_INVALID);
  free(huge);
  assert_int_equal(file.len, 0);
  /* the header records the KDF parameters */
  assert_int_equal(sr_jobfile_writer_new(site, NULL, "{}", buffer_sink, &file, &w), SR_OK);
  assert_int_equal(sr_be32_get(file.data + SR_JF_OFF_ITERATIONS), SR_KDF_MIN_ITERATIONS);
  assert_int_equal(file.data[SR_JF_OFF_COMPRESS], SR_JF_COMPRESS_ZSTD);
  assert_int_equal(sr_jobfile_file_id_offset(file.data, SR_JF_PREFIX_LEN), SR_JF_OFF_FILE_ID);
  assert_int_equal(sr_jobfile_file_id_offset((const uint8_t *)"SRJOB\0\r\n\0\3\0\0", 12), 0);
  assert_int_equal(sr_jobfile_writer_finish(w), SR_OK);
  assert_int_equal(sr_jobfile_writer_write(w, "x", 1), SR_ERR_INVALID);
  sr_jobfile_writer_free(w);
  free(file.data);
}

/* Version 2: sealed with the site's public submission key. */
static uint8_t site_spki[SR_SUBMIT_SPKI_MAX];
static size_t site_spki_len;

static void load_site_spki(void) {
  if (site_spki_len)
    return;
  EVP_PKEY *priv = NULL;
  assert_int_equal(sr_submit_key_derive(site, &priv), SR_OK);
  site_spki_len = sr_submit_key_spki(priv, site_spki, sizeof site_spki);
  assert_int_equal(site_spki_len, 91);
  EVP_PKEY_free(priv);
}

static buffer encrypt_v2(const uint8_t *data, size_t len, uint32_t chunk, const char *info) {
  load_site_spki();
  buffer file = {0};
  sr_jobfile_options opts = {.chunk_size = chunk};
  sr_jobfile_writer *w = NULL;
  assert_int_equal(
      sr_jobfile_writer_new_public(site_spki, site_spki_len, &opts, info, buffer_sink, &file, &w),
      SR_OK);
  size_t off = 0, piece = 1;
  while (off < len) {
    size_t n = piece < len - off ? piece : len - off;
    assert_int_equal(sr_jobfile_writer_write(w, data + off, n), SR_OK);
    off += n;
    piece = piece * 3 + 1;
  }
  assert_int_equal(sr_jobfile_writer_finish(w), SR_OK);
  sr_jobfile_writer_free(w);
  return file;
}

static void test_v2_round_trip(void **state) {
  (void)state;
  const size_t c = SR_JOBFILE_DEFAULT_CHUNK;
  const size_t sizes[] = {0, 1, 1000, c - 1, c, c + 1, 3 * c + 17};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
    size_t len = sizes[i];
    uint8_t *data = malloc(len ? len : 1);
    fill_pattern(data, len, (uint32_t)len + 11);
    buffer file = encrypt_v2(data, len, (uint32_t)c, "{\"title\":\"upload.pdf\"}");
    assert_int_equal(sr_be16_get(file.data + SR_JF_OFF_VERSION), 2);
    assert_int_equal(file.data[SR_JF_OFF_COMPRESS], SR_JF_COMPRESS_NONE);
    char why[200];
    assert_int_equal(sr_jobfile_header_check(file.data, file.len, why, sizeof why), SR_OK);
    assert_int_equal(sr_jobfile_file_id_offset(file.data, SR_JF_PREFIX_LEN), SR_JF2_OFF_FILE_ID);
    for (size_t slice = 1; slice <= 65536; slice = slice * 7 + 3) {
      if (slice < 64 && file.len > 100000)
        continue;
      decrypted d = decrypt_with(site, file.data, file.len, slice);
      if (d.status != SR_OK)
        fail_msg("v2 len %zu slice %zu: %s", len, slice, d.error);
      assert_int_equal(d.plain.len, len);
      if (len)
        assert_memory_equal(d.plain.data, data, len);
      assert_string_equal(d.info, "{\"title\":\"upload.pdf\"}");
      free(d.plain.data);
    }
    free(file.data);
    free(data);
  }
}

static buffer small_file_v2(uint32_t seed) {
  uint8_t data[3 * SMALL_CHUNK - 100];
  fill_pattern(data, sizeof data, seed);
  return encrypt_v2(data, sizeof data, SMALL_CHUNK, "{\"n\":2}");
}

static size_t record_offset_v2(const buffer *f, size_t index) {
  size_t off = SR_JF2_HEADER_LEN;
  for (size_t i = 0; i < index; i++)
    off += SR_JF_RECORD_HEAD + sr_be32_get(f->data + off + 4) + SR_JF_TAG_LEN;
  return off;
}

static void test_v2_tampering(void **state) {
  (void)state;
  buffer f = small_file_v2(21);
  /* every bit of the header, one bit of each record byte (in turn) */
  for (size_t byte = 0; byte < f.len; byte++) {
    for (int bit = 0; bit < 8; bit++) {
      if (byte >= SR_JF2_HEADER_LEN && bit != (int)(byte % 8))
        continue;
      f.data[byte] ^= (uint8_t)(1u << bit);
      decrypted d = decrypt(f.data, f.len);
      if (d.status != SR_ERR_CORRUPT && d.status != SR_ERR_AUTH)
        fail_msg("v2 flip of byte %zu bit %d: status %d", byte, bit, d.status);
      assert_true(d.error[0] != '\0');
      free(d.plain.data);
      f.data[byte] ^= (uint8_t)(1u << bit);
    }
  }
  /* each part of the header names its failure */
  f.data[SR_JF2_OFF_EPHEMERAL + 20] ^= 1; /* x: off the curve */
  assert_fails(&f, SR_ERR_CORRUPT,
               "job file header is corrupted (its ephemeral key is not a P-256 point)");
  f.data[SR_JF2_OFF_EPHEMERAL + 20] ^= 1;
  f.data[SR_JF2_OFF_EPHEMERAL] = 2; /* a compressed point is not what v2 holds */
  assert_fails(&f, SR_ERR_CORRUPT, "the ephemeral key is not an uncompressed P-256 point");
  f.data[SR_JF2_OFF_EPHEMERAL] = 4;
  f.data[SR_JF2_OFF_WRAPPED_KEY + 3] ^= 0x40;
  assert_fails(&f, SR_ERR_CORRUPT, "job file header is corrupted (it failed authentication)");
  f.data[SR_JF2_OFF_WRAPPED_KEY + 3] ^= 0x40;
  f.data[SR_JF2_OFF_WRAP_TAG] ^= 1;
  assert_fails(&f, SR_ERR_CORRUPT, "job file header is corrupted (it failed authentication)");
  f.data[SR_JF2_OFF_WRAP_TAG] ^= 1;
  f.data[SR_JF2_OFF_FILE_ID] ^= 1; /* the HKDF salt and every record's binding */
  assert_fails(&f, SR_ERR_CORRUPT, "job file header is corrupted (it failed authentication)");
  f.data[SR_JF2_OFF_FILE_ID] ^= 1;
  f.data[SR_JF2_OFF_KEY_ID] ^= 1;
  assert_fails(&f, SR_ERR_AUTH, "job file was written for another site key");
  f.data[SR_JF2_OFF_KEY_ID] ^= 1;
  f.data[SR_JF_OFF_COMPRESS] = SR_JF_COMPRESS_ZSTD; /* v2 is never compressed */
  assert_fails(&f, SR_ERR_CORRUPT, "job file header is corrupted (unknown field values)");
  f.data[SR_JF_OFF_COMPRESS] = SR_JF_COMPRESS_NONE;
  f.data[SR_JF_OFF_VERSION + 1] = 1; /* claims v1: the lengths disagree */
  assert_fails(&f, SR_ERR_CORRUPT, "job file header is corrupted (unknown field values)");
  f.data[SR_JF_OFF_VERSION + 1] = 2;
  f.data[record_offset_v2(&f, 1) + SR_JF_RECORD_HEAD + 7] ^= 0x80;
  assert_fails(&f, SR_ERR_CORRUPT,
               "chunk 1 failed authentication (the file was modified or damaged)");
  f.data[record_offset_v2(&f, 1) + SR_JF_RECORD_HEAD + 7] ^= 0x80;
  assert_fails(&f, SR_OK, NULL);
  free(f.data);
}

static void test_v2_truncation_and_other_site(void **state) {
  (void)state;
  buffer f = small_file_v2(22);
  size_t full = f.len;
  for (size_t len = 0; len < full; len++) {
    f.len = len;
    decrypted d = decrypt(f.data, f.len);
    if (d.status != SR_ERR_CORRUPT || !strstr(d.error, "truncated"))
      fail_msg("v2 truncated to %zu of %zu: status %d (%s)", len, full, d.status, d.error);
    free(d.plain.data);
  }
  f.len = SR_JF2_HEADER_LEN - 1;
  assert_fails(&f, SR_ERR_CORRUPT, "truncated: the job file ends inside its header");
  char why[200];
  assert_int_equal(sr_jobfile_header_check(f.data, f.len, why, sizeof why), SR_ERR_CORRUPT);
  assert_non_null(strstr(why, "truncated"));
  f.len = record_offset_v2(&f, 2) + 10;
  assert_fails(&f, SR_ERR_CORRUPT, "truncated: the job file ends inside chunk 2");
  f.len = record_offset_v2(&f, 3);
  assert_fails(&f, SR_ERR_CORRUPT,
               "truncated: the job file ends after chunk 2, before its final chunk");
  f.len = full;
  /* another site's key: named, nothing delivered */
  decrypted d = decrypt_with(other_site, f.data, f.len, 4096);
  assert_int_equal(d.status, SR_ERR_AUTH);
  assert_non_null(strstr(
      d.error, "job file was written for another site key, or its header is damaged (key id "));
  assert_int_equal(d.plain.len, 0);
  /* a v2 header spliced onto another v2 file's records */
  buffer g = small_file_v2(23);
  memcpy(g.data, f.data, SR_JF2_HEADER_LEN);
  assert_fails(&g, SR_ERR_CORRUPT, "chunk 0 comes from another job file (spliced)");
  free(g.data);
  free(f.data);
}

static void test_v2_writer_argument_checks(void **state) {
  (void)state;
  load_site_spki();
  buffer file = {0};
  sr_jobfile_writer *w = NULL;
  sr_jobfile_options zstd = {.compress = true};
  assert_int_equal(
      sr_jobfile_writer_new_public(site_spki, site_spki_len, &zstd, "{}", buffer_sink, &file, &w),
      SR_ERR_INVALID);
  uint8_t junk[91];
  memset(junk, 0x30, sizeof junk);
  assert_int_equal(
      sr_jobfile_writer_new_public(junk, sizeof junk, NULL, "{}", buffer_sink, &file, &w),
      SR_ERR_INVALID);
  assert_int_equal(sr_jobfile_writer_new_public(NULL, 0, NULL, "{}", buffer_sink, &file, &w),
                   SR_ERR_INVALID);
  assert_int_equal(file.len, 0);
  /* two files for the same key share nothing but the key id */
  buffer a = small_file_v2(24), b = small_file_v2(24);
  assert_memory_equal(a.data + SR_JF2_OFF_KEY_ID, b.data + SR_JF2_OFF_KEY_ID, SR_KEY_ID_LEN);
  assert_memory_not_equal(a.data + SR_JF2_OFF_FILE_ID, b.data + SR_JF2_OFF_FILE_ID, 16);
  assert_memory_not_equal(a.data + SR_JF2_OFF_EPHEMERAL, b.data + SR_JF2_OFF_EPHEMERAL, 65);
  free(a.data);
  free(b.data);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_sizes),
      cmocka_unit_test(test_round_trip_50mib),
      cmocka_unit_test(test_every_bit_flip_is_detected),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_reordered_dropped_replayed),
      cmocka_unit_test(test_spliced_from_two_jobs),
      cmocka_unit_test(test_other_site_key),
      cmocka_unit_test(test_any_level_is_readable_and_kdf_is_not_ours_to_choose),
      cmocka_unit_test(test_writer_argument_checks),
      cmocka_unit_test(test_v2_round_trip),
      cmocka_unit_test(test_v2_tampering),
      cmocka_unit_test(test_v2_truncation_and_other_site),
      cmocka_unit_test(test_v2_writer_argument_checks),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
