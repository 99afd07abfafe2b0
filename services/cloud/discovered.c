/*
 * Printer discovery, the cloud's side (docs/devices.md): a site scout
 * uploads what its scans found (PUT /site/discovery), the tenant's
 * administrator lists it (GET /discovered) and accepts a printer as a
 * release device (POST /discovered/{id}/accept), and the site reads back
 * the devices it serves (GET /site/devices). A site touches only its own
 * rows: the tenant and the site come from its certificate, never from the
 * body. Everything uploaded is checked before anything is stored, so a bad
 * upload leaves the inventory as it was.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address_check.h"
#include "cloud.h"
#include "db.h"
#include "log.h"

#define MAX_URIS 8
#define MAX_PARTS 1000
#define HOST_MAX 256
/* rows one site may have: a /16 full of SNMP agents; more is a site
 * inventing addresses to fill the cloud's disk */
#define MAX_ROWS_PER_SITE 65536

/* ---- checking an upload ---- */

typedef enum text_rule {
  TEXT_LINE,  /* printable text, no control characters (a model, a serial) */
  TEXT_DESCR, /* sysDescr: also tabs and line breaks, which agents do send */
  TEXT_TOKEN, /* a name of the site's configuration: A-Z a-z 0-9 . _ - */
  TEXT_OID,   /* a dotted numeric OID */
} text_rule;

/* The optional text fields of a device, in the order of the table's
 * columns after `address` and `kind`. */
static const struct {
  const char *key;
  text_rule rule;
  size_t max;
} text_fields[] = {
    {"vendor", TEXT_LINE, 128},     {"model", TEXT_LINE, 128},
    {"serial", TEXT_LINE, 128},     {"sys_object_id", TEXT_OID, 128},
    {"sys_descr", TEXT_DESCR, 255}, {"credential", TEXT_TOKEN, 64},
    {"driver", TEXT_TOKEN, 64},     {"version", TEXT_TOKEN, 2},
    {"snmp", TEXT_LINE, 262},
};
#define N_TEXT (sizeof text_fields / sizeof *text_fields)
enum { F_VENDOR, F_MODEL, F_SERIAL, F_OID, F_DESCR, F_CREDENTIAL, F_DRIVER, F_VERSION, F_SNMP };

/* One device of an upload, checked: strings borrowed from the body. */
typedef struct found {
  const char *address, *kind;
  const char *text[N_TEXT]; /* NULL: not found */
  char *uris;               /* compact JSON array (malloc'd) */
} found;

/* One upload's scan, checked. */
typedef struct scan_part {
  const char *id;
  bool complete;
  int64_t part, parts, device_count; /* device_count: -1 when not given */
} scan_part;

static bool text_ok(const char *s, text_rule rule, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    bool control = ch < 0x20 || ch == 0x7f;
    switch (rule) {
    case TEXT_LINE:
      if (control)
        return false;
      break;
    case TEXT_DESCR:
      if (control && ch != '\t' && ch != '\r' && ch != '\n')
        return false;
      break;
    case TEXT_TOKEN:
      if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", ch) || !ch)
        return false;
      break;
    case TEXT_OID:
      if (ch == '.' ? i == 0 || i == n - 1 || s[i - 1] == '.' : (ch < '0' || ch > '9'))
        return false;
      break;
    }
  }
  return true;
}

/* A 400 naming device `i` (its address, when it has one) and what is
 * wrong with it. */
