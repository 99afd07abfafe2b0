/* Tenant settings: what a tenant's administrator chooses for the whole
 * tenant (hold time, cloud copy, document handling, ...). One table of
 * definitions says each setting's kind, range and default; the database
 * keeps only the values an administrator set (`tenant_settings`, schema
 * version 11), as JSON text, so a setting added later needs no migration
 * and its default applies to every tenant until changed. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "config_schema.h"
#include "db.h"
#include "log.h"

typedef enum setting_kind {
  SETTING_DURATION, /* seconds; given as a number or text such as "48h" */
  SETTING_CHOICE,   /* one of `choices` */
  SETTING_CHECKED,  /* text that `valid` accepts */
  SETTING_LIST,     /* an ordered list of distinct `choices`, at least one; given as a
                       JSON array, as text "a,b", or as one of `aliases` */
  SETTING_ROLES,    /* {"administrator": [GROUP...], "helpdesk": [...], "readonly": [...]}:
                       JSON, or that JSON as text */
  SETTING_BYTES,    /* a size in bytes from `min` to `max`; given as a number or text
                       such as "50MiB" (KiB, MiB, GiB) */
} setting_kind;

typedef struct setting_def {
  const char *name;
  setting_kind kind;
  int64_t min, max;           /* SETTING_DURATION */
  int64_t (*floor)(cloud *c); /* SETTING_DURATION: the operator's min, replaces `min` */
  const char *const *choices; /* SETTING_CHOICE, SETTING_LIST: NULL-terminated */
  /* SETTING_CHECKED: true if `s` is a value; else false and why */
  bool (*valid)(const cloud *c, const char *s, char *why, size_t why_size);
  const char *const *aliases;    /* SETTING_LIST: "name=a,b" (a name for a list), NULL-terminated */
  json_t *(*fallback)(cloud *c); /* the default (new reference) */
  const char *help;
} setting_def;

#define HOLD_TIME_MAX (7 * 86400)

/* The operator may allow holds shorter than an hour (hold_time_min in the
 * cloud's configuration) so that demonstrations and tests see jobs expire. */
static int64_t hold_time_floor(cloud *c) { return c->cfg.u.cloud.hold_time_min; }

static json_t *hold_time_default(cloud *c) {
  int64_t t = c->cfg.u.cloud.job_expiry, lo = hold_time_floor(c);
  return json_integer(t < lo ? lo : t > HOLD_TIME_MAX ? HOLD_TIME_MAX : t);
}

static json_t *no_warning(cloud *c) {
  (void)c;
  return json_integer(0);
}

static json_t *retention_default(cloud *c) {
  (void)c;
  return json_integer(90 * 86400);
}

/* The first declared region (null: the cloud has none). */
static json_t *region_default(cloud *c) {
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  return cc->n_regions ? json_string(cc->regions[0].name) : json_null();
}

static json_t *cloud_copy_default(cloud *c) {
  (void)c;
  return json_string("off");
}

static json_t *copy_after_default(cloud *c) {
  (void)c;
  return json_integer(30 * 60);
}

static const char *const cloud_copy_choices[] = {"off", "immediate", "deferred", NULL};

/* both: static labels keep working where panels show rotating codes too */
static json_t *release_codes_default(cloud *c) {
  (void)c;
  return json_string("both");
}

static json_t *document_handling_default(cloud *c) {
  (void)c;
  return json_pack("[s]", "origin"); /* the workstation alone, as before failover */
}

/* No group gives a console role until the administrator says which. */
static json_t *console_roles_default(cloud *c) {
  (void)c;
  return json_pack("{s:[], s:[], s:[]}", "administrator", "helpdesk", "readonly");
}

#define GROUP_MAX 128 /* bytes of a group name */
#define GROUPS_MAX 32 /* group names per role */

/* A console_roles value: exactly the three roles, each a list of up to
 * GROUPS_MAX distinct group names (text without control characters). */
static json_t *roles_value(json_t *given) {
  json_t *parsed =
      json_is_string(given) ? json_loads(json_string_value(given), 0, NULL) : json_incref(given);
  static const char *const roles[] = {"administrator", "helpdesk", "readonly", NULL};
  json_t *out = json_is_object(parsed) && json_object_size(parsed) <= 3 ? json_object() : NULL;
  for (size_t r = 0; out && roles[r]; r++) {
    json_t *groups = json_object_get(parsed, roles[r]), *g;
    if (!groups)
      groups = json_array();
    else
      json_incref(groups);
    size_t i;
    bool ok = json_is_array(groups) && json_array_size(groups) <= GROUPS_MAX;
    json_array_foreach(groups, i, g) ok =
        ok && cloud_text_field_ok(g, GROUP_MAX) && json_string_length(g) > 0;
    if (ok)
      json_object_set_new(out, roles[r], groups);
    else {
      json_decref(groups);
      json_decref(out);
      out = NULL;
    }
  }
  if (out && json_object_size(out) != 3) { /* a key that is no role */
    json_decref(out);
    out = NULL;
  }
  json_decref(parsed);
  return out;
}

