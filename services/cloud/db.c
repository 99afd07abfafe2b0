#include "db.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db_driver.h"
#include "log.h"
#include "sr/abi.h"

/* Migrations in order; migration i brings the schema to version i + 1.
 * Never edit one that has shipped: add the next. */
static const char *const migrations[] = {
    /* 1: tenants, identities, scouts, devices, jobs, releases, sessions */
    "CREATE TABLE tenants(id TEXT PRIMARY KEY, name TEXT NOT NULL, ca_cert TEXT, ca_key TEXT,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE admin_tokens(token_hash TEXT PRIMARY KEY,"
    " tenant TEXT NOT NULL REFERENCES tenants(id), created_at INTEGER NOT NULL);"
    "CREATE TABLE users(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " email TEXT NOT NULL, name TEXT NOT NULL, card_hash TEXT, pin_hash TEXT,"
    " created_at INTEGER NOT NULL, PRIMARY KEY(tenant, id), UNIQUE(tenant, email),"
    " UNIQUE(tenant, card_hash));"
    "CREATE TABLE scouts(id TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(id),"
    " kind TEXT NOT NULL CHECK(kind IN ('print', 'site')), name TEXT NOT NULL, user_id TEXT,"
    " online INTEGER NOT NULL DEFAULT 0, seen_at INTEGER, enroll_hash TEXT UNIQUE,"
    " enroll_expires INTEGER, enrolled_at INTEGER, created_at INTEGER NOT NULL);"
    "CREATE TABLE devices(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " name TEXT NOT NULL, uris TEXT NOT NULL, snmp TEXT, created_at INTEGER NOT NULL,"
    " PRIMARY KEY(tenant, id));"
    "CREATE TABLE jobs(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " owner TEXT NOT NULL, scout TEXT NOT NULL, title TEXT NOT NULL, pages INTEGER,"
    " copies INTEGER NOT NULL, sides TEXT NOT NULL, color TEXT NOT NULL, format TEXT,"
    " size INTEGER, submitted_at INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT,"
    " release_id TEXT, updated_at INTEGER NOT NULL, PRIMARY KEY(tenant, id));"
    "CREATE INDEX jobs_by_owner ON jobs(tenant, owner, state);"
    "CREATE TABLE releases(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " job TEXT NOT NULL, device TEXT NOT NULL, scout TEXT NOT NULL, user_id TEXT NOT NULL,"
    " command TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, transport TEXT,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, deadline INTEGER NOT NULL,"
    " PRIMARY KEY(tenant, id));"
    "CREATE INDEX releases_open ON releases(state, deadline);"
    "CREATE TABLE sessions(token_hash TEXT PRIMARY KEY,"
    " tenant TEXT NOT NULL REFERENCES tenants(id), user_id TEXT NOT NULL, device TEXT NOT NULL,"
    " site_scout TEXT NOT NULL, expires_at INTEGER NOT NULL);"
    "CREATE TABLE login_failures(tenant TEXT NOT NULL, key TEXT NOT NULL,"
    " failures INTEGER NOT NULL, locked_until INTEGER NOT NULL DEFAULT 0,"
    " updated_at INTEGER NOT NULL, PRIMARY KEY(tenant, key));",
    /* 2: deletions a scout has not been told about yet (it was offline) */
    "ALTER TABLE jobs ADD COLUMN cleanup_pending INTEGER NOT NULL DEFAULT 0;",
    /* 3: delegation: `delegate` may release `owner`'s jobs, until a time or for good */
    "CREATE TABLE delegations(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " owner TEXT NOT NULL, delegate TEXT NOT NULL, until INTEGER, created_at INTEGER NOT NULL,"
    " PRIMARY KEY(tenant, id), UNIQUE(tenant, owner, delegate));"
    "CREATE INDEX delegations_by_delegate ON delegations(tenant, delegate);"
    "ALTER TABLE releases ADD COLUMN on_behalf_of TEXT;",
    /* 4: passcodes, and cards waiting to be bound to whoever logs in next */
    "ALTER TABLE users ADD COLUMN passcode_hash TEXT;"
    "CREATE UNIQUE INDEX users_by_passcode ON users(tenant, passcode_hash);"
    "CREATE TABLE card_bindings(token_hash TEXT PRIMARY KEY,"
    " tenant TEXT NOT NULL REFERENCES tenants(id), card_hash TEXT NOT NULL,"
    " device TEXT NOT NULL, expires_at INTEGER NOT NULL);",
    /* 5: the identity provider's subject a user registered with (OIDC sub) */
    "ALTER TABLE users ADD COLUMN subject TEXT;",
    /* 6: print scouts whose workstation login names each job's owner (AD) */
    "ALTER TABLE scouts ADD COLUMN directory INTEGER NOT NULL DEFAULT 0;",
    /* 7: users a directory provisioned (a site's verdict or a directory
     * workstation added them): the only ones a directory verdict may log in.
     * Users that exist already stay unmarked, since how they were added was
     * not recorded, and an account an administrator made must not become
     * one a site's certificate can vouch for. */
    "ALTER TABLE users ADD COLUMN directory INTEGER NOT NULL DEFAULT 0;",
    /* 8: the scout's own count of its jobs, which orders the jobs it held in
     * the same second ("print all" prints in the order they were printed) */
    "ALTER TABLE jobs ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;",
    /* 9: when a scout last made an authenticated HTTPS call (Unix time):
     * a site service has no MQTT presence, so its heartbeat calls say it
     * is online */
    "ALTER TABLE scouts ADD COLUMN last_seen INTEGER;",
    /* 10: PIN jobs (IPP job-password): the site's keyed hash of the job's
     * PIN, NULL for none; released only when the panel sends the same */
    "ALTER TABLE jobs ADD COLUMN pin_hash TEXT;",
    /* 11: tenant settings an administrator changed (settings.c has the
     * definitions and defaults); the value is JSON text */
    "CREATE TABLE tenant_settings(tenant TEXT NOT NULL REFERENCES tenants(id),"
    " name TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,"
    " PRIMARY KEY(tenant, name));",
    /* 12: regions (regions.c): a user's and a site's region (NULL: the next
     * one applies), the site a print scout belongs to, the region a job
     * was assigned at announcement, whether its title was kept, and the
     * ended jobs whose owner still waits for its pseudonym */
    "ALTER TABLE users ADD COLUMN region TEXT;"
    "ALTER TABLE scouts ADD COLUMN region TEXT;"
    "ALTER TABLE scouts ADD COLUMN site TEXT;"
    "ALTER TABLE jobs ADD COLUMN region TEXT;"
    "ALTER TABLE jobs ADD COLUMN title_kept INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE jobs ADD COLUMN pseudonymise INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX jobs_to_pseudonymise ON jobs(tenant, id) WHERE pseudonymise = 1;",
    /* 13: hold expiry (expiry.c, retention.c, notifications.c): when each held
     * job expires and when its owner is warned, both fixed when it is
     * announced (the tenant's hold_time and expiry_warning then); held jobs
     * from before expire 48 h after submission (the default). The warnings
     * sent, one per job (notifications_once), for the portal and `srctl
     * notifications`. The indexes serve the sweep: due jobs, due warnings,
     * ended jobs past their retention and their releases. */
    "ALTER TABLE jobs ADD COLUMN expires_at INTEGER;"
    "ALTER TABLE jobs ADD COLUMN warn_at INTEGER;"
    "UPDATE jobs SET expires_at = submitted_at + 172800 WHERE state = 'held';"
    "CREATE INDEX jobs_expiring ON jobs(state, expires_at);"
    "CREATE INDEX jobs_to_warn ON jobs(warn_at);"
    "CREATE INDEX jobs_ended ON jobs(tenant, state, updated_at);"
    "CREATE INDEX releases_by_job ON releases(tenant, job);"
    "CREATE TABLE notifications(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " user_id TEXT NOT NULL, kind TEXT NOT NULL, job TEXT NOT NULL, expires_at INTEGER,"
    " created_at INTEGER NOT NULL, mailed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(tenant, id));"
    "CREATE UNIQUE INDEX notifications_once ON notifications(tenant, kind, job);"
    "CREATE INDEX notifications_by_time ON notifications(tenant, created_at);",
    /* 14: the job's cloud copy, if any: the storage instance and
     * key it is under, its size, and its region (set by region routing) */
    "ALTER TABLE jobs ADD COLUMN copy_store TEXT;"
    "ALTER TABLE jobs ADD COLUMN copy_key TEXT;"
    "ALTER TABLE jobs ADD COLUMN copy_size INTEGER;"
    "ALTER TABLE jobs ADD COLUMN copy_region TEXT;",
    /* 15: failover: who holds a release now: releases.scout is that deliverer's
     * scout, `deliverer` its kind (origin, site, crowdsource; '' before any),
     * `handling` the kinds still to try (JSON array), `site` the site
     * service whose panel released it; print scouts that serve others */
    "ALTER TABLE releases ADD COLUMN deliverer TEXT NOT NULL DEFAULT 'origin';"
    "ALTER TABLE releases ADD COLUMN handling TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE releases ADD COLUMN site TEXT;"
    "ALTER TABLE scouts ADD COLUMN serves_others INTEGER NOT NULL DEFAULT 0;",
    /* 16: a print scout may print others' jobs (crowdsource) only once the
     * tenant's administrator allowed it: its presence alone would let any
     * workstation opt itself in to receive other users' documents */
    "ALTER TABLE scouts ADD COLUMN serve_others_allowed INTEGER NOT NULL DEFAULT 0;",
    /* 17: the random file id in the header of the job file uploaded as a
     * job's copy (hex), checked when it is served, so that a copy swapped
     * in storage for another job's is refused instead of printed */
    "ALTER TABLE jobs ADD COLUMN copy_file_id TEXT;",
    /* 18: printer discovery (discovered.c): what each site scout's scans
     * found, one row per (tenant, site, address); `uris` is a JSON array;
     * `credential` names the site's credential set (its secrets never leave
     * the site); `last_scan` the last scan that saw it. State: new (not
     * accepted), known (accepted as device `accepted_as`), vanished (absent
     * from a complete scan). A device accepted from a discovery keeps the
     * serial it was accepted with and the site that found it (NULL: added
     * by hand, every site's). Removing the device makes its row new again. */
    "CREATE TABLE discovered(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " site TEXT NOT NULL, address TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK(kind IN ('printer', 'other')), vendor TEXT, model TEXT,"
    " serial TEXT, sys_object_id TEXT, sys_descr TEXT, uris TEXT NOT NULL DEFAULT '[]',"
    " snmp TEXT, credential TEXT, version TEXT, driver TEXT, first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK(state IN ('new', 'known', 'vanished')), accepted_as TEXT,"
    " last_scan TEXT, PRIMARY KEY(tenant, id), UNIQUE(tenant, site, address));"
    "CREATE INDEX discovered_by_state ON discovered(tenant, state);"
    "ALTER TABLE devices ADD COLUMN serial TEXT;"
    "ALTER TABLE devices ADD COLUMN site TEXT;"
    "CREATE TRIGGER discovered_device_removed AFTER DELETE ON devices BEGIN"
    " UPDATE discovered SET accepted_as = NULL,"
    " state = CASE state WHEN 'known' THEN 'new' ELSE state END"
    " WHERE tenant = old.tenant AND accepted_as = old.id; END;",
    /* 19: network card readers (readers.c): each bound to one device, its
     * one-time enrollment token and then its credential kept as SHA-256
     * hashes, the site service it enrolled through (its swipes come only
     * from there), and its swipes in the current rate window */
    "CREATE TABLE readers(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " name TEXT NOT NULL, device TEXT NOT NULL, site TEXT, enroll_hash TEXT UNIQUE,"
    " enroll_expires INTEGER, credential_hash TEXT UNIQUE, enrolled_at INTEGER,"
    " last_swipe INTEGER, swipe_window INTEGER NOT NULL DEFAULT 0,"
    " swipes INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, PRIMARY KEY(tenant, id));",
    /* 20: each site's signed printer list, kept verbatim (printer_lists.c):
     * base64 of the canonical list and of its MAC, which only the site
     * secret's holders can make or check */
    "CREATE TABLE printer_lists(tenant TEXT NOT NULL REFERENCES tenants(id),"
    " site TEXT NOT NULL, list TEXT NOT NULL, mac TEXT NOT NULL, updated_at INTEGER NOT NULL,"
    " PRIMARY KEY(tenant, site));",
    /* 21: device monitoring (monitoring.c): the latest value of each
     * section a site reported per device, and the changes, kept for the
     * history's retention; scouts' health reports (health.c), the last one */
    "CREATE TABLE device_state(tenant TEXT NOT NULL REFERENCES tenants(id),"
    " device TEXT NOT NULL, section TEXT NOT NULL, value TEXT NOT NULL, site TEXT NOT NULL,"
    " at INTEGER NOT NULL, PRIMARY KEY(tenant, device, section));"
    "CREATE TABLE device_history(tenant TEXT NOT NULL REFERENCES tenants(id),"
    " device TEXT NOT NULL, section TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL,"
    " received_at INTEGER NOT NULL);"
    "CREATE INDEX device_history_by_device ON device_history(tenant, device, section, at);"
    "CREATE INDEX device_history_by_age ON device_history(received_at);"
    "CREATE TABLE scout_health(scout TEXT PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(id),"
    " version TEXT NOT NULL, uptime INTEGER NOT NULL, held_jobs INTEGER NOT NULL,"
    " last_errors TEXT NOT NULL, config_version TEXT NOT NULL, reported_at INTEGER NOT NULL);",
    /* 22: the history rows of a device's section by arrival, to count an
     * hour's (monitoring.c caps them) and find the newest */
    /* (parenthesised: clang's -Wstring-concatenation takes two joined
     * literals in an array for a missing comma) */
    ("CREATE INDEX device_history_by_arrival"
     " ON device_history(tenant, device, section, received_at);"),
    /* 23: release labels (docs/devices.md, "Labels"): where a device stands,
     * printed on its label, and the base URL of each site's release page
     * (its panel.public_url, sent with its heartbeats) */
    "ALTER TABLE devices ADD COLUMN location TEXT;"
    "ALTER TABLE scouts ADD COLUMN public_url TEXT;",
    /* 24: the console's and portal's browser sessions (web_sessions.c):
     * SHA-256 of the cookie's token and of the session's CSRF token, never
     * the tokens; sign-ins in progress with OpenID Connect (console_oidc.c:
     * the state's hash, bound to the browser's login cookie, with the PKCE
     * verifier and nonce the cloud redeems the code with); one-time
     * sign-in links (console_links.c) */
    "CREATE TABLE web_sessions(token_hash TEXT PRIMARY KEY,"
    " tenant TEXT NOT NULL REFERENCES tenants(id), user_id TEXT NOT NULL, email TEXT NOT NULL,"
    " name TEXT NOT NULL, role TEXT NOT NULL"
    " CHECK(role IN ('administrator', 'helpdesk', 'readonly', 'user')),"
    " csrf_hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL);"
    "CREATE INDEX web_sessions_by_user ON web_sessions(tenant, user_id);"
    "CREATE TABLE console_logins(state_hash TEXT PRIMARY KEY, browser_hash TEXT NOT NULL,"
    " verifier TEXT NOT NULL, nonce TEXT NOT NULL, next TEXT NOT NULL, tenant TEXT,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE sign_in_links(token_hash TEXT PRIMARY KEY,"
    " tenant TEXT NOT NULL REFERENCES tenants(id), user_id TEXT NOT NULL, role TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);",
    /* 25: each site's public submission key (submission_keys.c): SPKI in
     * base64url, sent with its heartbeats, and its fingerprint */
    "ALTER TABLE scouts ADD COLUMN submission_key TEXT;"
    "ALTER TABLE scouts ADD COLUMN submission_fingerprint TEXT;",
    /* 26: the web console: the audit log (audit.c; seq orders it and is
     * its pages' cursor), and the jobs by time, newest first, for the
     * paged job list and the overview's per-day counts (stats.c) */
    "CREATE TABLE audit_log(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " tenant TEXT NOT NULL REFERENCES tenants(id), at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT, detail TEXT);"
    "CREATE INDEX audit_log_by_tenant ON audit_log(tenant, seq);"
    "CREATE INDEX jobs_by_time ON jobs(tenant, submitted_at, id);",
    /* 27: web uploads (uploads.c, docs/storage.md "Web submissions"): where
     * a job came from ('scout': a print scout holds its file; 'web':
     * uploaded to the cloud, its copy is its only file and its `scout` is
     * ''), the site service asked to check an upload and when, and the
     * bytes each user uploaded per UTC day (the upload_daily_bytes limit) */
    "ALTER TABLE jobs ADD COLUMN origin TEXT NOT NULL DEFAULT 'scout';"
    "ALTER TABLE jobs ADD COLUMN checker TEXT;"
    "ALTER TABLE jobs ADD COLUMN check_sent_at INTEGER;"
    "CREATE INDEX jobs_checking ON jobs(state, check_sent_at) WHERE state = 'checking';"
    "CREATE TABLE upload_usage(tenant TEXT NOT NULL REFERENCES tenants(id),"
    " user_id TEXT NOT NULL, day INTEGER NOT NULL, bytes INTEGER NOT NULL,"
    " PRIMARY KEY(tenant, user_id, day));",
    /* 28: web uploads in parts (part_uploads.c): the declared size, the
     * parts it makes, the region its parts are stored in, the day its
     * bytes were counted on, and what it is doing (open, joining, done,
     * dropped; swept_at: when a join started or its parts' deletion was
     * last asked) */
    "CREATE TABLE part_uploads(tenant TEXT NOT NULL REFERENCES tenants(id), id TEXT NOT NULL,"
    " owner TEXT NOT NULL, size INTEGER NOT NULL, parts INTEGER NOT NULL, region TEXT NOT NULL,"
    " day INTEGER NOT NULL, state TEXT NOT NULL, created_at INTEGER NOT NULL, swept_at INTEGER,"
    " PRIMARY KEY(tenant, id));"
    "CREATE INDEX part_uploads_by_owner ON part_uploads(tenant, owner, state);"
    /* the parts stored, and how often each was sent: complete is refused
     * cheaply while one is missing, and resending is bounded */
    "CREATE TABLE part_upload_parts(tenant TEXT NOT NULL, id TEXT NOT NULL, part INTEGER NOT NULL,"
    " sends INTEGER NOT NULL, PRIMARY KEY(tenant, id, part));",
    /* 29: the panel's job list, a page per owner in one range (api_panel.c):
     * only the jobs waiting or under way, whatever a user printed before */
    "CREATE INDEX jobs_waiting ON jobs(tenant, owner, submitted_at, sequence, id) WHERE state IN "
    "('held', 'releasing', 'printing');",
    /* 30: at most one release under way per job, whichever instance starts
     * it (the database says so, not a check in C: docs/scaling.md); a
     * release its job no longer points at was abandoned, and ends first */
    "UPDATE releases SET state = 'failed', reason = 'abandoned' WHERE state IN ('releasing', "
    "'printing') AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.tenant = releases.tenant AND j.id "
    "= releases.job AND j.release_id = releases.id);"
    "CREATE UNIQUE INDEX releases_one_open ON releases(tenant, job) WHERE state IN ('releasing', "
    "'printing');",
    /* 31: registrations in progress between their steps, whichever instance
     * takes the next (api_register.c): the provider's state as text, sealed
     * with the master key; busy_until claims a step */
    "CREATE TABLE registrations(tenant TEXT NOT NULL, id TEXT NOT NULL, scout TEXT NOT NULL, "
    "idp TEXT NOT NULL, saved TEXT NOT NULL, poll_every INTEGER NOT NULL, expires_at INTEGER NOT "
    "NULL, busy_until INTEGER NOT NULL, PRIMARY KEY(tenant, id));"
    "CREATE INDEX registrations_by_expiry ON registrations(expires_at);",
};

