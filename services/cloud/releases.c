/*
 * Release orchestration. A job goes held -> releasing (command published to
 * the scout holding it) -> printing (the scout started) -> printed; a
 * failure anywhere puts it back to held with the reason. The database is
 * the only state, so a restarted cloud (or another instance) carries on:
 * it re-sends the commands still under way, and the scout, which keeps
 * each release's outcome, answers again without printing twice.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define PRINTING_TIMEOUT 900 /* seconds a started release may take */
/* A command's deadline is this many seconds before the cloud gives up on
 * its deliverer: the time the deliverer's "printing" has to come back. A
 * deliverer that takes the command at its deadline is heard from before
 * the cloud moves on, so no two deliverers both print a job. */
#define ACK_TRANSIT 1

static json_t *state_answer(const char *job, const char *state, const char *reason) {
  json_t *o = json_pack("{s:s, s:s}", "job", job, "state", state);
  if (reason && *reason)
    json_object_set_new(o, "reason", json_string(reason));
  return o;
}

/* Ends a transaction of a release's updates: commits if all of them ran,
 * else rolls back and logs which release stayed as it was. Several cloud
 * processes may share the database, so a release and its job change
 * together or not at all. */
static bool finish_updates(cloud *c, bool ok, const char *tenant, const char *id,
                           const char *what) {
  if (ok && cloud_db_commit(c->db))
    return true;
  cloud_db_rollback(c->db);
  sr_log(SR_LOG_ERROR, "release",
         "tenant %s release %s: could not record %s (database failed; "
         "see above); the release is unchanged",
         tenant, id, what);
  return false;
}

/* Marks release `id` failed and its job held again, with the reason. Only
 * a release still under way changes: outcomes never go backwards. */
static void fail_release(cloud *c, const char *tenant, const char *id, const char *job,
                         const char *reason) {
  int64_t now = time(NULL);
  bool ok = cloud_db_begin(c->db);
  int changed = ok ? cloud_db_run(c->db,
                                  "UPDATE releases SET state = 'failed', reason = ?, updated_at = "
                                  "? WHERE tenant = ? AND id = ? AND state IN ('releasing', "
                                  "'printing')",
                                  "titt", reason, now, tenant, id)
                   : -1;
  ok = ok && changed >= 0 &&
       cloud_db_run(c->db,
                    "UPDATE jobs SET state = 'held', reason = ?, release_id = NULL, updated_at = ? "
                    "WHERE tenant = ? AND id = ? AND release_id = ? AND state IN ('releasing', "
                    "'printing')",
                    "tittt", reason, now, tenant, job, id) >= 0;
  if (!finish_updates(c, ok, tenant, id, "its failure"))
    return;
  if (changed == 1) /* a scout repeating "failed" adds no log line */
    sr_log(SR_LOG_WARN, "release", "tenant %s release %s of job %s failed: %s", tenant, id, job,
           reason);
}

static bool publish_command(cloud *c, const char *tenant, const char *scout, const char *text) {
  json_error_t error;
  json_t *command = json_loads(text, 0, &error);
  bool sent = command && cloud_broker_command(c, tenant, scout, command);
  json_decref(command);
  return sent;
}