static json_t *upload_max_size_default(cloud *c) {
  (void)c;
  return json_integer(50LL << 20);
}

static json_t *upload_daily_bytes_default(cloud *c) {
  (void)c;
  return json_integer(500LL << 20);
}

/* Keep in step with cloud_setting_names and docs/api/cloud.yaml. */
static const setting_def defs[] = {
    {.name = "hold_time",
     .kind = SETTING_DURATION,
     .max = HOLD_TIME_MAX,
     .floor = hold_time_floor,
     .fallback = hold_time_default,
     .help = "how long a job is held before it expires unprinted (1h to 7d)"},
    {.name = "expiry_warning",
     .kind = SETTING_DURATION,
     .min = 0,
     .max = HOLD_TIME_MAX,
     .fallback = no_warning,
     .help = "how long before a job expires its owner is warned (0: not warned)"},
    {.name = "retention",
     .kind = SETTING_DURATION,
     .min = 0,
     .max = 3650 * 86400,
     .fallback = retention_default,
     .help = "how long an ended job's metadata is kept for reporting (0: not kept)"},
    {.name = "region",
     .kind = SETTING_CHECKED,
     .valid = cloud_region_valid,
     .fallback = region_default,
     .help = "the tenant's default region, for users and sites without one of their own"},
    {.name = "cloud_copy",
     .kind = SETTING_CHOICE,
     .choices = cloud_copy_choices,
     .fallback = cloud_copy_default,
     .help = "whether print scouts upload each held job's encrypted file to the cloud: off, "
             "immediate (once held) or deferred (jobs still held after copy_after)"},
    {.name = "copy_after",
     .kind = SETTING_DURATION,
     .min = 10,
     .max = 7 * 86400,
     .fallback = copy_after_default,
     .help = "with cloud_copy deferred: how long a job is held before its copy is uploaded"},
    {.name = "document_handling",
     .kind = SETTING_LIST,
     .choices = (const char *const[]){"origin", "site", "crowdsource", NULL},
     .aliases = (const char *const[]){"personal=origin", NULL},
     .fallback = document_handling_default,
     .help = "who may print a released job, in order of preference: the workstation that "
             "holds it (origin), the site service (site), another workstation that serves "
             "others (crowdsource); docs/storage.md"},
    {.name = "release_codes",
     .kind = SETTING_CHOICE,
     .choices = (const char *const[]){"static", "rotating", "both", NULL},
     .fallback = release_codes_default,
     .help = "what opens the release page at a printer: its static label (static), only the "
             "rotating code its panel shows (rotating: a login must be made at the printer), or "
             "either (both); docs/security.md, \"Release codes\""},
    {.name = "console_roles",
     .kind = SETTING_ROLES,
     .fallback = console_roles_default,
     .help = "which groups of the OpenID provider's groups claim give which console role: "
             "{\"administrator\": [...], \"helpdesk\": [...], \"readonly\": [...]}; "
             "docs/console.md"},
    {.name = "upload_max_size",
     .kind = SETTING_BYTES,
     .min = 1LL << 20,
     .max = 4LL << 30,
     .fallback = upload_max_size_default,
     .help = "the largest document a user may upload from the web (bytes, or text such as "
             "50MiB); the cloud's copy_max_size bounds it too"},
    {.name = "upload_daily_bytes",
     .kind = SETTING_BYTES,
     .min = 0,
     .max = 1LL << 40,
     .fallback = upload_daily_bytes_default,
     .help = "the bytes of job files a user may upload from the web per UTC day (0: no "
             "uploads)"},
};

const char *const cloud_setting_names[] = {
    "hold_time",     "expiry_warning",  "retention",          "region",
    "cloud_copy",    "copy_after",      "document_handling",  "release_codes",
    "console_roles", "upload_max_size", "upload_daily_bytes", NULL};

static const setting_def *def_of(const char *name) {
  for (size_t i = 0; i < sizeof defs / sizeof *defs; i++)
    if (strcmp(defs[i].name, name) == 0)
      return &defs[i];
  return NULL;
}

json_t *cloud_setting(cloud *c, const char *tenant, const char *name) {
  const setting_def *d = def_of(name);
  if (!d) {
    sr_log(SR_LOG_ERROR, "settings", "no setting named '%s' (a bug)", name);
    return NULL;
  }
  json_t *row = cloud_db_row(
      c->db, "SELECT value FROM tenant_settings WHERE tenant = ? AND name = ?", "tt", tenant, name);
  json_t *value = NULL;
  if (row)
    value = json_loads(cloud_row_text(row, "value"), JSON_DECODE_ANY, NULL);
  json_decref(row);
  /* set while the operator allowed shorter holds than now: the floor */
  if (value && d->floor && json_integer_value(value) < d->floor(c)) {
    json_decref(value);
    value = json_integer(d->floor(c));
  }
  return value ? value : d->fallback(c);
}

