/*
 * Network card readers (docs/devices.md, "Card readers"): a reader is bound
 * to one release device. An administrator adds it and gets a one-time
 * enrollment token; the reader exchanges the token, through its site
 * service, for its own credential: 32 random bytes (base64url), shown once
 * and kept here only as a SHA-256 hash, like administrator tokens. A swipe
 * comes through the site service that enrolled the reader (its client
 * certificate, and the reader's credential as the bearer token) with the
 * card already hashed with the site secret; it releases the card owner's
 * held jobs at the reader's device, oldest first, as "print all" does at a
 * panel.
 *
 * Only the user's own jobs: a reader has no screen, so a swipe must not
 * print documents of colleagues who delegated to the user without the
 * user choosing them (a panel shows them first). PIN jobs stay held: a
 * reader has no keypad.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

#define READER_SWIPES 12       /* swipes a reader may send per window */
#define READER_SWIPE_WINDOW 60 /* seconds */
#define READER_RELEASE_MAX 100 /* jobs one swipe releases (as a panel's "print all") */

/* Refused reader credentials, logged per site at most every
 * REFUSED_LOG_EVERY seconds with the count since: someone on a site's
 * network can send made-up credentials as fast as the site forwards them,
 * and a line each would flood the log. Per process, on the loop thread; a
 * site sharing a slot with another only shares its line's timing. */
#define REFUSED_LOG_EVERY 5
#define REFUSED_SLOTS 64
typedef struct refused_site {
  char site[64];
  int64_t logged_at;
  unsigned long since; /* refusals not logged yet */
} refused_site;
static refused_site refused[REFUSED_SLOTS];

static void note_refused(const char *tenant, const char *site) {
  unsigned h = 5381;
  for (const char *p = site; *p; p++)
    h = h * 33 + (unsigned char)*p;
  refused_site *r = &refused[h % REFUSED_SLOTS];
  int64_t now = time(NULL);
  if (strcmp(r->site, site) != 0) {
    snprintf(r->site, sizeof r->site, "%s", site);
    r->logged_at = 0, r->since = 0;
  }
  r->since++;
  if (now - r->logged_at < REFUSED_LOG_EVERY)
    return;
  /* a revoked reader still swiping, or someone trying credentials */
  sr_log(SR_LOG_WARN, "readers",
         "tenant %s: %lu call(s) through site %s with an unknown or revoked reader credential, "
         "or none",
         tenant, r->since, site);
  r->logged_at = now, r->since = 0;
}

json_t *cloud_site_reader(cloud_call *k) {
  json_t *reader = NULL;
  if (k->req->bearer) {
    char hash[65];
    cloud_token_hash(k->req->bearer, hash);
    reader = cloud_db_row(k->c->db,
                          "SELECT * FROM readers WHERE tenant = ? AND credential_hash = ? AND "
                          "site = ?",
                          "ttt", cloud_row_text(k->scout, "tenant"), hash,
                          cloud_row_text(k->scout, "id"));
  }
  if (!reader && k->req->bearer && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "looking up the reader");
  else if (!reader) {
    note_refused(cloud_row_text(k->scout, "tenant"), cloud_row_text(k->scout, "id"));
    sr_http_reply_error(k->resp, 401, "reader_unknown",
                        "this reader is not enrolled at this site (or was removed): enroll it "
                        "again with a new token (srctl reader add)");
  }
  return reader;
}

/* Counts one swipe of `reader`; false (answered 429 rate_limited, or 500)
 * when it is over READER_SWIPES in its window. The count lives in the
 * database, so every cloud process shares it. */
