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
#define EXPIRED_REASON                                                                             \
  "the job was not released within its hold time and has been deleted; print it again"
/* A command's deadline is this many seconds before the cloud gives up on
 * its deliverer (at most half its time): the time the deliverer's
 * "printing" has to come back. A deliverer that takes the command at its
 * deadline is heard from before the cloud moves on (the sweep reads what
 * has come first), so no two deliverers both print a job. */
#define ACK_TRANSIT 2

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

static void forget_at_origin(cloud *c, const char *tenant, const char *job_id);

/* Sends a release's command (its stored text) to `scout`. `again`: the
 * release's state when this asks again about it ("releasing", "printing"),
 * NULL the first time; a scout that said it prints the job and no longer
 * has it under way (it restarted) answers `failed` then, instead of
 * leaving the release to time out (core/release.c). */
static bool publish_command(cloud *c, const char *tenant, const char *scout, const char *text,
                            const char *again) {
  json_error_t error;
  json_t *command = json_loads(text, 0, &error);
  if (command && again)
    json_object_set_new(command, "again", json_string(again));
  bool sent = command && cloud_broker_command(c, tenant, scout, command);
  json_decref(command);
  return sent;
}

/* Appends `why` to the reasons gathered so far ("; " between them). */
static void add_reason(char *reasons, size_t size, const char *why) {
  size_t n = strlen(reasons);
  if (n + 3 < size)
    snprintf(reasons + n, size - n, "%s%s", n ? "; " : "", why);
}

/* Gives release `release` (its row) of job `job` (its row) to the next
 * deliverer of its `handling` that can take it, with a fresh deadline: the
 * release timeout for the last one, the acknowledgement timeout while
 * others remain. True if it went to one, or if it moved on meanwhile (its
 * holder answered, or another cloud instance handed it over): nothing
 * for the caller to do then. False if none could take it: `reasons` says
 * why, for the failure. */
static bool hand_over(cloud *c, json_t *release, json_t *job, char *reasons, size_t size) {
  const char *tenant = cloud_row_text(release, "tenant"), *id = cloud_row_text(release, "id");
  json_t *todo = json_loads(cloud_row_text(release, "handling"), 0, NULL);
  json_t *command = json_loads(cloud_row_text(release, "command"), 0, NULL);
  bool done = false;
  while (!done && json_is_array(todo) && json_array_size(todo) > 0 && command) {
    char kind[16], scout[64], why[512];
    snprintf(kind, sizeof kind, "%s",
             json_is_string(json_array_get(todo, 0)) ? json_string_value(json_array_get(todo, 0))
                                                     : "?");
    json_array_remove(todo, 0);
    if (!cloud_deliverer_pick(c, tenant, kind, job, cloud_row_text(release, "site"), scout, why,
                              sizeof why)) {
      add_reason(reasons, size, why);
      continue;
    }
    int64_t now = time(NULL);
    int64_t wait =
        json_array_size(todo) ? c->cfg.u.cloud.release_ack_timeout : c->cfg.u.cloud.release_timeout;
    int64_t answer_by = now + wait;
    json_object_set_new(
        command, "deadline",
        json_integer(answer_by - (ACK_TRANSIT < wait / 2 ? ACK_TRANSIT : wait / 2)));
    char *text = json_dumps(command, JSON_COMPACT), *rest = json_dumps(todo, JSON_COMPACT);
    /* only from the holder we read: never two holders at once */
    int n = text && rest ? cloud_db_run(c->db,
                                        "UPDATE releases SET scout = ?, deliverer = ?, handling = "
                                        "?, command = ?, deadline = ?, updated_at = ? WHERE "
                                        "tenant = ? AND id = ? AND state = 'releasing' AND scout "
                                        "= ? AND deliverer = ?",
                                        "ttttiitttt", scout, kind, rest, text, answer_by, now,
                                        tenant, id, cloud_row_text(release, "scout"),
                                        cloud_row_text(release, "deliverer"))
                         : -1;
    done = true;
    if (n == 1 && !publish_command(c, tenant, scout, text, NULL)) {
      add_reason(reasons, size, "the cloud cannot reach the message broker; try again");
      done = false;
      json_array_clear(todo); /* no other deliverer is reachable either */
    } else if (n == 1) {
      sr_log(SR_LOG_INFO, "release", "tenant %s release %s: job %s to %s scout %s (answer by %lld)",
             tenant, id, cloud_row_text(job, "id"), kind, scout, (long long)answer_by);
    } else if (n < 0) { /* logged with its cause; the sweep tries again */
      sr_log(SR_LOG_ERROR, "release",
             "tenant %s release %s: could not record its deliverer; it is tried again", tenant, id);
    }
    free(text);
    free(rest);
  }
  json_decref(command);
  json_decref(todo);
  return done;
}

