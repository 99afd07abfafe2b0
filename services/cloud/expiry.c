/*
 * Hold expiry. A job's expiry and its owner's warning are fixed when its
 * scout announces it, from the tenant's hold_time and expiry_warning then
 * (a later change applies to jobs announced after it), and stored on the
 * job (expires_at, warn_at), so the sweep needs no per-tenant lookup and
 * the scout can be told the same expiry (it enforces it itself when it
 * does not hear from the cloud). The sweep expires held jobs through
 * cloud_job_delete, like a deletion at the panel, so whatever a deletion
 * removes (the scout's file, a cloud copy) goes on expiry too; then it
 * warns the owners whose warning time came, each job once even with
 * several cloud instances on one database: the instance whose UPDATE
 * clears the job's warn_at records the notification in the same
 * transaction, and only it mails.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define SWEEP_BATCH 500 /* jobs one sweep expires or warns; the rest next second */

void cloud_job_expiry(cloud *c, const char *tenant, int64_t submitted_at, int64_t *expires_at,
                      int64_t *warn_at) {
  int64_t now = time(NULL);
  /* a workstation clock ahead of ours must not lengthen the hold */
  int64_t from = submitted_at < now ? submitted_at : now;
  *expires_at = from + cloud_setting_seconds(c, tenant, "hold_time");
  int64_t warning = cloud_setting_seconds(c, tenant, "expiry_warning");
  *warn_at = warning > 0 ? *expires_at - warning : 0;
}

bool cloud_job_expired(const json_t *job, int64_t now) {
  json_t *at = json_object_get(job, "expires_at");
  return json_is_integer(at) && json_integer_value(at) <= now;
}

/* Warns the owner of held job `row` (tenant, id, owner, title, title_kept,
 * expires_at, email) if no other sweep (of this or another instance) has. */
static void warn_once(cloud *c, const json_t *row, int64_t now) {
  const char *tenant = cloud_row_text(row, "tenant"), *job = cloud_row_text(row, "id");
  char id[40] = "n-";
  cloud_random_hex(id + 2, 8);
  bool ok = cloud_db_begin(c->db);
  int claimed = ok ? cloud_db_run(c->db,
                                  "UPDATE jobs SET warn_at = NULL WHERE tenant = ? AND id = ? AND "
                                  "warn_at IS NOT NULL AND state = 'held'",
                                  "tt", tenant, job)
                   : -1;
  int recorded = claimed == 1 ? cloud_db_run(c->db,
                                             "INSERT INTO notifications(tenant, id, user_id, kind, "
                                             "job, expires_at, created_at) VALUES(?, ?, ?, "
                                             "'expiry_warning', ?, ?, ?) ON CONFLICT DO NOTHING",
                                             "ttttii", tenant, id, cloud_row_text(row, "owner"),
                                             job, cloud_row_int(row, "expires_at"), now)
                              : 0;
  if (claimed < 0 || recorded < 0 || !cloud_db_commit(c->db)) {
    cloud_db_rollback(c->db);
    sr_log(SR_LOG_ERROR, "expiry",
           "tenant %s job %s: could not record its expiry warning (database failed; see "
           "above); trying again next second",
           tenant, job);
    return;
  }
  if (recorded != 1)
    return; /* another instance warned first */
  sr_log(SR_LOG_INFO, "expiry", "tenant %s job %s: its owner %s is warned that it expires soon",
         tenant, job, cloud_row_text(row, "owner"));
  /* a region that keeps no title stores a hash or nothing: not for a mail */
  cloud_notification_mail(c, tenant, id, cloud_row_text(row, "email"), cloud_job_title_shown(row),
                          cloud_row_int(row, "expires_at"));
}

void cloud_expiry_sweep(cloud *c) {
  int64_t now = time(NULL);
  json_t *due = cloud_db_rows(c->db,
                              "SELECT tenant, id FROM jobs WHERE state = 'held' AND expires_at <= "
                              "? LIMIT ?",
                              "ii", now, (int64_t)SWEEP_BATCH);
  size_t i;
  json_t *row;
  json_array_foreach(due, i, row) {
    if (cloud_job_delete(c, cloud_row_text(row, "tenant"), cloud_row_text(row, "id"), "expired"))
      sr_log(SR_LOG_INFO, "expiry", "tenant %s job %s expired unprinted",
             cloud_row_text(row, "tenant"), cloud_row_text(row, "id"));
  }
  json_decref(due);
  /* jobs that left `held` before their warning need none */
  cloud_db_run(c->db, "UPDATE jobs SET warn_at = NULL WHERE warn_at <= ? AND state != 'held'", "i",
               now);
  json_t *to_warn =
      cloud_db_rows(c->db,
                    "SELECT j.tenant, j.id, j.owner, j.title, j.title_kept, j.expires_at, "
                    "u.email "
                    "FROM jobs j LEFT JOIN users u ON u.tenant = j.tenant AND u.id "
                    "= j.owner WHERE j.warn_at <= ? AND j.state = 'held' LIMIT ?",
                    "ii", now, (int64_t)SWEEP_BATCH);
  json_array_foreach(to_warn, i, row) warn_once(c, row, now);
  json_decref(to_warn);
}
