/*
 * The `local` storage plugin: objects are files under one root directory.
 *
 * Configuration:
 *   root: /var/lib/securerelease/jobs   # required; created if missing (0700)
 *
 * Keys are checked with sr_storage_key_valid() (no "..", no leading '/'),
 * final path components are opened with O_NOFOLLOW, and puts are atomic:
 * written to a temporary file in the root, flushed, then renamed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sr/storage.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_PREFIX ".tmp-" /* temporary files; keys may not start so */

typedef struct local_store {
  sr_plugin *self;
  char root[PATH_MAX];
} local_store;

static const char *const known_keys[] = {"root", NULL};

static int local_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  const char *root;
  if (!config) {
    sr_host->set_error(self, SR_ERR_CONFIG, "needs a config map with 'root'");
    return SR_ERR_CONFIG;
  }
  int status = sr_host->config_only_keys(config, known_keys);
  if (sr_host->config_string(config, "root", NULL, &root) != SR_OK)
    return SR_ERR_CONFIG;
  if (root[0] != '/') {
    sr_host->config_error(sr_host->config_child(config, "root"),
                          "expected an absolute directory path");
    return SR_ERR_CONFIG;
  }
  return status;
}

static int make_dirs(char *path, size_t from) {
  for (char *p = path + from; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    int rc = mkdir(path, 0700);
    *p = '/';
    if (rc != 0 && errno != EEXIST)
      return SR_ERR_IO;
  }
  return SR_OK;
}

static int local_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  int status = local_check_config(self, config);
  if (status != SR_OK)
    return status;
  local_store *s = sr_host->alloc(sizeof *s);
  if (!s)
    return SR_ERR_NOMEM;
  s->self = self;
  const char *root;
  sr_host->config_string(config, "root", NULL, &root);
  if (strlen(root) > PATH_MAX - SR_STORAGE_KEY_MAX - 16) {
    sr_host->set_error(self, SR_ERR_CONFIG, "root path is too long");
    sr_host->free(s);
    return SR_ERR_CONFIG;
  }
  snprintf(s->root, sizeof s->root, "%s/", root);
  if (make_dirs(s->root, 1) != SR_OK) {
    sr_host->set_error(self, SR_ERR_IO, "cannot create %s: %s", root, strerror(errno));
    sr_host->free(s);
    return SR_ERR_IO;
  }
  *instance = s;
  return SR_OK;
}

static void local_destroy(void *instance) { sr_host->free(instance); }

static int object_path(local_store *s, const char *key, char *out) {
  /* A first segment starting ".tmp-" would collide with temporary files. */
  if (!sr_storage_key_valid(key) || strncmp(key, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
    sr_host->set_error(s->self, SR_ERR_INVALID, "invalid storage key '%.100s'", key ? key : "");
    return SR_ERR_INVALID;
  }
  if ((size_t)snprintf(out, PATH_MAX, "%s%s", s->root, key) >= PATH_MAX)
    return SR_ERR_INVALID;
  return SR_OK;
}

static int io_error(local_store *s, const char *what, const char *path) {
  int err = errno;
  sr_host->set_error(s->self, err == ENOENT ? SR_ERR_NOT_FOUND : SR_ERR_IO, "%s %s: %s", what, path,
                     strerror(err));
  return err == ENOENT ? SR_ERR_NOT_FOUND : SR_ERR_IO;
}

static int local_put(void *instance, const char *key, sr_read_fn read, void *read_ctx) {
  local_store *s = instance;
  char path[PATH_MAX], tmp[PATH_MAX];
  int status = object_path(s, key, path);
  if (status != SR_OK)
    return status;
  if (make_dirs(path, strlen(s->root)) != SR_OK)
    return io_error(s, "cannot create the directory of", path);
  if ((size_t)snprintf(tmp, sizeof tmp, "%s" TMP_PREFIX "XXXXXX", s->root) >= sizeof tmp)
    return SR_ERR_INVALID;
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0)
    return io_error(s, "cannot create a temporary file in", s->root);
  char buf[65536];
  for (;;) {
    int64_t got = read(read_ctx, buf, sizeof buf);
    if (got < 0) {
      status = got < SR_ERR_TIMEOUT ? SR_ERR_IO : (int)got; /* never 0 from a bad reader */
      break;
    }
    if (got == 0)
      break;
    for (int64_t off = 0; off < got;) {
      ssize_t n = write(fd, buf + off, (size_t)(got - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        status = io_error(s, "cannot write", tmp);
        break;
      }
      off += n;
    }
    if (status != SR_OK)
      break;
  }
  if (status == SR_OK && fsync(fd) != 0)
    status = io_error(s, "cannot flush", tmp);
  if (close(fd) != 0 && status == SR_OK)
    status = io_error(s, "cannot close", tmp);
  if (status == SR_OK && rename(tmp, path) != 0)
    status = io_error(s, "cannot rename into", path);
  if (status == SR_OK) {
    /* the rename itself must survive a crash: flush the directory */
    char *slash = strrchr(path, '/');
    *slash = '\0';
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
    if (dir >= 0) {
      fsync(dir);
      close(dir);
    }
  }
  if (status != SR_OK)
    unlink(tmp);
  return status;
}

static int local_get(void *instance, const char *key, sr_write_fn write_fn, void *write_ctx) {
  local_store *s = instance;
  char path[PATH_MAX];
  int status = object_path(s, key, path);
  if (status != SR_OK)
    return status;
  /* non-blocking so that a FIFO planted in the store cannot hang us */
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return io_error(s, "cannot open", path);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    errno = ENOENT;
    return io_error(s, "not an object:", path);
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      status = io_error(s, "cannot read", path);
      break;
    }
    if (n == 0)
      break;
    status = write_fn(write_ctx, buf, (size_t)n);
    if (status != SR_OK)
      break;
  }
  close(fd);
  return status;
}