__attribute__((format(printf, 4, 5))) static bool
refuse_device(sr_http_response *resp, size_t i, const char *address, const char *fmt, ...) {
  char why[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  sr_http_reply_error(resp, 400, "invalid", "devices[%zu]%s%.64s%s: %s; nothing was stored", i,
                      address ? " (" : "", address ? address : "", address ? ")" : "", why);
  return false;
}

/* Every field a device may have: text_fields and these. */
static const char *const device_keys[] = {
    "address",   "kind",       "uris",   "vendor",  "model", "serial", "sys_object_id",
    "sys_descr", "credential", "driver", "version", "snmp",  NULL};

/* The uris of device `i`: 0 to MAX_URIS printer URIs on the device's own
 * host, as compact JSON into d->uris. */
static bool check_uris(json_t *uris, size_t i, found *d, sr_http_response *resp) {
  if (uris && !json_is_null(uris) && (!json_is_array(uris) || json_array_size(uris) > MAX_URIS))
    return refuse_device(resp, i, d->address, "'uris' is a list of at most %d printer URIs",
                         MAX_URIS);
  size_t u;
  json_t *v;
  json_array_foreach(uris, u, v) {
    char host[HOST_MAX];
    const char *uri = json_string_value(v);
    if (!uri || !sr_uri_host(uri, host, sizeof host))
      return refuse_device(resp, i, d->address,
                           "uris[%zu] is not an ipps://, ipp:// or socket:// URI "
                           "(HOST[:PORT][/PATH])",
                           u);
    if (!sr_same_host(host, d->address))
      return refuse_device(resp, i, d->address,
                           "uris[%zu] points at %.64s, not at the device's own address", u, host);
    for (size_t earlier = 0; earlier < u; earlier++)
      if (!strcmp(uri, json_string_value(json_array_get(uris, earlier))))
        return refuse_device(resp, i, d->address, "uris[%zu] is listed twice", u);
  }
  d->uris = json_is_array(uris) ? json_dumps(uris, JSON_COMPACT) : strdup("[]");
  return d->uris != NULL;
}

static bool check_device(json_t *dev, size_t i, found *d, sr_http_response *resp) {
  if (!json_is_object(dev))
    return refuse_device(resp, i, NULL, "a device is a JSON object");
  const char *unknown = cloud_unknown_field(dev, device_keys);
  if (unknown)
    return refuse_device(resp, i, NULL,
                         "unknown field '%.64s' (a device carries what was found and the name "
                         "of the credential set that answered, never a secret)",
                         unknown);
  d->address = json_string_value(json_object_get(dev, "address"));
  if (!d->address || !sr_host_ok(d->address) || strlen(d->address) >= HOST_MAX)
    return refuse_device(resp, i, NULL,
                         "'address' is an IPv4 or IPv6 address (no brackets) or a host name");
  d->kind = json_string_value(json_object_get(dev, "kind"));
  if (!d->kind || (strcmp(d->kind, "printer") && strcmp(d->kind, "other")))
    return refuse_device(resp, i, d->address, "'kind' is printer or other");
  for (size_t f = 0; f < N_TEXT; f++) {
    json_t *v = json_object_get(dev, text_fields[f].key);
    if (!v || json_is_null(v))
      continue;
    d->text[f] = json_string_value(v);
    if (!d->text[f] || !text_ok(d->text[f], text_fields[f].rule, text_fields[f].max))
      return refuse_device(resp, i, d->address, "'%s' is %s of 1 to %zu bytes (or null)",
                           text_fields[f].key,
                           text_fields[f].rule == TEXT_TOKEN ? "A-Z, a-z, 0-9, '.', '_' and '-'"
                           : text_fields[f].rule == TEXT_OID ? "a dotted numeric OID"
                                                             : "text without control characters",
                           text_fields[f].max);
  }
  const char *version = d->text[F_VERSION], *snmp = d->text[F_SNMP];
  char host[HOST_MAX];
  if (version && strcmp(version, "1") && strcmp(version, "2c") && strcmp(version, "3"))
    return refuse_device(resp, i, d->address, "'version' is the SNMP version: 1, 2c or 3");
  if (snmp && !sr_snmp_host(snmp, host, sizeof host))
    return refuse_device(resp, i, d->address,
                         "'snmp' is the agent's HOST[:PORT] (an IPv6 address in brackets)");
  if (snmp && !sr_same_host(host, d->address))
    return refuse_device(resp, i, d->address,
                         "'snmp' points at %.64s, not at the device's own address", host);
  return check_uris(json_object_get(dev, "uris"), i, d, resp);
}

static void free_found(found *devs, size_t n) {
  for (size_t i = 0; devs && i < n; i++)
    free(devs[i].uris);
  free(devs);
}

/* The devices of an upload, all checked (NULL and a 400 otherwise; *n
 * their number). Caller frees with free_found. */
static found *check_devices(json_t *list, size_t *n, sr_http_response *resp) {
  *n = 0;
  if (!json_is_array(list) || json_array_size(list) > CLOUD_DISCOVERY_MAX_DEVICES) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'devices' is a list of at most %d devices per upload (send a larger "
                        "scan in parts: scan.part and scan.parts); nothing was stored",
                        CLOUD_DISCOVERY_MAX_DEVICES);
    return NULL;
  }
  size_t count = json_array_size(list);
  found *devs = calloc(count ? count : 1, sizeof *devs);
  if (!devs) {
    sr_http_reply_error(resp, 500, "internal", "out of memory");
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    bool ok = check_device(json_array_get(list, i), i, &devs[i], resp);
    for (size_t j = 0; ok && j < i; j++)
      if (sr_same_host(devs[j].address, devs[i].address))
        ok = refuse_device(resp, i, devs[i].address, "the address is listed twice");
    if (!ok) {
      free_found(devs, i + 1);
      return NULL;
    }
  }
  *n = count;
  return devs;
}

