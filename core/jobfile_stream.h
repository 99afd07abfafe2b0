/*
 * Adapters between the job file's push-style writer and reader and the
 * pull-style (sr_read_fn) streams that storage plugins and transports use.
 */
#ifndef SR_CORE_JOBFILE_STREAM_H
#define SR_CORE_JOBFILE_STREAM_H

#include "instance.h"
#include "jobfile.h"

typedef struct sr_jobfile_source sr_jobfile_source;

/* A stream whose bytes are the job file of the plaintext read from `plain`
 * (encrypted as it is read: memory stays at about one chunk). `info` is the
 * job information JSON. On SR_OK the caller owns *out. */
int sr_jobfile_source_new(const sr_site_key *key, const sr_jobfile_options *opts, const char *info,
                          sr_read_fn plain, void *plain_ctx, sr_jobfile_source **out);

/* sr_read_fn over the source (pass the source as ctx). */
int64_t sr_jobfile_source_read(void *source, void *buf, size_t len);

void sr_jobfile_source_free(sr_jobfile_source *source);

/* Reads the job file `store_key` from `store`, authenticates all of it and
 * writes the document to `fd` (e.g. a memory file). Nothing of a file that
 * fails authentication is usable: the caller must discard `fd` on error.
 * `info` (may be NULL) receives a copy of the job information, to free().
 * `err` says what failed. */
int sr_jobfile_load(sr_instance *store, const char *store_key, const sr_site_key *key, int fd,
                    char **info, char *err, size_t err_size);

/* sr_read_fn over a file descriptor (ctx: pointer to the int). */
int64_t sr_fd_read(void *fd_ptr, void *buf, size_t len);

/* sr_write_fn into a file descriptor (ctx: pointer to the int); all of
 * `len` or SR_ERR_IO. */
int sr_fd_write(void *fd_ptr, const void *buf, size_t len);

#endif