static bool swipe_admitted(cloud_call *k, const json_t *reader) {
  int64_t now = time(NULL), start = now - READER_SWIPE_WINDOW;
  const char *tenant = cloud_row_text(reader, "tenant"), *id = cloud_row_text(reader, "id");
  if (cloud_db_run(k->c->db,
                   "UPDATE readers SET swipes = CASE WHEN swipe_window <= ? THEN 1 ELSE swipes + 1 "
                   "END, swipe_window = CASE WHEN swipe_window <= ? THEN ? ELSE swipe_window END, "
                   "last_swipe = ? WHERE tenant = ? AND id = ?",
                   "iiiitt", start, start, now, now, tenant, id) != 1) {
    cloud_api_db_error(k->resp, "counting the swipe");
    return false;
  }
  json_t *row =
      cloud_db_row(k->c->db, "SELECT swipes, swipe_window FROM readers WHERE tenant = ? AND id = ?",
                   "tt", tenant, id);
  if (!row) {
    cloud_api_db_error(k->resp, "reading the swipe count");
    return false;
  }
  int64_t swipes = cloud_row_int(row, "swipes");
  int64_t wait = cloud_row_int(row, "swipe_window") + READER_SWIPE_WINDOW - now;
  json_decref(row);
  if (swipes <= READER_SWIPES)
    return true;
  k->resp->retry_after = (int)(wait > 0 ? wait : 1);
  sr_http_reply_json(k->resp, 429,
                     json_pack("{s:{s:s, s:s, s:I}}", "error", "code", "rate_limited", "message",
                               "too many swipes at this reader; wait a moment", "retry_after",
                               (json_int_t)k->resp->retry_after));
  sr_log(SR_LOG_WARN, "readers", "tenant %s: reader %s over its swipe rate", tenant, id);
  return false;
}

/* Releases the held jobs of `user` at the reader's device, oldest first
 * (the print scout's per-printer queue keeps that order), and answers
 * what happened. */
static void release_all(cloud_call *k, const json_t *reader, const json_t *user) {
  cloud *c = k->c;
  const char *tenant = cloud_row_text(reader, "tenant"), *device = cloud_row_text(reader, "device");
  json_t *jobs = cloud_db_rows(c->db,
                               "SELECT id, pin_hash FROM jobs WHERE tenant = ? AND owner = ? AND "
                               "state = 'held' AND (expires_at IS NULL OR expires_at > ?) ORDER BY "
                               "submitted_at, sequence, id",
                               "tti", tenant, cloud_row_text(user, "id"), (int64_t)time(NULL));
  if (!jobs) {
    cloud_api_db_error(k->resp, "listing the jobs to release");
    return;
  }
  json_int_t released = 0, failed = 0, pin_held = 0, remaining = 0;
  const char *reason = NULL;
  json_t *starts = json_array(), *job;
  size_t i;
  json_array_foreach(jobs, i, job) {
    if (*cloud_row_text(job, "pin_hash")) { /* no keypad: waits for a panel */
      pin_held++;
      continue;
    }
    if (released + failed >= READER_RELEASE_MAX) { /* the next swipe takes them */
      remaining++;
      continue;
    }
    json_t *start =
        cloud_release_start(c, tenant, cloud_row_text(job, "id"), cloud_row_text(user, "id"),
                            device, cloud_row_text(reader, "site"), NULL);
    json_array_append_new(starts, start);
    if (strcmp(json_string_value(json_object_get(start, "state")), "failed") == 0) {
      failed++;
      if (!reason)
        reason = json_string_value(json_object_get(start, "reason"));
    } else {
      released++;
    }
  }
  const char *result = released ? "released" : !failed && !pin_held ? "no_jobs" : "not_released";
  json_t *answer = json_pack("{s:s, s:I, s:I, s:I, s:I}", "result", result, "released", released,
                             "failed", failed, "pin_held", pin_held, "remaining", remaining);
  if (!released && (failed || pin_held))
    json_object_set_new(answer, "reason",
                        json_string(reason ? reason
                                           : "the jobs were printed with a PIN: release them at "
                                             "a panel"));
  sr_log(SR_LOG_INFO, "readers", "tenant %s device %s: reader %s: user %s, %s (%lld started)",
         tenant, device, cloud_row_text(reader, "id"), cloud_row_text(user, "id"), result,
         (long long)released);
  sr_http_reply_json(k->resp, 200, answer);
  json_decref(starts);
  json_decref(jobs);
}

