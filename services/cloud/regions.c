/*
 * Storage regions: which of the cloud's storage instances a job's copy goes
 * to, and what the cloud keeps about the job for reporting.
 *
 * The region table is the cloud's own (cfg.u.cloud.regions, checked by
 * core/service_config.c), not a storage plugin: choosing a region needs
 * the tenant's, site's and user's assignments, which only the cloud's
 * database has, and privacy is a rule about the cloud's metadata, which no
 * storage plugin ever sees (docs/storage.md, "Regions and privacy").
 *
 * Resolution, first that applies: the user's region, the site's, the
 * tenant's `region` setting, the first declared. An assignment naming a
 * region the configuration no longer declares is skipped (and logged), so
 * removing a region never strands a job.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

const sr_region_config *cloud_region_named(const cloud *c, const char *name) {
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  for (size_t i = 0; name && i < cc->n_regions; i++)
    if (strcmp(cc->regions[i].name, name) == 0)
      return &cc->regions[i];
  return NULL;
}

bool cloud_region_valid(const cloud *c, const char *name, char *why, size_t why_size) {
  if (cloud_region_named(c, name))
    return true;
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  size_t n = (size_t)snprintf(why, why_size, "'region' is one of the cloud's regions:");
  for (size_t i = 0; i < cc->n_regions && n < why_size; i++)
    n += (size_t)snprintf(why + n, why_size - n, " %s", cc->regions[i].name);
  if (cc->n_regions == 0 && n < why_size)
    snprintf(why + n, why_size - n, " (none: it has no storage)");
  return false;
}

/* The declared region `name` names (NULL or "" : none); a stale one is
 * logged and skipped. `whose` says where the name came from. */
static const sr_region_config *assigned(const cloud *c, const char *tenant, const char *name,
                                        const char *whose) {
  if (!name || !*name)
    return NULL;
  const sr_region_config *r = cloud_region_named(c, name);
  if (!r)
    sr_log(SR_LOG_WARN, "regions",
           "tenant %s: %s is assigned region '%s', which regions: no longer declares; using the "
           "next assignment",
           tenant, whose, name);
  return r;
}

/* Text column `column` of the row `sql` finds (binding tenant, id), into
 * out ("" if none). False if the database failed. */
static bool read_text(cloud *c, const char *sql, const char *tenant, const char *id,
                      const char *column, char *out, size_t out_size) {
  out[0] = '\0';
  if (!id || !*id)
    return true;
  json_t *row = cloud_db_row(c->db, sql, "tt", tenant, id);
  if (!row)
    return !cloud_db_failed(c->db);
  snprintf(out, out_size, "%s", cloud_row_text(row, column));
  json_decref(row);
  return true;
}

const sr_region_config *cloud_region_resolve(cloud *c, const char *tenant, const char *user_id,
                                             const char *site_id, const char **source) {
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  const char *why = "none";
  const sr_region_config *r = NULL;
  char name[64];
  if (cc->n_regions == 0)
    goto done;
  if (!read_text(c, "SELECT region FROM users WHERE tenant = ? AND id = ?", tenant, user_id,
                 "region", name, sizeof name))
    return NULL;
  if ((r = assigned(c, tenant, name, "a user"))) {
    why = "user";
    goto done;
  }
  if (!read_text(c, "SELECT region FROM scouts WHERE tenant = ? AND id = ? AND kind = 'site'",
                 tenant, site_id, "region", name, sizeof name))
    return NULL;
  if ((r = assigned(c, tenant, name, "a site"))) {
    why = "site";
    goto done;
  }
  json_t *setting = cloud_setting(c, tenant, "region");
  if (cloud_db_failed(c->db)) {
    json_decref(setting);
    return NULL;
  }
  r = assigned(c, tenant, json_string_value(setting), "the tenant");
  json_decref(setting);
  if (r) {
    why = "tenant";
    goto done;
  }
  r = &cc->regions[0];
  why = "first";
done:
  if (source)
    *source = why;
  return r;
}

bool cloud_region_privacy(const cloud *c, const char *region, sr_title_privacy *title,
                          sr_user_privacy *user) {
  const sr_region_config *r = cloud_region_named(c, region);
  *title = r ? (sr_title_privacy)r->title : SR_TITLE_KEEP;
  *user = r ? (sr_user_privacy)r->user : SR_USER_KEEP;
  return r != NULL;
}

/* HMAC-SHA256 under the tenant's privacy key, itself HMAC-SHA256 of the
 * tenant id under the cloud's privacy key (secrets.c derives that from the
 * master key): one tenant's hashes say nothing about another's. `kind`
 * separates titles from user ids. Lower-case hex into out. */
static bool keyed_hash(const cloud *c, const char *tenant, const char *kind, const char *value,
                       char out[65]) {
  if (!c->has_privacy_key)
    return false;
  uint8_t tenant_key[32], mac[32];
  unsigned int len = 0;
  bool ok = HMAC(EVP_sha256(), c->privacy_key, sizeof c->privacy_key, (const unsigned char *)tenant,
                 strlen(tenant), tenant_key, &len) != NULL;
  /* kind and value are joined with a NUL, which neither contains */
  size_t kind_len = strlen(kind) + 1, value_len = strlen(value);
  unsigned char buf[512];
  ok = ok && kind_len + value_len <= sizeof buf;
  if (ok) {
    memcpy(buf, kind, kind_len);
    memcpy(buf + kind_len, value, value_len);
    ok = HMAC(EVP_sha256(), tenant_key, sizeof tenant_key, buf, kind_len + value_len, mac, &len) !=
         NULL;
  }
  OPENSSL_cleanse(tenant_key, sizeof tenant_key);
  for (size_t i = 0; ok && i < sizeof mac; i++)
    snprintf(out + 2 * i, 3, "%02x", mac[i]);
  return ok;
}