int64_t cloud_setting_seconds(cloud *c, const char *tenant, const char *name) {
  json_t *v = cloud_setting(c, tenant, name);
  int64_t s = v ? json_integer_value(v) : 0;
  json_decref(v);
  return s;
}

bool cloud_setting_text(cloud *c, const char *tenant, const char *name, char *out,
                        size_t out_size) {
  json_t *v = cloud_setting(c, tenant, name);
  const char *s = json_string_value(v);
  bool ok = s && snprintf(out, out_size, "%s", s) < (int)out_size;
  json_decref(v);
  return ok;
}

/* Lists the choices of `d` after `what` into why. */
static void say_choices(const setting_def *d, const char *what, char *why, size_t why_size) {
  size_t n = (size_t)snprintf(why, why_size, "'%s' is %s:", d->name, what);
  for (const char *const *ch = d->choices; *ch && n < why_size; ch++)
    n += (size_t)snprintf(why + n, why_size - n, " %s", *ch);
  for (const char *const *a = d->aliases; a && *a && n < why_size; a++)
    n += (size_t)snprintf(why + n, why_size - n, "%s%.*s", a == d->aliases ? "; or " : ", ",
                          (int)strcspn(*a, "="), *a);
}

static bool is_choice(const setting_def *d, const char *s) {
  for (const char *const *ch = d->choices; s && *ch; ch++)
    if (strcmp(*ch, s) == 0)
      return true;
  return false;
}

/* A SETTING_LIST value: the array given, or the text "a,b" (or an alias)
 * split at its commas; NULL unless every item is a choice, once. */
static json_t *list_value(const setting_def *d, json_t *given) {
  json_t *items = NULL;
  if (json_is_array(given)) {
    items = json_incref(given);
  } else if (json_is_string(given)) {
    const char *text = json_string_value(given);
    for (const char *const *a = d->aliases; a && *a; a++) {
      size_t n = strcspn(*a, "=");
      if (strlen(text) == n && strncmp(*a, text, n) == 0)
        text = *a + n + 1;
    }
    items = json_array();
    for (const char *p = text; *p;) {
      size_t n = strcspn(p, ",");
      json_array_append_new(items, json_stringn(p, n));
      p += n + (p[n] == ',');
    }
  }
  json_t *out = json_array();
  size_t i, j;
  json_t *item;
  json_array_foreach(items, i, item) {
    bool repeated = false;
    for (j = 0; j < i; j++)
      repeated = repeated || json_equal(json_array_get(items, j), item);
    if (repeated || !is_choice(d, json_string_value(item))) {
      json_decref(out);
      out = NULL;
      break;
    }
    json_array_append(out, item);
  }
  json_decref(items);
  if (out && json_array_size(out) == 0) {
    json_decref(out);
    out = NULL;
  }
  return out;
}

/* Text such as "50MiB" (KiB, MiB, GiB; a bare number is bytes) into
 * *bytes; false if it is not such text. */
static bool bytes_parse(const char *text, int64_t *bytes) {
  static const struct {
    const char *suffix;
    int shift;
  } units[] = {{"", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}};
  char *end;
  if (!text || !isdigit((unsigned char)*text))
    return false;
  long long n = strtoll(text, &end, 10);
  for (size_t i = 0; i < sizeof units / sizeof *units; i++)
    if (strcmp(end, units[i].suffix) == 0 && n <= (INT64_MAX >> units[i].shift)) {
      *bytes = (int64_t)n << units[i].shift;
      return true;
    }
  return false;
}

/* The checked, normalised value of `given` for `d` (new reference), or
 * NULL with the reason in `why`. */
