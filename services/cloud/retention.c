/*
 * Retention: an ended job (printed, deleted, expired) keeps its metadata
 * row for reporting for the tenant's `retention`, then the row, its
 * releases and its notifications are deleted. Nothing of the document is
 * in the cloud at any time (the scout deleted its file when the job
 * ended). A job whose scout has not been told to delete its file yet
 * (`cleanup_pending`) is kept until it has been.
 */
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define RETENTION_EVERY 10  /* seconds between two passes */
#define RETENTION_BATCH 500 /* jobs one tenant loses per pass */

/* Deletes `tenant`'s ended jobs older than its retention; how many, or -1. */
static int forget_ended(cloud *c, const char *tenant, int64_t now) {
  int64_t keep = cloud_setting_seconds(c, tenant, "retention");
  json_t *ended = cloud_db_rows(c->db,
                                "SELECT id FROM jobs WHERE tenant = ? AND state IN ('printed', "
                                "'deleted', 'expired') AND updated_at < ? AND cleanup_pending = 0 "
                                "LIMIT ?",
                                "tii", tenant, now - keep, (int64_t)RETENTION_BATCH);
  if (!ended || !json_array_size(ended)) {
    json_decref(ended);
    return ended ? 0 : -1;
  }
  bool ok = cloud_db_begin(c->db);
  size_t i;
  json_t *row;
  json_array_foreach(ended, i, row) {
    const char *id = cloud_row_text(row, "id");
    ok = ok && cloud_db_run(c->db, "DELETE FROM releases WHERE tenant = ? AND job = ?", "tt",
                            tenant, id) >= 0;
    ok = ok && cloud_db_run(c->db, "DELETE FROM notifications WHERE tenant = ? AND job = ?", "tt",
                            tenant, id) >= 0;
    ok = ok &&
         cloud_db_run(c->db, "DELETE FROM jobs WHERE tenant = ? AND id = ?", "tt", tenant, id) >= 0;
  }
  int n = (int)json_array_size(ended);
  json_decref(ended);
  if (ok && cloud_db_commit(c->db))
    return n;
  cloud_db_rollback(c->db);
  return -1;
}

void cloud_retention_sweep(cloud *c) {
  static int64_t next; /* this process's next pass; other instances do the same, harmlessly */
  int64_t now = time(NULL);
  if (now < next)
    return;
  next = now + RETENTION_EVERY;
  json_t *tenants = cloud_db_rows(c->db, "SELECT id FROM tenants", "");
  size_t i;
  json_t *row;
  json_array_foreach(tenants, i, row) {
    const char *tenant = cloud_row_text(row, "id");
    int n = forget_ended(c, tenant, now);
    if (n > 0)
      sr_log(SR_LOG_INFO, "retention", "tenant %s: %d ended job(s) past their retention deleted",
             tenant, n);
    else if (n < 0)
      sr_log(SR_LOG_ERROR, "retention",
             "tenant %s: ended jobs could not be deleted (database failed; see above); trying "
             "again in %d s",
             tenant, RETENTION_EVERY);
  }
  json_decref(tenants);
}