bool cloud_region_title(const cloud *c, const char *tenant, const char *region, const char *title,
                        char *out, size_t out_size, bool *kept) {
  sr_title_privacy tp;
  sr_user_privacy up;
  cloud_region_privacy(c, region, &tp, &up);
  *kept = tp == SR_TITLE_KEEP;
  if (tp == SR_TITLE_KEEP)
    return snprintf(out, out_size, "%s", title) < (int)out_size;
  if (tp == SR_TITLE_DROP)
    return snprintf(out, out_size, "%s", "") < (int)out_size;
  char hex[65];
  return keyed_hash(c, tenant, "title", title, hex) &&
         snprintf(out, out_size, "hmac-sha256:%s", hex) < (int)out_size;
}

bool cloud_user_pseudonym(const cloud *c, const char *tenant, const char *user_id,
                          char out[CLOUD_PSEUDONYM_SIZE]) {
  char hex[65];
  if (!keyed_hash(c, tenant, "user", user_id, hex))
    return false;
  snprintf(out, CLOUD_PSEUDONYM_SIZE, "p-%.24s", hex);
  return true;
}

const char *cloud_job_title_shown(const json_t *job) {
  json_t *kept = json_object_get(job, "title_kept");
  return json_is_integer(kept) && json_integer_value(kept) == 0 ? "(title not kept)"
                                                                : cloud_row_text(job, "title");
}

/* Pseudonyms for reporting rows. While a job is held its owner must stay
 * its user's id (the panel lists a user's jobs by it); once it has ended
 * (printed, deleted, expired) the owner, and the users of its releases,
 * become pseudonyms. Jobs to do are marked at announcement (pseudonymise,
 * with a partial index), so each sweep is one indexed query. */
#define PSEUDONYMS_PER_SWEEP 200

static const char *pseudonym_of(const cloud *c, const char *tenant, const char *id,
                                char out[CLOUD_PSEUDONYM_SIZE]) {
  if (!id || !*id || strncmp(id, "p-", 2) == 0)
    return id && *id ? id : NULL;
  return cloud_user_pseudonym(c, tenant, id, out) ? out : NULL;
}

/* One ended job's owner and its releases' users, in one transaction. */
static bool pseudonymise_job(cloud *c, const char *tenant, const char *job, const char *owner) {
  char p_owner[CLOUD_PSEUDONYM_SIZE];
  if (!pseudonym_of(c, tenant, owner, p_owner))
    return false;
  json_t *releases = cloud_db_rows(
      c->db, "SELECT id, user_id, on_behalf_of FROM releases WHERE tenant = ? AND job = ?", "tt",
      tenant, job);
  bool ok = releases && cloud_db_begin(c->db);
  size_t i;
  json_t *r;
  json_array_foreach(releases, i, r) {
    char p_user[CLOUD_PSEUDONYM_SIZE], p_behalf[CLOUD_PSEUDONYM_SIZE];
    const char *behalf = json_string_value(json_object_get(r, "on_behalf_of"));
    ok = ok &&
         cloud_db_run(
             c->db, "UPDATE releases SET user_id = ?, on_behalf_of = ? WHERE tenant = ? AND id = ?",
             "tttt", pseudonym_of(c, tenant, cloud_row_text(r, "user_id"), p_user),
             behalf ? pseudonym_of(c, tenant, behalf, p_behalf) : NULL, tenant,
             cloud_row_text(r, "id")) == 1;
  }
  /* the notices sent about it (expiry warnings) name the user too */
  ok =
      ok && cloud_db_run(c->db, "UPDATE notifications SET user_id = ? WHERE tenant = ? AND job = ?",
                         "ttt", p_owner, tenant, job) >= 0;
  ok = ok && cloud_db_run(c->db,
                          "UPDATE jobs SET owner = ?, pseudonymise = 0 WHERE tenant = ? AND id = ?",
                          "ttt", p_owner, tenant, job) == 1;
  ok = ok && cloud_db_commit(c->db);
  if (!ok && releases)
    cloud_db_rollback(c->db);
  json_decref(releases);
  return ok;
}

void cloud_regions_sweep(cloud *c) {
  json_t *rows = cloud_db_rows(c->db,
                               "SELECT tenant, id, owner FROM jobs WHERE pseudonymise = 1 AND "
                               "state IN ('printed', 'deleted', 'expired') LIMIT ?",
                               "i", (int64_t)PSEUDONYMS_PER_SWEEP);
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    if (!pseudonymise_job(c, cloud_row_text(row, "tenant"), cloud_row_text(row, "id"),
                          cloud_row_text(row, "owner"))) {
      sr_log(SR_LOG_ERROR, "regions",
             "tenant %s: job %s: its owner could not be pseudonymised "
             "(no master key, or the database failed); tried again",
             cloud_row_text(row, "tenant"), cloud_row_text(row, "id"));
      break;
    }
  }
  json_decref(rows);
}

void cloud_job_report_owner(const cloud *c, const char *tenant, json_t *row) {
  const sr_region_config *r = cloud_region_named(c, cloud_row_text(row, "region"));
  const char *id = cloud_row_text(row, "owner_id"), *email = cloud_row_text(row, "owner_email");
  char p[CLOUD_PSEUDONYM_SIZE];
  const char *shown = r && r->user == SR_USER_PSEUDONYM ? pseudonym_of(c, tenant, id, p)
                      : *email                          ? email
                                                        : id;
  json_object_set_new(row, "owner", shown ? json_string(shown) : json_null());
  json_object_del(row, "owner_id");
  json_object_del(row, "owner_email");
  json_object_set_new(row, "title_kept", json_boolean(cloud_row_int(row, "title_kept") != 0));
}