static json_t *setting_value(cloud *c, const setting_def *d, json_t *given, char *why,
                             size_t why_size) {
  switch (d->kind) {
  case SETTING_DURATION: {
    int64_t min = d->floor ? d->floor(c) : d->min, s = -1;
    if (json_is_integer(given))
      s = json_integer_value(given);
    else if (!json_is_string(given) || !sr_duration_parse(json_string_value(given), &s))
      s = -1;
    if (s < min || s > d->max) {
      snprintf(
          why, why_size,
          "'%s' is a duration (seconds, or text such as 30m, 48h, 7d) from %lld to %lld seconds",
          d->name, (long long)min, (long long)d->max);
      return NULL;
    }
    return json_integer(s);
  }
  case SETTING_CHOICE: {
    const char *s = json_string_value(given);
    if (is_choice(d, s))
      return json_string(s);
    say_choices(d, "one of", why, why_size);
    return NULL;
  }
  case SETTING_CHECKED: {
    const char *s = json_string_value(given);
    if (s && d->valid(c, s, why, why_size))
      return json_string(s);
    if (!s)
      snprintf(why, why_size, "'%s' is text", d->name);
    return NULL;
  }
  case SETTING_BYTES: {
    int64_t b = -1;
    if (json_is_integer(given))
      b = json_integer_value(given);
    else if (!json_is_string(given) || !bytes_parse(json_string_value(given), &b))
      b = -1;
    if (b < d->min || b > d->max) {
      snprintf(why, why_size,
               "'%s' is a size (bytes, or text such as 50MiB) from %lld to %lld bytes", d->name,
               (long long)d->min, (long long)d->max);
      return NULL;
    }
    return json_integer(b);
  }
  case SETTING_LIST: {
    json_t *list = list_value(d, given);
    if (!list)
      say_choices(d, "a list (in order, each at most once, at least one) of", why, why_size);
    return list;
  }
  case SETTING_ROLES: {
    json_t *roles = roles_value(given);
    if (!roles)
      snprintf(why, why_size,
               "'%s' is {\"administrator\": [GROUP...], \"helpdesk\": [...], \"readonly\": "
               "[...]}, each up to %d group names of 1 to %d bytes",
               d->name, GROUPS_MAX, GROUP_MAX);
    return roles;
  }
  }
  return NULL;
}

static json_t *all_settings(cloud *c, const char *tenant) {
  json_t *out = json_object();
  for (size_t i = 0; i < sizeof defs / sizeof *defs; i++) {
    json_t *v = cloud_setting(c, tenant, defs[i].name);
    if (v)
      json_object_set_new(out, defs[i].name, v);
  }
  return out;
}

void cloud_admin_settings(cloud_call *k) {
  json_t *s = all_settings(k->c, k->tenant);
  if (cloud_db_failed(k->c->db)) {
    json_decref(s);
    cloud_api_db_error(k->resp, "reading the settings");
    return;
  }
  sr_http_reply_json(k->resp, 200, s);
}

/* PATCH: every given setting is checked before any is written, and all
 * are written in one transaction, so a request changes all or nothing. */
void cloud_admin_settings_set(cloud_call *k) {
  cloud *c = k->c;
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  json_t *checked = json_object();
  const char *name;
  json_t *given;
  json_object_foreach(body, name, given) {
    char why[256];
    const setting_def *d = def_of(name);
    json_t *v = d ? setting_value(c, d, given, why, sizeof why) : NULL;
    if (!v) {
      sr_http_reply_error(k->resp, 400, "invalid", "%s", d ? why : "no such setting");
      json_decref(checked);
      json_decref(body);
      return;
    }
    json_object_set_new(checked, name, v);
  }
  json_decref(body);
  /* the audit row says what each was and what it became */
  json_t *changes = json_object();
  json_object_foreach(checked, name, given) {
    json_t *was = cloud_setting(c, k->tenant, name);
    json_object_set_new(changes, name,
                        json_pack("{s:o, s:O}", "from", was ? was : json_null(), "to", given));
  }
  bool began = cloud_db_begin(c->db), ok = began;
  int64_t now = (int64_t)time(NULL);
  json_object_foreach(checked, name, given) {
    char *text = json_dumps(given, JSON_ENCODE_ANY | JSON_COMPACT);
    ok = ok && text &&
         cloud_db_run(c->db,
                      "INSERT INTO tenant_settings(tenant, name, value, updated_at) "
                      "VALUES(?, ?, ?, ?) ON CONFLICT(tenant, name) DO UPDATE SET "
                      "value = excluded.value, updated_at = excluded.updated_at",
                      "ttti", k->tenant, name, text, now) >= 0;
    free(text);
  }
  ok = ok && cloud_db_commit(c->db);
  if (!ok) {
    if (began)
      cloud_db_rollback(c->db);
    json_decref(checked);
    json_decref(changes);
    cloud_api_db_error(k->resp, "saving the settings");
    return;
  }
  if (json_object_size(changes)) /* an empty PATCH changed nothing */
    cloud_audit(c, k, "settings.update", NULL, json_pack("{s:o}", "changes", changes));
  else
    json_decref(changes);
  json_object_foreach(checked, name, given) {
    char *text = json_dumps(given, JSON_ENCODE_ANY | JSON_COMPACT);
    sr_log(SR_LOG_INFO, "settings", "tenant %s: %s set to %s", k->tenant, name, text ? text : "?");
    free(text);
  }
  json_decref(checked);
  cloud_admin_settings(k);
}