void cloud_site_reader_swipe(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields), *reader = NULL, *user = NULL;
  if (!body)
    return;
  const char *card = json_string_value(json_object_get(body, "card_hash"));
  if (!cloud_is_site_hash(card)) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "send 'card_hash': 64 lower-case hex digits (made at the site)");
    goto out;
  }
  if (!(reader = cloud_site_reader(k)) || !swipe_admitted(k, reader))
    goto out;
  const char *tenant = cloud_row_text(reader, "tenant"), *device = cloud_row_text(reader, "device");
  json_t *bound = cloud_db_row(k->c->db, "SELECT id FROM devices WHERE tenant = ? AND id = ?", "tt",
                               tenant, device);
  if (!bound) {
    if (cloud_db_failed(k->c->db))
      cloud_api_db_error(k->resp, "looking up the reader's device");
    else
      sr_http_reply_error(k->resp, 409, "device_removed",
                          "the reader's device '%.64s' was removed: add the reader again for a "
                          "device",
                          device);
    goto out;
  }
  json_decref(bound);
  switch (cloud_card_user(k->c, tenant, device, card, &user, k->resp)) {
  case CLOUD_CARD_ANSWERED: break;
  case CLOUD_CARD_UNKNOWN:
    /* no binding token: the reader has no screen to carry it on to a
     * login; a card is bound at a panel (swipe, then log in another way) */
    sr_http_reply_error(k->resp, 403, "card_unknown",
                        "this card is not registered: swipe it at a printer's panel and log in "
                        "there another way to add it");
    break;
  case CLOUD_CARD_KNOWN: release_all(k, reader, user); break;
  }
out:
  json_decref(user);
  json_decref(reader);
  json_decref(body);
}

void cloud_site_reader_enroll(cloud_call *k) {
  cloud *c = k->c;
  json_t *body = cloud_api_body(k->req, k->resp, k->fields), *reader = NULL;
  if (!body)
    return;
  const char *token = json_string_value(json_object_get(body, "token"));
  const char *tenant = cloud_row_text(k->scout, "tenant");
  char hash[65], credential[64], credential_hash[65];
  if (!token) {
    sr_http_reply_error(k->resp, 400, "invalid", "send 'token' (from srctl reader add)");
    goto out;
  }
  cloud_token_hash(token, hash);
  reader = cloud_db_row(c->db,
                        "SELECT * FROM readers WHERE tenant = ? AND enroll_hash = ? AND "
                        "enroll_expires > ? AND enrolled_at IS NULL",
                        "tti", tenant, hash, (int64_t)time(NULL));
  if (!reader && cloud_db_failed(c->db)) {
    cloud_api_db_error(k->resp, "looking up the enrollment token");
    goto out;
  }
  if (!reader) {
    sr_http_reply_error(k->resp, 401, "bad_token",
                        "the enrollment token is unknown, used or expired; ask for a new one "
                        "(srctl reader add)");
    goto out;
  }
  cloud_new_token(credential);
  cloud_token_hash(credential, credential_hash);
  /* the token's hash in the condition: two exchanges at once, one wins */
  int n = cloud_db_run(c->db,
                       "UPDATE readers SET credential_hash = ?, enrolled_at = ?, site = ?, "
                       "enroll_hash = NULL WHERE tenant = ? AND id = ? AND enroll_hash = ?",
                       "titttt", credential_hash, (int64_t)time(NULL),
                       cloud_row_text(k->scout, "id"), tenant, cloud_row_text(reader, "id"), hash);
  if (n < 0)
    cloud_api_db_error(k->resp, "recording the enrollment");
  else if (n != 1)
    sr_http_reply_error(k->resp, 401, "bad_token", "the token was used meanwhile");
  else {
    sr_log(SR_LOG_INFO, "readers", "tenant %s: reader %s enrolled through site %s for device %s",
           tenant, cloud_row_text(reader, "id"), cloud_row_text(k->scout, "id"),
           cloud_row_text(reader, "device"));
    sr_http_reply_json(k->resp, 201,
                       json_pack("{s:s, s:s, s:s, s:s}", "reader", cloud_row_text(reader, "id"),
                                 "name", cloud_row_text(reader, "name"), "device",
                                 cloud_row_text(reader, "device"), "credential", credential));
  }
  memset(credential, 0, sizeof credential);
out:
  json_decref(reader);
  json_decref(body);
}