json_t *cloud_release_start(cloud *c, const char *tenant, const char *job_id, const char *user_id,
                            const char *device_id, const char *site, json_t *settings) {
  json_t *job =
      cloud_db_row(c->db, "SELECT * FROM jobs WHERE tenant = ? AND id = ?", "tt", tenant, job_id);
  json_t *device = cloud_db_row(c->db, "SELECT * FROM devices WHERE tenant = ? AND id = ?", "tt",
                                tenant, device_id);
  json_t *answer = NULL, *command = NULL, *release_row = NULL;
  json_t *handling = job && device ? cloud_setting(c, tenant, "document_handling") : NULL;
  char *text = NULL, *handling_text = NULL;
  if (!job || !device) {
    answer = state_answer(job_id, "failed", job ? "unknown device" : "no such job");
    goto out;
  }
  if (strcmp(cloud_row_text(job, "state"), "held") == 0 && cloud_job_expired(job, time(NULL))) {
    /* its time came before the sweep's: it expires now, and prints never */
    cloud_job_delete(c, tenant, job_id, "expired");
    answer = state_answer(job_id, "expired", EXPIRED_REASON);
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
  /* the deadline is set as it goes to each deliverer (hand_over) */
  /* the device id: a scout checks the URIs against the site's signed list
   * under this id (core/printer_list.h) */
  command = json_pack("{s:s, s:s, s:s, s:{s:s, s:o}}", "type", "release", "release", release, "job",
                      job_id, "printer", "device", device_id, "uris", uris ? uris : json_array());
  if (!json_is_null(json_object_get(device, "snmp")))
    json_object_set(json_object_get(command, "printer"), "snmp", json_object_get(device, "snmp"));
  if (settings && json_object_size(settings))
    json_object_set(command, "settings", settings);
  text = json_dumps(command, JSON_COMPACT);
  if (!json_is_array(handling)) { /* a failed read: the default */
    json_decref(handling);
    handling = json_pack("[s]", "origin");
  }
  if (strcmp(cloud_row_text(job, "origin"), "web") == 0) {
    /* a web upload has no workstation: its copy is its only file, and the
     * site service of the panel prints it, whatever document_handling says */
    json_decref(handling);
    handling = json_pack("[s]", "site");
  }
  handling_text = json_dumps(handling, JSON_COMPACT);
  int64_t now = time(NULL);
  /* a delegate releasing someone else's job: recorded as done for them */
  const char *on_behalf_of =
      strcmp(cloud_row_text(job, "owner"), user_id) != 0 ? cloud_row_text(job, "owner") : NULL;
  bool ok = text && handling_text && cloud_db_begin(c->db);
  ok = ok && cloud_db_run(c->db,
                          "UPDATE jobs SET state = 'releasing', release_id = ?, reason = NULL, "
                          "updated_at = ? WHERE tenant = ? AND id = ? AND state = 'held'",
                          "titt", release, now, tenant, job_id) == 1;
  ok = ok && cloud_db_run(c->db,
                          "INSERT INTO releases(tenant, id, job, device, scout, user_id, "
                          "on_behalf_of, command, state, created_at, updated_at, deadline, "
                          "deliverer, handling, site) VALUES(?, ?, ?, ?, ?, ?, ?, ?, "
                          "'releasing', ?, ?, ?, '', ?, ?)",
                          "ttttttttiiitt", tenant, release, job_id, device_id,
                          cloud_row_text(job, "scout"), user_id, on_behalf_of, text, now, now,
                          now + c->cfg.u.cloud.release_timeout, handling_text, site) == 1;
  if (!ok || !cloud_db_commit(c->db)) {
    /* another request (or instance) won the race: report where it is */
    cloud_db_rollback(c->db);
    json_t *now_job = cloud_db_row(c->db, "SELECT state FROM jobs WHERE tenant = ? AND id = ?",
                                   "tt", tenant, job_id);
    answer = state_answer(job_id, now_job ? cloud_row_text(now_job, "state") : "failed", NULL);
    json_decref(now_job);
    goto out;
  }
  release_row = cloud_db_row(c->db, "SELECT * FROM releases WHERE tenant = ? AND id = ?", "tt",
                             tenant, release);
  char reasons[1024] = "";
  if (release_row && hand_over(c, release_row, job, reasons, sizeof reasons)) {
    answer = json_pack("{s:s, s:s, s:s}", "job", job_id, "state", "releasing", "release", release);
    goto out;
  }
  if (!release_row)
    snprintf(reasons, sizeof reasons, "the cloud's database failed; try again");
  fail_release(c, tenant, release, job_id, reasons);
  answer = state_answer(job_id, "failed", reasons);
  json_object_set_new(answer, "release", json_string(release));
out:
  free(text);
  free(handling_text);
  json_decref(release_row);
  json_decref(handling);
  json_decref(command);
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
  /* the limiter after parsing: an outcome must not be lost to it, nor a
   * "printing" (a deliverer's answer: lost, the release would go to the
   * next deliverer while this one prints) */
  bool outcome = strcmp(state, "printed") == 0 || strcmp(state, "failed") == 0 ||
                 strcmp(state, "printing") == 0;
  if (!(outcome ? cloud_events_admit_outcome(c, tenant, scout) : cloud_events_admit(scout)))
    goto out; /* dropped and counted */
  /* the release must be this scout's, in this tenant: a scout cannot touch
   * another's jobs even if the broker let a message through */
  release =
      cloud_db_row(c->db, "SELECT * FROM releases WHERE tenant = ? AND id = ?", "tt", tenant, id);
  if (!release && cloud_db_failed(c->db))
    goto out; /* logged with its cause; not the scout's fault */
  if (!release) {
    cloud_events_note(scout, CLOUD_EVENT_UNKNOWN);
    goto out;
  }
  if (strcmp(cloud_row_text(release, "scout"), scout) != 0) {
    /* a deliverer the release has moved on from (its deadline passed), or
     * a scout that never held it: only the holder's word counts */
    cloud_events_note(scout, CLOUD_EVENT_STALE);
    if (strcmp(state, "printed") == 0) /* the deadline should make this impossible */
      sr_log(SR_LOG_ERROR, "release",
             "tenant %s release %s: scout %s, which no longer holds it, says it printed the "
             "job (is its clock behind?)",
             tenant, id, scout);
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
      goto out; /* still under way: the scout answers a re-sent command again */
    cloud_copy_discard(c, tenant, job); /* cloud-copy: nothing of a printed job stays */
    if (changed == 1)                   /* a repeated "printed" is no news */
      sr_log(SR_LOG_INFO, "release", "tenant %s release %s: job %s printed%s%s by %s", tenant, id,
             job, transport ? " over " : "", transport ? transport : "",
             cloud_row_text(release, "deliverer"));
    if (changed == 1 && strcmp(cloud_row_text(release, "deliverer"), "origin") != 0)
      forget_at_origin(c, tenant, job);
  } else if (strcmp(state, "failed") == 0) {
    fail_release(c, tenant, id, job, reason && *reason ? reason : "the scout gave no reason");
  }
out:
  json_decref(release);
  json_decref(evt);
}

/* Release `release` (its row) was not taken by its deliverer in time and
 * others remain: to the next one. False if none could take it; it failed
 * then, with why each could not. */
static bool pass_on(cloud *c, json_t *release) {
  const char *tenant = cloud_row_text(release, "tenant"), *id = cloud_row_text(release, "id");
  json_t *job = cloud_db_row(c->db, "SELECT * FROM jobs WHERE tenant = ? AND id = ?", "tt", tenant,
                             cloud_row_text(release, "job"));
  if (!job)
    return false; /* a failed read: failed as before */
  char reasons[1024];
  snprintf(reasons, sizeof reasons, "%s did not answer within %lld s",
           cloud_deliverer_title(cloud_row_text(release, "deliverer")),
           (long long)c->cfg.u.cloud.release_ack_timeout);
  sr_log(SR_LOG_INFO, "release", "tenant %s release %s: %s scout %s did not answer; next", tenant,
         id, cloud_row_text(release, "deliverer"), cloud_row_text(release, "scout"));
  if (!hand_over(c, release, job, reasons, sizeof reasons))
    fail_release(c, tenant, id, cloud_row_text(job, "id"), reasons);
  json_decref(job);
  return true;
}

void cloud_release_sweep(cloud *c) {
  int64_t now = time(NULL);
  json_t *late = cloud_db_rows(c->db,
                               "SELECT * FROM releases WHERE state IN ('releasing', 'printing') "
                               "AND deadline < ?",
                               "i", now);
  size_t i;
  json_t *row;
  json_array_foreach(late, i, row) {
    if (strcmp(cloud_row_text(row, "state"), "releasing") == 0 &&
        strcmp(cloud_row_text(row, "handling"), "[]") != 0 && pass_on(c, row))
      continue;
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
  cloud_expiry_sweep(c);
  cloud_uploads_sweep(c);
  cloud_retention_sweep(c);
  cloud_db_run(c->db, "DELETE FROM sessions WHERE expires_at < ?", "i", now);
  /* stored registrations past their time, unless a step holds one */
  cloud_db_run(c->db, "DELETE FROM registrations WHERE expires_at < ? AND busy_until < ?", "ii",
               now, now);
}

void cloud_release_resume(cloud *c) {
  /* answers sent while the cloud was away are lost: the deliverers get
   * the time to answer the command again before the next is asked (one
   * that had not taken it drops it, past its deadline) */
  int64_t again_by = (int64_t)time(NULL) + c->cfg.u.cloud.release_ack_timeout;
  cloud_db_run(c->db, "UPDATE releases SET deadline = ? WHERE state = 'releasing' AND deadline < ?",
               "ii", again_by, again_by);
  json_t *open = cloud_db_rows(c->db,
                               "SELECT tenant, id, scout, command, state FROM releases WHERE "
                               "state IN ('releasing', 'printing')",
                               "");
  size_t i;
  json_t *row;
  json_array_foreach(open, i, row) {
    sr_log(SR_LOG_INFO, "release", "tenant %s release %s: asking scout %s again",
           cloud_row_text(row, "tenant"), cloud_row_text(row, "id"), cloud_row_text(row, "scout"));
    publish_command(c, cloud_row_text(row, "tenant"), cloud_row_text(row, "scout"),
                    cloud_row_text(row, "command"), cloud_row_text(row, "state"));
  }
  json_decref(open);
}

bool cloud_release_holder(cloud *c, const char *tenant, const char *job_id, const char *scout) {
  json_t *row = cloud_db_row(c->db,
                             "SELECT id FROM releases WHERE tenant = ? AND job = ? AND scout = ? "
                             "AND state IN ('releasing', 'printing')",
                             "ttt", tenant, job_id, scout);
  json_decref(row);
  return row != NULL;
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

/* Job `job_id` printed through another deliverer: its origin deletes its
 * file, now if it is online, else when it is back (cleanup_pending), as a
 * deletion at the panel would. Its origin dropped the command at its
 * deadline, so the job is still held there. */
static void forget_at_origin(cloud *c, const char *tenant, const char *job_id) {
  /* a web upload has no origin to tell */
  json_t *job =
      cloud_db_row(c->db, "SELECT scout FROM jobs WHERE tenant = ? AND id = ? AND origin != 'web'",
                   "tt", tenant, job_id);
  if (job && !tell_scout_delete(c, tenant, cloud_row_text(job, "scout"), job_id) &&
      cloud_db_run(c->db, "UPDATE jobs SET cleanup_pending = 1 WHERE tenant = ? AND id = ?", "tt",
                   tenant, job_id) != 1)
    sr_log(SR_LOG_ERROR, "jobs",
           "job %s printed elsewhere, but its workstation is offline and the reminder to delete "
           "its file could not be stored",
           job_id);
  json_decref(job);
}

void cloud_scout_online(cloud *c, const char *tenant, const char *scout) {
  /* what it said while away from the broker (a broker restart, a network
   * cut) may be lost: the releases it holds are asked again, and it
   * answers where each is; past its deadline, one it never took is
   * dropped (every instance asks: the scout answers each, harmlessly) */
  json_t *open = cloud_events_reask_due(scout)
                     ? cloud_db_rows(c->db,
                                     "SELECT id, command, state FROM releases WHERE state IN "
                                     "('releasing', 'printing') AND tenant = ? AND scout = ?",
                                     "tt", tenant, scout)
                     : NULL;
  size_t i;
  json_t *row;
  json_array_foreach(open, i, row) {
    publish_command(c, tenant, scout, cloud_row_text(row, "command"), cloud_row_text(row, "state"));
  }
  if (json_array_size(open))
    sr_log(SR_LOG_INFO, "release", "tenant %s: scout %s is back; %zu release(s) asked again",
           tenant, scout, json_array_size(open));
  json_decref(open);
  json_t *pending = cloud_db_rows(c->db,
                                  "SELECT id FROM jobs WHERE tenant = ? AND scout = ? AND "
                                  "cleanup_pending = 1",
                                  "tt", tenant, scout);
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
  json_t *job = cloud_db_row(c->db, "SELECT scout, origin FROM jobs WHERE tenant = ? AND id = ?",
                             "tt", tenant, job_id);
  if (!job)
    return false;
  bool web = strcmp(cloud_row_text(job, "origin"), "web") == 0; /* no scout holds it */
  int n = cloud_db_run(c->db,
                       "UPDATE jobs SET state = ?, reason = ?, updated_at = ? WHERE tenant = ? "
                       "AND id = ? AND state = 'held'",
                       "ttitt", state, strcmp(state, "expired") == 0 ? EXPIRED_REASON : NULL,
                       (int64_t)time(NULL), tenant, job_id);
  if (n == 1) /* cloud-copy: the job's copy goes with it */
    cloud_copy_discard(c, tenant, job_id);
  if (n == 1 && !web && !tell_scout_delete(c, tenant, cloud_row_text(job, "scout"), job_id)) {
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