json_t *cloud_release_start(cloud *c, const char *tenant, const char *job_id, const char *user_id,
                            const char *device_id, json_t *settings) {
  json_t *job =
      cloud_db_row(c->db, "SELECT * FROM jobs WHERE tenant = ? AND id = ?", "tt", tenant, job_id);
  json_t *device = cloud_db_row(c->db, "SELECT * FROM devices WHERE tenant = ? AND id = ?", "tt",
                                tenant, device_id);
  json_t *scout = job ? cloud_db_row(c->db, "SELECT * FROM scouts WHERE tenant = ? AND id = ?",
                                     "tt", tenant, cloud_row_text(job, "scout"))
                      : NULL;
  json_t *answer = NULL, *command = NULL;
  char *text = NULL;
  if (!job || !device) {
    answer = state_answer(job_id, "failed", job ? "unknown device" : "no such job");
    goto out;
  }
  if (strcmp(cloud_row_text(job, "state"), "held") != 0) {
    /* already under way or finished: say where it is, start nothing */
    answer = state_answer(job_id, cloud_row_text(job, "state"), cloud_row_text(job, "reason"));
    goto out;
  }
  char release[40] = "r-";
  cloud_random_hex(release + 2, 8);
  json_error_t error;
  json_t *uris = json_loads(cloud_row_text(device, "uris"), 0, &error);
  int64_t now = time(NULL), answer_by = now + c->cfg.u.cloud.release_timeout;
  command = json_pack("{s:s, s:s, s:s, s:{s:o}, s:I}", "type", "release", "release", release, "job",
                      job_id, "printer", "uris", uris ? uris : json_array(), "deadline",
                      (json_int_t)(answer_by - ACK_TRANSIT > now ? answer_by - ACK_TRANSIT : now));
  if (!json_is_null(json_object_get(device, "snmp")))
    json_object_set(json_object_get(command, "printer"), "snmp", json_object_get(device, "snmp"));
  if (settings && json_object_size(settings))
    json_object_set(command, "settings", settings);
  text = json_dumps(command, JSON_COMPACT);
  /* a delegate releasing someone else's job: recorded as done for them */
  const char *on_behalf_of =
      strcmp(cloud_row_text(job, "owner"), user_id) != 0 ? cloud_row_text(job, "owner") : NULL;
  bool ok = text && cloud_db_begin(c->db);
  ok = ok && cloud_db_run(c->db,
                          "UPDATE jobs SET state = 'releasing', release_id = ?, reason = NULL, "
                          "updated_at = ? WHERE tenant = ? AND id = ? AND state = 'held'",
                          "titt", release, now, tenant, job_id) == 1;
  ok = ok &&
       cloud_db_run(c->db,
                    "INSERT INTO releases(tenant, id, job, device, scout, user_id, on_behalf_of, "
                    "command, state, created_at, updated_at, deadline) VALUES(?, ?, ?, ?, ?, ?, "
                    "?, ?, 'releasing', ?, ?, ?)",
                    "ttttttttiii", tenant, release, job_id, device_id, cloud_row_text(job, "scout"),
                    user_id, on_behalf_of, text, now, now, answer_by) == 1;
  if (!ok || !cloud_db_commit(c->db)) {
    /* another request (or instance) won the race: report where it is */
    cloud_db_rollback(c->db);
    json_t *now_job = cloud_db_row(c->db, "SELECT state FROM jobs WHERE tenant = ? AND id = ?",
                                   "tt", tenant, job_id);
    answer = state_answer(job_id, now_job ? cloud_row_text(now_job, "state") : "failed", NULL);
    json_decref(now_job);
    goto out;
  }
  char reason[512];
  if (!scout) {
    snprintf(reason, sizeof reason,
             "the workstation holding this job was removed from the tenant; it cannot be "
             "printed (print it again from a workstation that is enrolled)");
  } else if (cloud_row_int(scout, "online") != 1) {
    snprintf(reason, sizeof reason,
             "the workstation holding this job (scout %s) is offline; release it again once "
             "that computer is on",
             cloud_row_text(scout, "name"));
  } else if (!publish_command(c, tenant, cloud_row_text(scout, "id"), text)) {
    snprintf(reason, sizeof reason, "the cloud cannot reach the message broker; try again");
  } else {
    sr_log(SR_LOG_INFO, "release", "tenant %s release %s: job %s to device %s via scout %s", tenant,
           release, job_id, device_id, cloud_row_text(scout, "id"));
    answer = json_pack("{s:s, s:s, s:s}", "job", job_id, "state", "releasing", "release", release);
    goto out;
  }
  fail_release(c, tenant, release, job_id, reason);
  answer = state_answer(job_id, "failed", reason);
  json_object_set_new(answer, "release", json_string(release));
out:
  free(text);
  json_decref(command);
  json_decref(scout);
  json_decref(device);
  json_decref(job);
  return answer;
}

