/*
 * The user portal's queries (docs/console.md, "User portal"). Ownership is
 * part of every statement (tenant and owner in the WHERE clause), never a
 * check after the fact, so a job of another user or tenant cannot reach a
 * handler at all: it is "not found".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "db.h"

/* A cursor is "<submitted_at>.<id>" of the last row shown: opaque to the
 * browser, parsed strictly here. Ids are the scouts' job ids (base64url or
 * hex in practice); anything else is refused rather than bound. */
static bool cursor_parse(const char *cursor, int64_t *at, const char **id) {
  char *end;
  if (!cursor[0] || cursor[0] == '-')
    return false;
  long long v = strtoll(cursor, &end, 10);
  if (end == cursor || *end != '.' || v < 0)
    return false;
  *at = v;
  *id = end + 1;
  size_t n = strlen(*id);
  if (n == 0 || n > 128)
    return false;
  for (const char *p = *id; *p; p++)
    if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
          *p == '-' || *p == '_' || *p == '.'))
      return false;
  return true;
}

json_t *cloud_me_jobs_page(cloud_db *db, const char *tenant, const char *user, int64_t limit,
                           const char *cursor, char next[160], bool *bad_cursor) {
  int64_t after_at = INT64_MAX;
  const char *after_id = "";
  next[0] = '\0';
  *bad_cursor = false;
  if (cursor && cursor[0] && !cursor_parse(cursor, &after_at, &after_id)) {
    *bad_cursor = true;
    return NULL;
  }
  if (limit < 1 || limit > CLOUD_ME_PAGE_MAX) {
    *bad_cursor = true;
    return NULL;
  }
  /* one more than asked: whether a next page exists, without a count */
  json_t *rows = cloud_db_rows(
      db,
      "SELECT id, title, title_kept, state, reason, pages, copies, sides, color, submitted_at, "
      "expires_at FROM jobs WHERE tenant = ?1 AND owner = ?2 AND state != 'deleted' AND "
      "(?3 = '' OR submitted_at < ?4 OR (submitted_at = ?4 AND id < ?3)) "
      "ORDER BY submitted_at DESC, id DESC LIMIT ?5",
      "tttii", tenant, user, after_id, after_at, limit + 1);
  if (!rows)
    return NULL;
  if ((int64_t)json_array_size(rows) > limit) {
    json_array_remove(rows, (size_t)limit);
    json_t *last = json_array_get(rows, (size_t)limit - 1);
    snprintf(next, 160, "%" PRId64 ".%s", cloud_row_int(last, "submitted_at"),
             cloud_row_text(last, "id"));
  }
  return rows;
}

json_t *cloud_me_job(cloud_db *db, const char *tenant, const char *user, const char *id) {
  return cloud_db_row(db,
                      "SELECT tenant, id, owner, state FROM jobs WHERE tenant = ? AND id = ? AND "
                      "owner = ? AND state != 'deleted'",
                      "ttt", tenant, id, user);
}