const char *cloud_db_migration_sql(int version) {
  int n = cloud_db_latest_version();
  return version >= 1 && version <= n ? migrations[version - 1] : NULL;
}

int cloud_db_latest_version(void) { return (int)(sizeof migrations / sizeof *migrations); }

int cloud_db_open(cloud_db_driver driver, const char *where, cloud_db **out, char *err,
                  size_t err_size) {
  *out = NULL;
  return driver == CLOUD_DB_POSTGRESQL ? cloud_db_pg_open(where, out, err, err_size)
                                       : cloud_db_sqlite_open(where, out, err, err_size);
}

void cloud_db_close(cloud_db *db) {
  if (db)
    db->ops->close(db);
}

cloud_db_driver cloud_db_driver_of(const cloud_db *db) { return db->ops->driver; }

int cloud_db_version(cloud_db *db) { return db->ops->version(db); }

bool cloud_db_flush_log(cloud_db *db, const char *table, char *err, size_t err_size) {
  return db->ops->flush_log(db, table, err, err_size);
}

/* Which connection's last call failed, and how many calls have failed in
 * this process. A reader must tell "no rows" from "could not read": an
 * I/O error answered as "no such session" would be a 401 that hides a
 * broken disk. The API's front door compares the count before and after
 * each request, so no error can slip out as a 4xx. */