/* An optional whole number field of the scan from `min` to `max`. */
static bool scan_number(json_t *scan, const char *key, int64_t min, int64_t max, int64_t *out,
                        sr_http_response *resp) {
  json_t *v = json_object_get(scan, key);
  if (!v)
    return true;
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan.%s' is a whole number from %lld to %lld; nothing was stored", key,
                        (long long)min, (long long)max);
    return false;
  }
  *out = json_integer_value(v);
  return true;
}

static bool check_scan(json_t *scan, size_t n_devices, scan_part *s, sr_http_response *resp) {
  static const char *const keys[] = {
      "id",   "started_at", "finished_at",  "complete",     "addresses",           "packets",
      "part", "parts",      "device_count", "send_seconds", "last_answer_seconds", NULL};
  *s = (scan_part){.part = 1, .parts = 1, .device_count = -1};
  if (!json_is_object(scan)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan' is required: the scan's id, whether it was complete, its times; "
                        "nothing was stored");
    return false;
  }
  const char *unknown = cloud_unknown_field(scan, keys);
  if (unknown) {
    sr_http_reply_error(resp, 400, "unknown_field", "unknown field 'scan.%.64s'", unknown);
    return false;
  }
  s->id = json_string_value(json_object_get(scan, "id"));
  size_t id_len = s->id ? strlen(s->id) : 0;
  if (id_len == 0 || id_len > 64 || strspn(s->id, "0123456789abcdefABCDEF-") != id_len) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan.id' is 1 to 64 hex digits (dashes allowed); nothing was stored");
    return false;
  }
  json_t *complete = json_object_get(scan, "complete");
  if (!json_is_boolean(complete)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan.complete' is true (every target was scanned: what was not found "
                        "has vanished) or false; nothing was stored");
    return false;
  }
  s->complete = json_is_true(complete);
  /* the site's own times, kept nowhere (rows take the cloud's clock): a
   * site whose clock is off still uploads */
  int64_t started = 0, finished = 0, ignored;
  const int64_t far = INT64_C(1) << 40;
  if (!scan_number(scan, "started_at", 0, far, &started, resp) ||
      !scan_number(scan, "finished_at", 0, far, &finished, resp) ||
      !scan_number(scan, "addresses", 0, far, &ignored, resp) ||
      !scan_number(scan, "packets", 0, far, &ignored, resp) ||
      !scan_number(scan, "parts", 1, MAX_PARTS, &s->parts, resp) ||
      !scan_number(scan, "part", 1, s->parts, &s->part, resp) ||
      !scan_number(scan, "device_count", 0, s->parts * CLOUD_DISCOVERY_MAX_DEVICES,
                   &s->device_count, resp))
    return false;
  /* the scan's own timings (bench/discovery reads them), kept nowhere */
  static const char *const timings[] = {"send_seconds", "last_answer_seconds"};
  for (size_t i = 0; i < 2; i++) {
    json_t *t = json_object_get(scan, timings[i]);
    if (t && (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 1e7)) {
      sr_http_reply_error(resp, 400, "invalid",
                          "'scan.%s' is a number of seconds; nothing was stored", timings[i]);
      return false;
    }
  }
  if (json_object_get(scan, "started_at") && json_object_get(scan, "finished_at") &&
      finished < started) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan.finished_at' is before 'scan.started_at'; nothing was stored");
    return false;
  }
  if (!json_object_get(scan, "part") != !json_object_get(scan, "parts")) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan.part' and 'scan.parts' come together (part N of a scan uploaded "
                        "in parts); nothing was stored");
    return false;
  }
  if (s->parts > 1 && s->device_count < 0) {
    sr_http_reply_error(resp, 400, "invalid",
                        "a scan in parts names its 'scan.device_count' (the devices of all its "
                        "parts); nothing was stored");
    return false;
  }
  if (s->parts == 1 && s->device_count >= 0 && (size_t)s->device_count != n_devices) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'scan.device_count' is %lld but 'devices' lists %zu; nothing was stored",
                        (long long)s->device_count, n_devices);
    return false;
  }
  return true;
}

