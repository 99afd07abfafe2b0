/*
 * Small JSON state files a service keeps for itself (the printer lists a
 * scout has verified, the list the site signed last): written whole and
 * atomically, readable by their owner only.
 */
#ifndef SR_CORE_JSON_FILE_H
#define SR_CORE_JSON_FILE_H

#include <jansson.h>
#include <stddef.h>

/* Writes `value` (borrowed) to `path` through a temporary file beside it,
 * mode 0600, synced, then renamed over `path`: a reader sees the old file
 * or the new one, never half of one. SR_OK, or SR_ERR_IO with `why`. */
int sr_json_file_write(const char *path, const json_t *value, char *why, size_t why_size);

/* Reads `path`. On SR_OK *out is the caller's; SR_ERR_NOT_FOUND when
 * there is no such file (*out NULL, `why` untouched); SR_ERR_IO or
 * SR_ERR_CORRUPT with `why` otherwise. */
int sr_json_file_read(const char *path, json_t **out, char *why, size_t why_size);

#endif