void cloud_admin_reader_add(cloud_call *k) {
  cloud *c = k->c;
  json_t *body = cloud_api_body(k->req, k->resp, k->fields), *device = NULL;
  if (!body)
    return;
  const char *device_id = json_string_value(json_object_get(body, "device"));
  json_t *name_v = json_object_get(body, "name");
  const char *name = json_string_value(name_v);
  if (!device_id) {
    sr_http_reply_error(k->resp, 400, "invalid", "send 'device': the printer the reader is at");
    goto out;
  }
  if (name_v && (!name || !cloud_name_ok(name))) {
    sr_http_reply_error(k->resp, 400, "invalid",
                        "'name' is 1 to %d bytes of text without control characters",
                        CLOUD_NAME_MAX);
    goto out;
  }
  device = cloud_db_row(c->db, "SELECT id FROM devices WHERE tenant = ? AND id = ?", "tt",
                        k->tenant, device_id);
  if (!device) {
    if (cloud_db_failed(c->db))
      cloud_api_db_error(k->resp, "looking up the device");
    else
      sr_http_reply_error(k->resp, 400, "unknown_device",
                          "no device '%.64s' in this tenant (srctl device list)", device_id);
    goto out;
  }
  char id[40] = "r-", token[64], hash[65];
  cloud_random_hex(id + 2, 8);
  cloud_new_token(token);
  cloud_token_hash(token, hash);
  int64_t now = time(NULL), ttl = c->cfg.u.cloud.enrollment.token_ttl;
  if (cloud_db_run(c->db,
                   "INSERT INTO readers(tenant, id, name, device, enroll_hash, enroll_expires, "
                   "created_at) VALUES(?, ?, ?, ?, ?, ?, ?)",
                   "tttttii", k->tenant, id, name ? name : id, device_id, hash, now + ttl,
                   now) != 1) {
    cloud_api_db_error(k->resp, "storing the reader");
  } else {
    sr_log(SR_LOG_INFO, "readers", "tenant %s: reader %s added for device %s", k->tenant, id,
           device_id);
    sr_http_reply_json(k->resp, 201,
                       json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", id, "name", name ? name : id,
                                 "device", device_id, "enrollment_token", token, "expires_in",
                                 (json_int_t)ttl));
  }
  memset(token, 0, sizeof token);
out:
  json_decref(device);
  json_decref(body);
  cloud_audit_succeeded(k, "reader.add", NULL, cloud_audit_fields(k, CLOUD_KEEP("device", "name")));
}

void cloud_admin_readers(cloud_call *k) {
  json_t *rows = cloud_db_rows(k->c->db,
                               "SELECT id, name, device, site, enrolled_at IS NOT NULL AS "
                               "enrolled, last_swipe FROM readers WHERE tenant = ? ORDER BY name",
                               "t", k->tenant);
  if (!rows) {
    cloud_api_db_error(k->resp, "listing the readers");
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    json_object_set_new(row, "enrolled", json_boolean(cloud_row_int(row, "enrolled")));
    if (json_is_integer(json_object_get(row, "last_swipe"))) {
      char when[32];
      cloud_rfc3339(cloud_row_int(row, "last_swipe"), when);
      json_object_set_new(row, "last_swipe", json_string(when));
    }
  }
  sr_http_reply_json(k->resp, 200, json_pack("{s:o, s:s}", "readers", rows, "tenant", k->tenant));
}

/* Revocation: the row goes, so the credential is refused from the next
 * swipe on (every swipe looks it up). */
void cloud_admin_reader_remove(cloud_call *k) {
  int n = cloud_db_run(k->c->db, "DELETE FROM readers WHERE tenant = ? AND id = ?", "tt", k->tenant,
                       k->id);
  if (n < 0) {
    cloud_api_db_error(k->resp, "removing the reader");
  } else if (n == 0) {
    sr_http_reply_error(k->resp, 404, "not_found", "no such reader");
  } else {
    sr_log(SR_LOG_INFO, "readers", "tenant %s: reader %s removed (its credential is refused)",
           k->tenant, k->id);
    k->resp->status = 204;
    cloud_audit(k->c, k, "reader.remove", k->id, NULL);
  }
}