/* ---- storing an upload ---- */

typedef struct tally {
  int64_t new_, changed, vanished, unchanged;
} tally;

static bool same_text(const json_t *row, const char *column, const char *value) {
  const char *stored = json_string_value(json_object_get(row, column));
  return stored && value ? strcmp(stored, value) == 0 : !stored && !value;
}

/* Whether the stored row describes `d` as it is found now. */
static bool unchanged(const json_t *row, const found *d) {
  if (!same_text(row, "kind", d->kind) || !same_text(row, "uris", d->uris))
    return false;
  for (size_t f = 0; f < N_TEXT; f++)
    if (!same_text(row, text_fields[f].key, d->text[f]))
      return false;
  return true;
}

/* Records device `d` of site `site` seen now in scan `scan_id`; counts it.
 * False if the database failed. In the caller's transaction. */
static bool record(cloud *c, const char *tenant, const char *site, const char *scan_id,
                   const found *d, int64_t now, tally *t) {
  const char *const *x = d->text;
  json_t *row = cloud_db_row(c->db,
                             "SELECT id, kind, vendor, model, serial, sys_object_id, sys_descr, "
                             "credential, driver, version, snmp, uris, state FROM discovered "
                             "WHERE tenant = ? AND site = ? AND address = ?",
                             "ttt", tenant, site, d->address);
  if (!row && cloud_db_failed(c->db))
    return false;
  int n;
  if (!row) {
    char id[24] = "dsc-";
    cloud_random_hex(id + 4, 8);
    n = cloud_db_run(c->db,
                     "INSERT INTO discovered(tenant, id, site, address, kind, vendor, model, "
                     "serial, sys_object_id, sys_descr, credential, driver, version, snmp, uris, "
                     "first_seen, last_seen, state, last_scan) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)",
                     "tttttttttttttttiit", tenant, id, site, d->address, d->kind, x[F_VENDOR],
                     x[F_MODEL], x[F_SERIAL], x[F_OID], x[F_DESCR], x[F_CREDENTIAL], x[F_DRIVER],
                     x[F_VERSION], x[F_SNMP], d->uris, now, now, scan_id);
    t->new_++;
  } else if (unchanged(row, d) && strcmp(cloud_row_text(row, "state"), "vanished") != 0) {
    n = cloud_db_run(
        c->db, "UPDATE discovered SET last_seen = ?, last_scan = ? WHERE tenant = ? AND id = ?",
        "ittt", now, scan_id, tenant, cloud_row_text(row, "id"));
    t->unchanged++;
  } else { /* changed, or back after it vanished */
    n = cloud_db_run(c->db,
                     "UPDATE discovered SET kind = ?, vendor = ?, model = ?, serial = ?, "
                     "sys_object_id = ?, sys_descr = ?, credential = ?, driver = ?, version = ?, "
                     "snmp = ?, uris = ?, last_seen = ?, last_scan = ?, state = CASE state "
                     "WHEN 'vanished' THEN (CASE WHEN accepted_as IS NULL THEN 'new' ELSE "
                     "'known' END) ELSE state END WHERE tenant = ? AND id = ?",
                     "tttttttttttittt", d->kind, x[F_VENDOR], x[F_MODEL], x[F_SERIAL], x[F_OID],
                     x[F_DESCR], x[F_CREDENTIAL], x[F_DRIVER], x[F_VERSION], x[F_SNMP], d->uris,
                     now, scan_id, tenant, cloud_row_text(row, "id"));
    t->changed++;
  }
  json_decref(row);
  return n == 1;
}

/* Keeps the site's inventory to MAX_ROWS_PER_SITE rows once an upload is
 * recorded: rows never accepted and not of this scan go, vanished ones
 * first, then the longest unseen (a scan brings a real device back). 1 when
 * it fits, 0 when not (answered 409: accepted devices fill it), -1 if the
 * database failed. In the caller's transaction. */
