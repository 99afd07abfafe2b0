#include "jobfile_stream.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage_client.h"

#define PLAIN_BLOCK 65536

struct sr_jobfile_source {
  sr_jobfile_writer *writer;
  sr_read_fn plain;
  void *plain_ctx;
  uint8_t *pending; /* encrypted bytes not yet read */
  size_t len, off, cap;
  bool finished;
  int status;
};

static int append_pending(void *ctx, const void *p, size_t len) {
  sr_jobfile_source *s = ctx;
  if (s->off == s->len)
    s->off = s->len = 0;
  if (s->len + len > s->cap) {
    size_t cap = (s->len + len) * 2;
    uint8_t *grown = realloc(s->pending, cap);
    if (!grown)
      return SR_ERR_NOMEM;
    s->pending = grown;
    s->cap = cap;
  }
  memcpy(s->pending + s->len, p, len);
  s->len += len;
  return SR_OK;
}

int sr_jobfile_source_new(const sr_site_key *key, const sr_jobfile_options *opts, const char *info,
                          sr_read_fn plain, void *plain_ctx, sr_jobfile_source **out) {
  sr_jobfile_source *s = calloc(1, sizeof *s);
  if (!s)
    return SR_ERR_NOMEM;
  s->plain = plain;
  s->plain_ctx = plain_ctx;
  int status = sr_jobfile_writer_new(key, opts, info, append_pending, s, &s->writer);
  if (status != SR_OK) {
    sr_jobfile_source_free(s);
    return status;
  }
  *out = s;
  return SR_OK;
}

int64_t sr_jobfile_source_read(void *source, void *buf, size_t len) {
  sr_jobfile_source *s = source;
  uint8_t block[PLAIN_BLOCK];
  while (s->status == SR_OK && s->off == s->len && !s->finished) {
    int64_t got = s->plain(s->plain_ctx, block, sizeof block);
    if (got < 0)
      s->status = (int)got;
    else if (got == 0) {
      s->status = sr_jobfile_writer_finish(s->writer);
      s->finished = true;
    } else {
      s->status = sr_jobfile_writer_write(s->writer, block, (size_t)got);
    }
  }
  OPENSSL_cleanse(block, sizeof block);
  if (s->status != SR_OK)
    return s->status;
  size_t n = s->len - s->off < len ? s->len - s->off : len;
  memcpy(buf, s->pending + s->off, n);
  s->off += n;
  return (int64_t)n;
}

void sr_jobfile_source_free(sr_jobfile_source *s) {
  if (!s)
    return;
  sr_jobfile_writer_free(s->writer);
  free(s->pending);
  free(s);
}

int64_t sr_fd_read(void *fd_ptr, void *buf, size_t len) {
  int fd = *(int *)fd_ptr;
  for (;;) {
    ssize_t n = read(fd, buf, len);
    if (n >= 0)
      return n;
    if (errno != EINTR)
      return SR_ERR_IO;
  }
}

typedef struct load_ctx {
  sr_jobfile_reader *reader;
  int fd;
} load_ctx;

int sr_fd_write(void *ctx, const void *p, size_t len) {
  int fd = *(int *)ctx;
  for (size_t off = 0; off < len;) {
    ssize_t n = write(fd, (const char *)p + off, len - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return SR_ERR_IO;
    off += (size_t)n;
  }
  return SR_OK;
}

static int feed_reader(void *ctx, const void *p, size_t len) {
  return sr_jobfile_reader_feed(((load_ctx *)ctx)->reader, p, len);
}

int sr_jobfile_load(sr_instance *store, const char *store_key, const sr_site_key *key, int fd,
                    char **info, char *err, size_t err_size) {
  load_ctx c = {.fd = fd};
  int status = sr_jobfile_reader_new(key, sr_fd_write, &c.fd, &c.reader);
  if (status != SR_OK) {
    snprintf(err, err_size, "out of memory");
    return status;
  }
  status = sr_store_get(store, store_key, feed_reader, &c, err, err_size);
  if (status == SR_OK)
    status = sr_jobfile_reader_finish(c.reader);
  if (status != SR_OK && *sr_jobfile_reader_error(c.reader))
    snprintf(err, err_size, "job file %s: %s", store_key, sr_jobfile_reader_error(c.reader));
  if (status == SR_OK && info)
    *info = strdup(sr_jobfile_reader_info(c.reader) ? sr_jobfile_reader_info(c.reader) : "{}");
  sr_jobfile_reader_free(c.reader);
  return status;
}
