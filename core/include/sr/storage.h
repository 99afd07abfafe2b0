/*
 * securerelease plugin SDK: storage plugins (local disk, S3, regional).
 *
 * A storage instance holds opaque objects (always encrypted job files) under
 * keys. Each instance is its own namespace: its configuration fixes where
 * (a directory, a bucket and prefix), and keys are relative to it. The host
 * refuses keys sr_storage_key_valid() rejects before calling the plugin, and
 * plugins should check again, so no key can name anything outside.
 */
#ifndef SR_STORAGE_H
#define SR_STORAGE_H

#include <stdbool.h>
#include <string.h>

#include "plugin.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SR_STORAGE_KEY_MAX 512

typedef struct sr_storage_stat {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.0 ---- */
  uint64_t size;    /* bytes */
  int64_t modified; /* seconds since the Unix epoch */
} sr_storage_stat;

/* Called once per key by list(); return SR_OK to go on, anything else stops
 * the listing and is returned by list(). `key` is valid only during the call. */
typedef int (*sr_storage_list_fn)(void *ctx, const char *key);

/*
 * Execution (sr/plugin.h): every operation may block; the host calls them
 * on a worker thread, never the event loop's, one at a time per instance
 * unless the plugin declares SR_PLUGIN_THREAD_SAFE. The read/write
 * callbacks run on the calling thread, inside the call.
 */
typedef struct sr_storage_ops {
  sr_instance_ops base;
  /* ---- ABI 1.0 ---- */

  /* Stores the stream from `read` under `key`, replacing any object there.
   * Atomic: on any error the previous object (or none) remains. */
  int (*put)(void *instance, const char *key, sr_read_fn read, void *read_ctx);
  /* Streams the object to `write`. SR_ERR_NOT_FOUND if there is none. */
  int (*get)(void *instance, const char *key, sr_write_fn write, void *write_ctx);
  /* Deletes the object. SR_ERR_NOT_FOUND if there is none. */
  int (*remove)(void *instance, const char *key);
  /* Fills *out (allocated by the caller). SR_ERR_NOT_FOUND if absent. */
  int (*stat)(void *instance, const char *key, sr_storage_stat *out);
  /* Calls `fn` for every key starting with `prefix` ("" for all), in no
   * particular order. */
  int (*list)(void *instance, const char *prefix, sr_storage_list_fn fn, void *ctx);
} sr_storage_ops;

/* True if `key` is a relative path of segments of [A-Za-z0-9._-] joined by
 * single '/', with no "." or ".." segment, shorter than SR_STORAGE_KEY_MAX. A
 * prefix for list() may also be "" or end with '/'. */
static inline bool sr_storage_key_check(const char *key, bool is_prefix) {
  size_t len = key ? strlen(key) : 0;
  if (!key || len >= SR_STORAGE_KEY_MAX || (len == 0 && !is_prefix))
    return false;
  size_t seg = 0; /* length of the current segment */
  bool only_dots = true;
  for (size_t i = 0; i <= len; i++) {
    char c = key[i];
    if (c == '/' || c == '\0') {
      if (c == '\0' && seg == 0 && is_prefix)
        return true; /* "" or "a/" */
      if (seg == 0 || (only_dots && seg <= 2))
        return false;
      seg = 0;
      only_dots = true;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
    only_dots = only_dots && c == '.';
    seg++;
  }
  return true;
}

static inline bool sr_storage_key_valid(const char *key) {
  return sr_storage_key_check(key, false);
}

#ifdef __cplusplus
}
#endif

#endif