static int trim_inventory(cloud *c, const char *tenant, const char *site, const char *scan_id,
                          sr_http_response *resp) {
  json_t *row =
      cloud_db_row(c->db, "SELECT count(*) AS n FROM discovered WHERE tenant = ? AND site = ?",
                   "tt", tenant, site);
  if (!row)
    return -1;
  int64_t held = cloud_row_int(row, "n"), over = held - MAX_ROWS_PER_SITE;
  json_decref(row);
  if (over <= 0)
    return 1;
  int gone = cloud_db_run(c->db,
                          "DELETE FROM discovered WHERE rowid IN (SELECT rowid FROM discovered "
                          "WHERE tenant = ? AND site = ? AND accepted_as IS NULL AND (last_scan "
                          "IS NULL OR last_scan != ?) ORDER BY state = 'vanished' DESC, "
                          "last_seen LIMIT ?)",
                          "ttti", tenant, site, scan_id, over);
  if (gone < 0)
    return -1;
  if (gone > 0)
    sr_log(SR_LOG_WARN, "discovery",
           "tenant %s: site %s: inventory full (%d rows): %d unaccepted row(s) not seen the "
           "longest dropped",
           tenant, site, MAX_ROWS_PER_SITE, gone);
  if (gone >= over)
    return 1;
  sr_http_reply_error(resp, 409, "inventory_full",
                      "this scan would give the site %lld discovered devices, more than the %d "
                      "one site keeps, and only accepted devices or this scan's are left; "
                      "nothing was stored",
                      (long long)held - gone, MAX_ROWS_PER_SITE);
  return 0;
}

/* After the last part of a complete scan: the site's devices no part of
 * it found have vanished, provided every part arrived (the rows it saw
 * number its device_count). False if the database failed. */
static bool mark_vanished(cloud *c, const char *tenant, const char *site, const scan_part *s,
                          size_t n_devices, tally *t) {
  if (!s->complete || s->part != s->parts)
    return true;
  int64_t expected = s->parts == 1 ? (int64_t)n_devices : s->device_count;
  json_t *row = cloud_db_row(c->db,
                             "SELECT count(*) AS seen FROM discovered WHERE tenant = ? AND "
                             "site = ? AND last_scan = ?",
                             "ttt", tenant, site, s->id);
  if (!row)
    return false;
  int64_t seen = cloud_row_int(row, "seen");
  json_decref(row);
  if (seen != expected) {
    sr_log(SR_LOG_WARN, "discovery",
           "tenant %s: site %s: scan %s: %lld of its %lld devices arrived (a part is missing); "
           "nothing marked vanished",
           tenant, site, s->id, (long long)seen, (long long)expected);
    return true;
  }
  int n = cloud_db_run(c->db,
                       "UPDATE discovered SET state = 'vanished' WHERE tenant = ? AND site = ? "
                       "AND state != 'vanished' AND (last_scan IS NULL OR last_scan != ?)",
                       "ttt", tenant, site, s->id);
  t->vanished = n;
  return n >= 0;
}

void cloud_site_discovery_put(cloud_call *k) {
  cloud *c = k->c;
  sr_http_response *resp = k->resp;
  const char *tenant = cloud_row_text(k->scout, "tenant"), *site = cloud_row_text(k->scout, "id");
  json_t *body = cloud_api_body(k->req, resp, k->fields);
  if (!body)
    return;
  size_t n = 0;
  scan_part s;
  found *devs = check_devices(json_object_get(body, "devices"), &n, resp);
  if (devs && check_scan(json_object_get(body, "scan"), n, &s, resp)) {
    tally t = {0};
    int64_t now = time(NULL);
    bool ok = cloud_db_begin(c->db);
    for (size_t i = 0; ok && i < n; i++)
      ok = record(c, tenant, site, s.id, &devs[i], now, &t);
    int room = ok ? trim_inventory(c, tenant, site, s.id, resp) : -1;
    ok = room == 1 && mark_vanished(c, tenant, site, &s, n, &t);
    if (room == 0) {
      cloud_db_rollback(c->db); /* answered */
    } else if (ok && cloud_db_commit(c->db)) {
      sr_log(SR_LOG_INFO, "discovery",
             "tenant %s: site %s: scan %s part %lld/%lld: %lld new, %lld changed, %lld vanished, "
             "%lld unchanged",
             tenant, site, s.id, (long long)s.part, (long long)s.parts, (long long)t.new_,
             (long long)t.changed, (long long)t.vanished, (long long)t.unchanged);
      sr_http_reply_json(resp, 200,
                         json_pack("{s:I, s:I, s:I, s:I}", "new", (json_int_t)t.new_, "changed",
                                   (json_int_t)t.changed, "vanished", (json_int_t)t.vanished,
                                   "unchanged", (json_int_t)t.unchanged));
    } else {
      cloud_db_rollback(c->db);
      cloud_api_db_error(resp, "storing the discovery");
    }
  }
  free_found(devs, n);
  json_decref(body);
}