static int local_remove(void *instance, const char *key) {
  local_store *s = instance;
  char path[PATH_MAX];
  int status = object_path(s, key, path);
  if (status != SR_OK)
    return status;
  return unlink(path) == 0 ? SR_OK : io_error(s, "cannot delete", path);
}

static int local_stat(void *instance, const char *key, sr_storage_stat *out) {
  local_store *s = instance;
  char path[PATH_MAX];
  int status = object_path(s, key, path);
  if (status != SR_OK)
    return status;
  struct stat st;
  if (lstat(path, &st) != 0)
    return io_error(s, "cannot stat", path);
  if (!S_ISREG(st.st_mode)) {
    errno = ENOENT;
    return io_error(s, "not an object:", path);
  }
  out->size = (uint64_t)st.st_size;
  out->modified = st.st_mtime;
  return SR_OK;
}

/* Walks `dir` (relative key `rel`), calling fn for regular files whose key
 * starts with prefix. */
static int walk(local_store *s, const char *dir, const char *rel, const char *prefix,
                sr_storage_list_fn fn, void *ctx) {
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT ? SR_OK : io_error(s, "cannot list", dir);
  int status = SR_OK;
  struct dirent *e;
  while (status == SR_OK && (e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
      continue;
    if (!*rel && strncmp(e->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
      continue;
    char key[PATH_MAX], path[PATH_MAX];
    if ((size_t)snprintf(key, sizeof key, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >=
            sizeof key ||
        (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
      continue; /* longer than any valid key */
    struct stat st;
    if (lstat(path, &st) != 0)
      continue;
    size_t klen = strlen(key), plen = strlen(prefix);
    if (S_ISDIR(st.st_mode)) {
      /* descend only if the prefix could match below */
      size_t n = klen < plen ? klen : plen;
      if (strncmp(key, prefix, n) == 0)
        status = walk(s, path, key, prefix, fn, ctx);
    } else if (S_ISREG(st.st_mode) && strncmp(key, prefix, plen) == 0) {
      status = fn(ctx, key);
    }
  }
  closedir(d);
  return status;
}

static int local_list(void *instance, const char *prefix, sr_storage_list_fn fn, void *ctx) {
  local_store *s = instance;
  if (!sr_storage_key_check(prefix, true)) {
    sr_host->set_error(s->self, SR_ERR_INVALID, "invalid storage prefix '%.100s'",
                       prefix ? prefix : "");
    return SR_ERR_INVALID;
  }
  char root[PATH_MAX];
  snprintf(root, sizeof root, "%.*s", (int)strlen(s->root) - 1, s->root);
  return walk(s, root, "", prefix, fn, ctx);
}

static const sr_storage_ops local_ops = {
    .base = {.check_config = local_check_config, .create = local_create, .destroy = local_destroy},
    .put = local_put,
    .get = local_get,
    .remove = local_remove,
    .stat = local_stat,
    .list = local_list,
};

/* Instances hold only their configuration; every call works on its own
 * files (atomic renames), so concurrent calls are safe. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_STORAGE, "local", "1.0.0", "objects as files under a directory",
                        local_ops, 0, SR_PLUGIN_THREAD_SAFE)