void cloud_release_event(cloud *c, const char *tenant, const char *scout, const char *payload,
                         size_t len) {
  json_error_t error;
  json_t *evt = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &error);
  const char *type = json_string_value(json_object_get(evt, "type"));
  const char *id = json_string_value(json_object_get(evt, "release"));
  const char *state = json_string_value(json_object_get(evt, "state"));
  const char *reason = json_string_value(json_object_get(evt, "reason"));
  const char *transport = json_string_value(json_object_get(evt, "transport"));
  json_t *release = NULL;
  /* bad events are counted, not logged one by one (event_limit.c) */
  if (!type || strcmp(type, "release") != 0 || !id || !state) {
    cloud_events_note(scout, CLOUD_EVENT_MALFORMED);
    goto out;
  }
  /* the limiter after parsing: an outcome must not be lost to it */
  bool outcome = strcmp(state, "printed") == 0 || strcmp(state, "failed") == 0;
  if (!(outcome ? cloud_events_admit_outcome(c, tenant, scout) : cloud_events_admit(scout)))
    goto out; /* dropped and counted */
  /* the release must be this scout's, in this tenant: a scout cannot touch
   * another's jobs even if the broker let a message through */
  release = cloud_db_row(c->db, "SELECT * FROM releases WHERE tenant = ? AND id = ? AND scout = ?",
                         "ttt", tenant, id, scout);
  if (!release && cloud_db_failed(c->db))
    goto out; /* logged with its cause; not the scout's fault */
  if (!release) {
    cloud_events_note(scout, CLOUD_EVENT_UNKNOWN);
    goto out;
  }
  const char *job = cloud_row_text(release, "job");
  int64_t now = time(NULL);
  if (strcmp(state, "printing") == 0 || strcmp(state, "waiting") == 0) {
    /* printing started, or it waits for its printer (in the scout's line
     * or for a busy printer): the job shows `printing` with the reason it
     * waits, and each event moves the deadline away again */
    bool waiting = state[0] == 'w';
    bool ok = cloud_db_begin(c->db);
    ok = ok &&
         cloud_db_run(c->db,
                      "UPDATE releases SET state = 'printing', updated_at = ?, deadline = ? WHERE "
                      "tenant = ? AND id = ? AND state IN ('releasing', 'printing')",
                      "iitt", now, now + PRINTING_TIMEOUT, tenant, id) >= 0;
    ok = ok && cloud_db_run(c->db,
                            "UPDATE jobs SET state = 'printing', reason = ?, updated_at = ? WHERE "
                            "tenant = ? AND id = ? AND release_id = ? AND state IN ('releasing', "
                            "'printing')",
                            "tittt", waiting && reason && *reason ? reason : NULL, now, tenant, job,
                            id) >= 0;
    finish_updates(c, ok, tenant, id, waiting ? "that it waits" : "that printing started");
  } else if (strcmp(state, "printed") == 0) {
    /* also after a timeout: the paper is out, so the job is printed */
    bool ok = cloud_db_begin(c->db);
    int changed =
        ok ? cloud_db_run(c->db,
                          "UPDATE releases SET state = 'printed', reason = NULL, transport = ?, "
                          "updated_at = ? WHERE tenant = ? AND id = ? AND state != 'printed'",
                          "titt", transport, now, tenant, id)
           : -1;
    ok = ok && changed >= 0 &&
         cloud_db_run(c->db,
                      "UPDATE jobs SET state = 'printed', reason = NULL, release_id = ?, "
                      "updated_at = ? WHERE tenant = ? AND id = ? AND state IN ('held', "
                      "'releasing', 'printing')",
                      "titt", id, now, tenant, job) >= 0;
    if (!finish_updates(c, ok, tenant, id, "that the job printed"))
      goto out;       /* still under way: the scout answers a re-sent command again */
    if (changed == 1) /* a repeated "printed" is no news */
      sr_log(SR_LOG_INFO, "release", "tenant %s release %s: job %s printed%s%s", tenant, id, job,
             transport ? " over " : "", transport ? transport : "");
  } else if (strcmp(state, "failed") == 0) {
    fail_release(c, tenant, id, job, reason && *reason ? reason : "the scout gave no reason");
  }
out:
  json_decref(release);
  json_decref(evt);
}