/* ---- reading and accepting ---- */

/* The row's `uris` column (JSON text) as an array. */
static void uris_as_array(json_t *row) {
  json_t *uris = json_loads(cloud_row_text(row, "uris"), 0, NULL);
  json_object_set_new(row, "uris", json_is_array(uris) ? uris : json_array());
  if (uris && !json_is_array(uris))
    json_decref(uris);
}

static void time_as_text(json_t *row, const char *column) {
  char when[32];
  if (json_is_integer(json_object_get(row, column))) {
    cloud_rfc3339(cloud_row_int(row, column), when);
    json_object_set_new(row, column, json_string(when));
  }
}

/* The `state` query parameter (the only one) into state, "" without
 * one; false and a 400 for anything else. */
static bool state_filter(const char *query, char state[16], sr_http_response *resp) {
  state[0] = '\0';
  bool given = false;
  for (const char *p = query; p && *p;) {
    size_t len = strcspn(p, "&");
    if (len >= 6 && !strncmp(p, "state=", 6)) {
      given = true;
      snprintf(state, 16, "%.*s", (int)(len - 6 < 15 ? len - 6 : 15), p + 6);
    } else if (len > 0) {
      sr_http_reply_error(resp, 400, "invalid", "unknown query parameter '%.*s' (only state)",
                          (int)(len > 64 ? 64 : len), p);
      return false;
    }
    p += len + (p[len] == '&');
  }
  if (given && strcmp(state, "new") && strcmp(state, "known") && strcmp(state, "vanished")) {
    sr_http_reply_error(resp, 400, "invalid", "'state' is new, known or vanished");
    return false;
  }
  return true;
}

void cloud_admin_discovered(cloud_call *k) {
  char state[16];
  if (!state_filter(k->req->query, state, k->resp))
    return;
  json_t *rows = cloud_db_rows(
      k->c->db,
      "SELECT d.id, d.site, s.name AS site_name, d.address, d.state, d.kind, d.vendor, d.model, "
      "d.serial, d.sys_object_id, d.sys_descr, d.uris, d.snmp, d.credential, d.version, "
      "d.driver, d.first_seen, d.last_seen, d.accepted_as FROM discovered d "
      "LEFT JOIN scouts s ON s.tenant = d.tenant AND s.id = d.site "
      "WHERE d.tenant = ? AND (? = '' OR d.state = ?) ORDER BY d.site, d.address",
      "ttt", k->tenant, state, state);
  if (!rows) {
    cloud_api_db_error(k->resp, "listing the discovered devices");
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    uris_as_array(row);
    time_as_text(row, "first_seen");
    time_as_text(row, "last_seen");
  }
  sr_http_reply_json(k->resp, 200,
                     json_pack("{s:o, s:s}", "discovered", rows, "tenant", k->tenant));
}

/* Appends the slug of `text` (a-z, 0-9, single dashes) to the id in
 * `out`, after a dash unless it is empty. */
static void slug_append(char *out, size_t size, const char *text) {
  size_t n = strlen(out);
  bool dash = n > 0;
  for (const char *p = text; p && *p && n + 2 < size; p++) {
    char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
    if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
      if (dash && n > 0)
        out[n++] = '-';
      out[n++] = ch;
      dash = false;
    } else {
      dash = true;
    }
  }
  out[n] = '\0';
}

/* The id a device accepted without one gets: its model (or "printer")
 * and its serial, or its address when the serial has no letter or digit
 * to keep (none, or not ASCII), as a slug of at most 64 bytes. */
static void default_id(const json_t *row, char out[65]) {
  const char *model = json_string_value(json_object_get(row, "model"));
  const char *serial = json_string_value(json_object_get(row, "serial"));
  out[0] = '\0';
  slug_append(out, 65, model);
  if (!out[0])
    slug_append(out, 65, "printer");
  size_t before = strlen(out);
  slug_append(out, 65, serial);
  if (strlen(out) == before)
    slug_append(out, 65, cloud_row_text(row, "address"));
}

