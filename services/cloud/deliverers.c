/*
 * Who may print a released job (the tenant's document_handling setting,
 * docs/storage.md): the workstation whose scout holds the job (origin),
 * the site service of the panel where it is released (site), or another
 * workstation of the tenant whose scout serves others (crowdsource). This
 * file only says which scout of a kind could take a release now; moving a
 * release from one to the next is releases.c's.
 *
 * Online means the scout's MQTT presence: commands travel over MQTT, so a
 * site service known only from its HTTPS heartbeat cannot take one. Site
 * and crowdsource print from the job's cloud copy (ciphertext under the
 * site key, which they hold); without one they cannot help.
 */
#include <stdio.h>
#include <string.h>

#include "cloud.h"
#include "db.h"

const char *cloud_deliverer_title(const char *kind) {
  if (strcmp(kind, "site") == 0)
    return "the site service";
  if (strcmp(kind, "crowdsource") == 0)
    return "a workstation that serves others";
  return "the workstation holding this job";
}

static bool has_copy(json_t *job) {
  const char *key = cloud_row_text(job, "copy_key");
  return key && *key;
}

bool cloud_deliverer_pick(cloud *c, const char *tenant, const char *kind, json_t *job,
                          const char *site, char scout[64], char *why, size_t why_size) {
  json_t *row = NULL;
  bool ok = false;
  if (strcmp(kind, "origin") == 0) {
    row = cloud_db_row(c->db, "SELECT id, name, online FROM scouts WHERE tenant = ? AND id = ?",
                       "tt", tenant, cloud_row_text(job, "scout"));
    if (!row)
      snprintf(why, why_size,
               "the workstation holding this job was removed from the tenant; it cannot be "
               "printed (print it again from a workstation that is enrolled)");
    else if (cloud_row_int(row, "online") != 1)
      snprintf(why, why_size,
               "the workstation holding this job (scout %s) is offline; release it again once "
               "that computer is on",
               cloud_row_text(row, "name"));
    else
      ok = true;
  } else if (!has_copy(job)) {
    snprintf(why, why_size, "%s cannot print it either: the job has no cloud copy",
             cloud_deliverer_title(kind));
  } else if (strcmp(kind, "site") == 0) {
    row = site ? cloud_db_row(c->db,
                              "SELECT id, online FROM scouts WHERE tenant = ? AND id = ? AND "
                              "kind = 'site'",
                              "tt", tenant, site)
               : NULL;
    if (!site)
      snprintf(why, why_size, "no site service took part in this release");
    else if (!row || cloud_row_int(row, "online") != 1)
      snprintf(why, why_size,
               "the site service cannot print it either: it is not connected to the message "
               "broker (give it a cache and mqtt settings)");
    else
      ok = true;
  } else if (strcmp(kind, "crowdsource") == 0) {
    /* any of them: each checks that the printer is one of its site's
     * (one of another site answers that it is not, and the release fails) */
    row = cloud_db_row(c->db,
                       "SELECT id FROM scouts WHERE tenant = ? AND kind = 'print' AND online = 1 "
                       "AND serves_others = 1 AND serve_others_allowed = 1 AND id != ? ORDER BY "
                       "random() LIMIT 1",
                       "tt", tenant, cloud_row_text(job, "scout"));
    if (!row)
      snprintf(why, why_size,
               "no workstation that serves others is online (the administrator allows one with "
               "`srctl scout set ID --serve-others yes`)");
    else
      ok = true;
  } else {
    snprintf(why, why_size, "unknown deliverer '%.32s' in document_handling", kind);
  }
  if (ok)
    snprintf(scout, 64, "%s", cloud_row_text(row, "id"));
  json_decref(row);
  return ok;
}