void cloud_release_sweep(cloud *c) {
  int64_t now = time(NULL);
  json_t *late = cloud_db_rows(c->db,
                               "SELECT tenant, id, job, state, scout FROM releases WHERE state IN "
                               "('releasing', 'printing') AND deadline < ?",
                               "i", now);
  size_t i;
  json_t *row;
  json_array_foreach(late, i, row) {
    char reason[256];
    snprintf(reason, sizeof reason,
             strcmp(cloud_row_text(row, "state"), "releasing") == 0
                 ? "the workstation's scout did not answer within %lld s"
                 : "the workstation's scout reported no outcome within %lld s",
             strcmp(cloud_row_text(row, "state"), "releasing") == 0
                 ? (long long)c->cfg.u.cloud.release_timeout
                 : (long long)PRINTING_TIMEOUT);
    fail_release(c, cloud_row_text(row, "tenant"), cloud_row_text(row, "id"),
                 cloud_row_text(row, "job"), reason);
  }
  json_decref(late);
  json_t *old = cloud_db_rows(c->db,
                              "SELECT tenant, id FROM jobs WHERE state = 'held' AND "
                              "submitted_at < ?",
                              "i", now - c->cfg.u.cloud.job_expiry);
  json_array_foreach(old, i, row) {
    cloud_job_delete(c, cloud_row_text(row, "tenant"), cloud_row_text(row, "id"), "expired");
  }
  json_decref(old);
  cloud_db_run(c->db, "DELETE FROM sessions WHERE expires_at < ?", "i", now);
  cloud_registrations_sweep(c, false);
  cloud_events_report(false);
}

void cloud_release_resume(cloud *c) {
  json_t *open = cloud_db_rows(c->db,
                               "SELECT tenant, id, scout, command FROM releases WHERE state IN "
                               "('releasing', 'printing')",
                               "");
  size_t i;
  json_t *row;
  json_array_foreach(open, i, row) {
    sr_log(SR_LOG_INFO, "release", "tenant %s release %s: asking scout %s again",
           cloud_row_text(row, "tenant"), cloud_row_text(row, "id"), cloud_row_text(row, "scout"));
    publish_command(c, cloud_row_text(row, "tenant"), cloud_row_text(row, "scout"),
                    cloud_row_text(row, "command"));
  }
  json_decref(open);
}

/* Tells a scout (if online) to delete its copy of a job. */
static bool tell_scout_delete(cloud *c, const char *tenant, const char *scout, const char *job_id) {
  json_t *row = cloud_db_row(c->db, "SELECT online FROM scouts WHERE tenant = ? AND id = ?", "tt",
                             tenant, scout);
  bool online = cloud_row_int(row, "online") == 1;
  json_decref(row);
  json_t *command = json_pack("{s:s, s:s}", "type", "delete", "job", job_id);
  bool sent = online && cloud_broker_command(c, tenant, scout, command);
  json_decref(command);
  return sent;
}

void cloud_scout_online(cloud *c, const char *tenant, const char *scout) {
  json_t *pending = cloud_db_rows(c->db,
                                  "SELECT id FROM jobs WHERE tenant = ? AND scout = ? AND "
                                  "cleanup_pending = 1",
                                  "tt", tenant, scout);
  size_t i;
  json_t *row;
  json_array_foreach(pending, i, row) {
    /* a failed write leaves the flag set: the scout is told again next
     * time, and deleting twice is harmless */
    if (tell_scout_delete(c, tenant, scout, cloud_row_text(row, "id")))
      cloud_db_run(c->db, "UPDATE jobs SET cleanup_pending = 0 WHERE tenant = ? AND id = ?", "tt",
                   tenant, cloud_row_text(row, "id"));
  }
  json_decref(pending);
}

bool cloud_job_delete(cloud *c, const char *tenant, const char *job_id, const char *state) {
  json_t *job = cloud_db_row(c->db, "SELECT scout FROM jobs WHERE tenant = ? AND id = ?", "tt",
                             tenant, job_id);
  if (!job)
    return false;
  int n = cloud_db_run(c->db,
                       "UPDATE jobs SET state = ?, reason = NULL, updated_at = ? WHERE tenant = ? "
                       "AND id = ? AND state = 'held'",
                       "titt", state, (int64_t)time(NULL), tenant, job_id);
  if (n == 1 && !tell_scout_delete(c, tenant, cloud_row_text(job, "scout"), job_id)) {
    if (cloud_db_run(c->db, "UPDATE jobs SET cleanup_pending = 1 WHERE tenant = ? AND id = ?", "tt",
                     tenant, job_id) == 1)
      sr_log(SR_LOG_WARN, "jobs", "job %s %s; its scout will be told when it is back", job_id,
             state);
    else /* the file stays at the workstation until someone deletes it there */
      sr_log(SR_LOG_ERROR, "jobs",
             "job %s %s, but its scout is offline and the reminder could not be stored", job_id,
             state);
  }
  json_decref(job);
  return n == 1;
}
