/*
 * The job file: one authenticated, encrypted file per print job.
 *
 *   header  (see jobfile_format.h): magic, format version, then
 *           version 1 (124 bytes): KDF parameters, key id, file id, the
 *           per-job data key wrapped with AES-256-GCM under the site KEK
 *           (the header is its AAD): what the scouts write;
 *           version 2 (169 bytes): key id, file id, an ephemeral P-256 key
 *           and the data key wrapped under ECDH with the site's public
 *           submission key (submit_key.h): what a browser writes. No
 *           compression. The reader opens both with the site key;
 *   record 0: the job information (JSON), encrypted;
 *   records 1..n: the document, zstd-compressed (optional) then cut into
 *           chunks, each AES-256-GCM under the data key with its index, type,
 *           final flag, the file id and a digest of the header bound in.
 *
 * Both directions stream with constant memory (one chunk plus the zstd
 * window): the writer is fed plaintext and pushes file bytes to a sink; the
 * reader is fed file bytes and pushes plaintext to a sink. Any bit flip,
 * truncation, reordered or spliced chunk is an error with a message saying
 * which: SR_ERR_CORRUPT, or SR_ERR_AUTH when the header names another site
 * key or other key-derivation parameters (only the site's own are accepted,
 * so a forged header cannot make the reader run PBKDF2 at its cost).
 */
#ifndef SR_CORE_JOBFILE_H
#define SR_CORE_JOBFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "site_key.h"
#include "sr/stream.h"

#define SR_JOBFILE_DEFAULT_CHUNK (64u * 1024)
#define SR_JOBFILE_MIN_CHUNK 1024u
#define SR_JOBFILE_MAX_CHUNK (4u * 1024 * 1024)
#define SR_JOBFILE_MAX_INFO (64u * 1024) /* job information JSON */

typedef struct sr_jobfile_options {
  uint32_t chunk_size; /* bytes of (compressed) plaintext per chunk; 0: default */
  bool compress;       /* zstd before encryption */
  int level;           /* zstd level; 0: zstd's default */
} sr_jobfile_options;

typedef struct sr_jobfile_writer sr_jobfile_writer;
typedef struct sr_jobfile_reader sr_jobfile_reader;

/* Starts a job file for `key` (borrowed; must outlive the writer). `info`
 * is the job information (text, up to SR_JOBFILE_MAX_INFO bytes), copied.
 * The header and info record are pushed to `sink` at once. `opts` may be
 * NULL for defaults (64 KiB chunks, compression on). On SR_OK the caller
 * owns *out. */
int sr_jobfile_writer_new(const sr_site_key *key, const sr_jobfile_options *opts, const char *info,
                          sr_write_fn sink, void *sink_ctx, sr_jobfile_writer **out);

/* Starts a version 2 job file for the site whose public submission key is
 * `spki` (SPKI DER, `spki_len` bytes; copied as needed): anyone holding the
 * public key can write it, only the site can read it. `opts` as above,
 * except that compression must be off (NULL: 64 KiB chunks, none).
 * SR_ERR_INVALID when the key is no P-256 public key. On SR_OK the caller
 * owns *out. */
int sr_jobfile_writer_new_public(const uint8_t *spki, size_t spki_len,
                                 const sr_jobfile_options *opts, const char *info, sr_write_fn sink,
                                 void *sink_ctx, sr_jobfile_writer **out);

/* Adds document bytes. An error is final: the file is unusable. */
int sr_jobfile_writer_write(sr_jobfile_writer *w, const void *buf, size_t len);

/* Writes the final chunk. After SR_OK the file is complete. */
int sr_jobfile_writer_finish(sr_jobfile_writer *w);

/* Wipes keys and frees; NULL is fine. */
void sr_jobfile_writer_free(sr_jobfile_writer *w);

/* Starts reading a job file (version 1 or 2) for `key` (borrowed); document bytes go to
 * `sink` as each chunk is authenticated. Caller owns *out. */
int sr_jobfile_reader_new(const sr_site_key *key, sr_write_fn sink, void *sink_ctx,
                          sr_jobfile_reader **out);

/* Feeds file bytes in any slicing. Returns SR_OK, SR_ERR_CORRUPT (see
 * sr_jobfile_reader_error()), SR_ERR_AUTH (another site's key) or the
 * sink's error. Errors are final. */
int sr_jobfile_reader_feed(sr_jobfile_reader *r, const void *buf, size_t len);

/* Declares the end of the input: SR_OK only if the final chunk was read. */
int sr_jobfile_reader_finish(sr_jobfile_reader *r);

/* The job information once record 0 was read, else NULL. Owned by r. */
const char *sr_jobfile_reader_info(const sr_jobfile_reader *r);

/* Why the reader failed, "" if it did not. Owned by r. */
const char *sr_jobfile_reader_error(const sr_jobfile_reader *r);

void sr_jobfile_reader_free(sr_jobfile_reader *r);

/* Checks what can be checked of a job file's first `len` bytes without a
 * key (magic, format version, field values): what a store that never holds
 * the key (the cloud's copies) accepts. SR_OK, or SR_ERR_CORRUPT with the
 * reason in `why`. */
int sr_jobfile_header_check(const uint8_t *head, size_t len, char *why, size_t why_size);

/* Where the random file id (SR_JF_FILE_ID_LEN bytes) sits in a job file
 * whose first `len` bytes (at least the 12-byte prefix) are `head`: it
 * depends on the format version. 0 when the prefix is no job file's. */
size_t sr_jobfile_file_id_offset(const uint8_t *head, size_t len);

#endif