/* Its name: "MODEL (SERIAL)", "MODEL at ADDRESS" or "Printer at ADDRESS",
 * cut to CLOUD_NAME_MAX bytes on a character boundary. */
static void default_name(const json_t *row, char out[CLOUD_NAME_MAX + 1]) {
  const char *model = json_string_value(json_object_get(row, "model"));
  const char *serial = json_string_value(json_object_get(row, "serial"));
  const char *address = cloud_row_text(row, "address");
  if (model && serial)
    snprintf(out, CLOUD_NAME_MAX + 1, "%s (%s)", model, serial);
  else
    snprintf(out, CLOUD_NAME_MAX + 1, "%s at %s", model ? model : "Printer", address);
  /* snprintf may have cut the last character: drop what is left of it */
  size_t n = strlen(out), last = n;
  while (last > 0 && ((unsigned char)out[last - 1] & 0xC0) == 0x80)
    last--;
  if (last > 0) {
    unsigned char lead = (unsigned char)out[last - 1];
    size_t length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (last - 1 + length > n)
      out[last - 1] = '\0';
  }
}

static int scheme_rank(const char *uri) {
  return !strncmp(uri, "ipps://", 7) ? 0 : !strncmp(uri, "ipp://", 6) ? 1 : 2;
}

/* The row's URIs in the order a print scout should try them: IPPS, then
 * IPP, then raw, each group as found. Compact JSON (caller frees). */
static char *uris_to_try(const json_t *row) {
  json_t *listed = json_loads(cloud_row_text(row, "uris"), 0, NULL), *sorted = json_array();
  for (int rank = 0; rank <= 2; rank++) {
    size_t i;
    json_t *v;
    json_array_foreach(listed, i, v) {
      if (json_is_string(v) && scheme_rank(json_string_value(v)) == rank)
        json_array_append(sorted, v);
    }
  }
  char *text = json_array_size(sorted) ? json_dumps(sorted, JSON_COMPACT) : NULL;
  json_decref(listed);
  json_decref(sorted);
  return text;
}

/* Why discovered `row` cannot become a device (a 409 in resp), or true. */
static bool acceptable(const json_t *row, sr_http_response *resp) {
  const char *id = cloud_row_text(row, "id"), *address = cloud_row_text(row, "address");
  if (strcmp(cloud_row_text(row, "kind"), "printer") != 0) {
    sr_http_reply_error(resp, 409, "not_a_printer",
                        "%s (%s) is not a printer (kind other); only printers can be release "
                        "devices",
                        id, address);
    return false;
  }
  if (!strcmp(cloud_row_text(row, "state"), "vanished")) {
    char when[32];
    cloud_rfc3339(cloud_row_int(row, "last_seen"), when);
    sr_http_reply_error(resp, 409, "vanished",
                        "%s (%s) was not found by its site's last complete scan (last seen %s); "
                        "accept it once a scan finds it again",
                        id, address, when);
    return false;
  }
  if (!json_is_null(json_object_get(row, "accepted_as"))) {
    sr_http_reply_error(resp, 409, "accepted", "%s (%s) is already device '%s'", id, address,
                        cloud_row_text(row, "accepted_as"));
    return false;
  }
  if (!strcmp(cloud_row_text(row, "uris"), "[]")) {
    sr_http_reply_error(resp, 409, "no_uris",
                        "%s (%s): no IPP or raw port answered when it was found, so there is no "
                        "address to print to; add it with srctl device add and its URIs",
                        id, address);
    return false;
  }
  return true;
}

/* Makes discovered `row` device `id` named `name`, in one transaction:
 * 201 with the device, or the error. */