static cloud_db *failed_db;
static unsigned long error_count;

static void note_result(cloud_db *db, bool failed) {
  if (failed) {
    failed_db = db;
    error_count++;
  } else if (failed_db == db) {
    failed_db = NULL;
  }
}

bool cloud_db_failed(cloud_db *db) { return db && failed_db == db; }
unsigned long cloud_db_errors(void) { return error_count; }

int cloud_db_run(cloud_db *db, const char *sql, const char *types, ...) {
  va_list ap;
  va_start(ap, types);
  int n = db->ops->exec(db, sql, types, ap, NULL, 0);
  va_end(ap);
  note_result(db, n == -1);
  return n;
}

static json_t *rows_v(cloud_db *db, const char *sql, const char *types, va_list ap, int limit) {
  json_t *rows = json_array();
  int n = rows ? db->ops->exec(db, sql, types, ap, rows, limit) : -1;
  /* a query that fails part-way returns nothing, never a partial list */
  if (n < 0) {
    json_decref(rows);
    rows = NULL;
  }
  note_result(db, rows == NULL);
  return rows;
}

json_t *cloud_db_rows(cloud_db *db, const char *sql, const char *types, ...) {
  va_list ap;
  va_start(ap, types);
  json_t *rows = rows_v(db, sql, types, ap, -1);
  va_end(ap);
  return rows;
}

