#include "json_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr/abi.h"

int sr_json_file_write(const char *path, const json_t *value, char *why, size_t why_size) {
  char tmp[4096];
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
    snprintf(why, why_size, "the path %.200s is too long", path);
    return SR_ERR_IO;
  }
  char *text = json_dumps(value, JSON_COMPACT);
  int fd = text ? open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
  size_t len = text ? strlen(text) : 0, done = 0;
  while (fd >= 0 && done < len) {
    ssize_t n = write(fd, text + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  bool ok = fd >= 0 && done == len && fsync(fd) == 0;
  int saved = errno;
  if (fd >= 0 && close(fd) != 0)
    ok = false;
  if (ok && rename(tmp, path) != 0) {
    saved = errno;
    ok = false;
  }
  if (!ok) {
    snprintf(why, why_size, "cannot write %.200s: %s", path,
             text ? strerror(saved) : "out of memory");
    unlink(tmp);
  }
  free(text);
  return ok ? SR_OK : SR_ERR_IO;
}

int sr_json_file_read(const char *path, json_t **out, char *why, size_t why_size) {
  *out = NULL;
  FILE *f = fopen(path, "re");
  if (!f && errno == ENOENT)
    return SR_ERR_NOT_FOUND;
  if (!f) {
    snprintf(why, why_size, "cannot read %.200s: %s", path, strerror(errno));
    return SR_ERR_IO;
  }
  json_error_t error;
  *out = json_loadf(f, JSON_REJECT_DUPLICATES, &error);
  fclose(f);
  if (!*out) {
    snprintf(why, why_size, "%.200s is not JSON (line %d: %.100s)", path, error.line, error.text);
    return SR_ERR_CORRUPT;
  }
  return SR_OK;
}