static void accept_as(cloud *c, const char *tenant, const json_t *row, const char *id,
                      const char *name, sr_http_response *resp) {
  char *uris = uris_to_try(row);
  const char *snmp = json_string_value(json_object_get(row, "snmp"));
  const char *serial = json_string_value(json_object_get(row, "serial"));
  bool ok = uris && cloud_db_begin(c->db);
  int n = ok ? cloud_db_run(c->db,
                            "INSERT INTO devices(tenant, id, name, uris, snmp, serial, site, "
                            "created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                            "ttttttti", tenant, id, name, uris, snmp, serial,
                            cloud_row_text(row, "site"), (int64_t)time(NULL))
             : -1;
  /* the row is still new and unclaimed: two accepts at once make one device */
  int claimed = n == 1 ? cloud_db_run(c->db,
                                      "UPDATE discovered SET accepted_as = ?, state = 'known' "
                                      "WHERE tenant = ? AND id = ? AND state = 'new' AND "
                                      "accepted_as IS NULL",
                                      "ttt", id, tenant, cloud_row_text(row, "id"))
                       : -1;
  if (claimed == 1 && cloud_db_commit(c->db)) {
    sr_log(SR_LOG_INFO, "discovery", "tenant %s: %s (%s) accepted as device %s", tenant,
           cloud_row_text(row, "id"), cloud_row_text(row, "address"), id);
    json_t *device = json_pack("{s:s, s:s, s:o, s:s?, s:s?, s:s}", "id", id, "name", name, "uris",
                               json_loads(uris, 0, NULL), "snmp", snmp, "serial", serial,
                               "discovered", cloud_row_text(row, "id"));
    sr_http_reply_json(resp, 201, device);
  } else {
    if (ok)
      cloud_db_rollback(c->db);
    if (n == CLOUD_DB_CONFLICT)
      sr_http_reply_error(resp, 409, "exists",
                          "device '%s' already exists; choose another id (srctl device accept "
                          "--id ID)",
                          id);
    else if (claimed == 0)
      sr_http_reply_error(resp, 409, "accepted", "%s was accepted meanwhile",
                          cloud_row_text(row, "id"));
    else
      cloud_api_db_error(resp, "storing the device");
  }
  free(uris);
}

void cloud_admin_discovered_accept(cloud_call *k) {
  sr_http_response *resp = k->resp;
  /* the body is optional: no body takes the defaults */
  json_t *body = k->req->body_len ? cloud_api_body(k->req, resp, k->fields) : json_object();
  if (!body)
    return;
  json_t *given_id = json_object_get(body, "id"), *given_name = json_object_get(body, "name");
  json_t *row = NULL;
  if (given_id && !cloud_slug_ok(json_string_value(given_id), 64)) {
    sr_http_reply_error(resp, 400, "invalid", "'id' must be 1 to 64 of a-z, 0-9 and '-'");
  } else if (given_name && !cloud_name_ok(json_string_value(given_name))) {
    sr_http_reply_error(resp, 400, "invalid",
                        "'name' is text of 1 to %d bytes without control characters",
                        CLOUD_NAME_MAX);
  } else if (!(row = cloud_db_row(k->c->db,
                                  "SELECT id, site, address, kind, model, serial, snmp, uris, "
                                  "state, accepted_as, last_seen FROM discovered "
                                  "WHERE tenant = ? AND id = ?",
                                  "tt", k->tenant, k->id))) {
    if (cloud_db_failed(k->c->db))
      cloud_api_db_error(resp, "looking up the discovered device");
    else
      sr_http_reply_error(resp, 404, "not_found",
                          "no discovered device '%.64s' (see srctl device discovered)", k->id);
  } else if (acceptable(row, resp)) {
    char id[65], name[CLOUD_NAME_MAX + 1];
    default_id(row, id);
    default_name(row, name);
    accept_as(k->c, k->tenant, row, given_id ? json_string_value(given_id) : id,
              given_name ? json_string_value(given_name) : name, resp);
  }
  json_decref(row);
  json_decref(body);
  /* the object is the discovery; the device it became is in the answer */
  json_t *answer = resp->status == 201 ? json_loads(resp->body, 0, NULL) : NULL;
  cloud_audit_succeeded(k, "device.accept", k->id,
                        json_pack("{s:O?, s:O?}", "device", json_object_get(answer, "id"), "name",
                                  json_object_get(answer, "name")));
  json_decref(answer);
}

void cloud_site_devices(cloud_call *k) {
  /* a device found by another site is that site's; one added by hand, every site's */
  json_t *rows =
      cloud_db_rows(k->c->db,
                    "SELECT id, name, uris, snmp, serial FROM devices WHERE tenant = ? "
                    "AND (site IS NULL OR site = ?) ORDER BY id",
                    "tt", cloud_row_text(k->scout, "tenant"), cloud_row_text(k->scout, "id"));
  if (!rows) {
    cloud_api_db_error(k->resp, "listing the devices");
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) uris_as_array(row);
  sr_http_reply_json(k->resp, 200, json_pack("{s:o}", "devices", rows));
}