json_t *cloud_db_row(cloud_db *db, const char *sql, const char *types, ...) {
  va_list ap;
  va_start(ap, types);
  json_t *rows = rows_v(db, sql, types, ap, 1);
  va_end(ap);
  json_t *row = json_array_get(rows, 0);
  json_incref(row);
  json_decref(rows);
  return row;
}

bool cloud_db_begin(cloud_db *db) { return cloud_db_run(db, "BEGIN IMMEDIATE", "") >= 0; }
/* PostgreSQL: an advisory lock of the connection (the session), so an
 * instance that dies or loses its connection lets go of it at once. The key
 * is the project's, beside the migrations' (db_pg.c). */
#define SWEEP_LOCK_KEY 5372020

bool cloud_db_sweep_begin(cloud_db *db) {
  if (db->ops->driver != CLOUD_DB_POSTGRESQL)
    return true; /* SQLite: one process */
  json_t *row =
      cloud_db_row(db, "SELECT CASE WHEN pg_try_advisory_lock(?) THEN 1 ELSE 0 END AS taken", "i",
                   (int64_t)SWEEP_LOCK_KEY);
  bool taken = cloud_row_int(row, "taken") == 1;
  json_decref(row);
  return taken;
}

void cloud_db_sweep_end(cloud_db *db) {
  if (db->ops->driver == CLOUD_DB_POSTGRESQL)
    json_decref(
        cloud_db_row(db, "SELECT pg_advisory_unlock(?) AS done", "i", (int64_t)SWEEP_LOCK_KEY));
}

unsigned cloud_db_reconnections(cloud_db *db) {
  return db->ops->reconnections ? db->ops->reconnections(db) : 0;
}

bool cloud_db_commit(cloud_db *db) { return cloud_db_run(db, "COMMIT", "") >= 0; }
void cloud_db_rollback(cloud_db *db) { cloud_db_run(db, "ROLLBACK", ""); }

const char *cloud_row_text(const json_t *row, const char *column) {
  const char *text = json_string_value(json_object_get(row, column));
  return text ? text : "";
}

int64_t cloud_row_int(const json_t *row, const char *column) {
  return json_integer_value(json_object_get(row, column));
}
