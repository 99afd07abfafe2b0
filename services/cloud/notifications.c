/*
 * Notices to users: each is a row of `notifications` (what the web portal
 * of a later issue shows; `GET /api/v1/notifications` lists a tenant's for
 * its administrator), and a mail when the cloud has a relay (`smtp:` in its
 * configuration). Mail is sent on the worker pool, never on the loop; the
 * row says whether it went (`mailed`). A mail that fails is logged, not
 * retried: the row stays for the portal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"
#include "smtp_mail.h"

/* One mail, made on the loop; the worker alone touches it until
 * mail_done frees it. */
typedef struct outgoing_mail {
  cloud *c;
  sr_mail_relay relay; /* strings borrowed from the configuration, ca_file below */
  char ca_file[1024];
  char tenant[64], id[40], to[256];
  char subject[128], text[1024];
  char err[512];
  int status;
} outgoing_mail;

static void mail_work(void *arg) {
  outgoing_mail *m = arg;
  m->status = sr_mail_send(&m->relay, m->to, m->subject, m->text, m->err, sizeof m->err);
}

static void mail_done(void *arg) {
  outgoing_mail *m = arg;
  if (m->status != SR_OK)
    sr_log(SR_LOG_WARN, "notify", "tenant %s notice %s not mailed: %s", m->tenant, m->id, m->err);
  else if (cloud_db_run(m->c->db, "UPDATE notifications SET mailed = 1 WHERE tenant = ? AND id = ?",
                        "tt", m->tenant, m->id) >= 0)
    sr_log(SR_LOG_INFO, "notify", "tenant %s notice %s mailed", m->tenant, m->id);
  free(m);
}

void cloud_notification_mail(cloud *c, const char *tenant, const char *id, const char *to,
                             const char *title, int64_t expires_at) {
  const sr_smtp_config *relay = &c->cfg.u.cloud.smtp;
  static bool told;
  if (!relay->url) {
    if (!told) /* once: the notices are recorded all the same */
      sr_log(SR_LOG_INFO, "notify",
             "no mail relay configured (smtp: in the cloud's configuration): expiry warnings are "
             "recorded as notifications only, not mailed");
    told = true;
    return;
  }
  if (!*to) {
    sr_log(SR_LOG_WARN, "notify", "tenant %s notice %s: its user has no email address", tenant, id);
    return;
  }
  outgoing_mail *m = calloc(1, sizeof *m);
  if (!m)
    return;
  *m = (outgoing_mail){.c = c,
                       .relay = {.url = relay->url,
                                 .from = relay->from,
                                 .username = relay->username,
                                 .password = relay->password}};
  if (relay->ca_file) {
    sr_config_path(c->doc, relay->ca_file, m->ca_file, sizeof m->ca_file);
    m->relay.ca_file = m->ca_file;
  }
  char when[32];
  cloud_rfc3339(expires_at, when);
  snprintf(m->tenant, sizeof m->tenant, "%s", tenant);
  snprintf(m->id, sizeof m->id, "%s", id);
  snprintf(m->to, sizeof m->to, "%s", to);
  snprintf(m->subject, sizeof m->subject, "Your held print job expires at %s", when);
  snprintf(m->text, sizeof m->text,
           "Your print job \"%.200s\" is held for you until %s (UTC).\r\n\r\n"
           "Release it at a printer before then; after that it is deleted unprinted and you "
           "need to print it again.\r\n",
           title, when);
  if (sr_worker_pool_submit(c->pool, mail_work, mail_done, m) != SR_OK) {
    sr_log(SR_LOG_WARN, "notify", "tenant %s notice %s not mailed: the cloud's workers are busy",
           tenant, id);
    free(m);
  }
}

void cloud_admin_notifications(cloud_call *k) {
  json_t *rows = cloud_db_rows(k->c->db,
                               "SELECT n.id, n.kind, n.job, n.expires_at, n.created_at, n.mailed, "
                               "n.user_id, u.email FROM notifications n LEFT JOIN users u ON "
                               "u.tenant = n.tenant AND u.id = n.user_id WHERE n.tenant = ? ORDER "
                               "BY n.created_at DESC, n.id LIMIT 500",
                               "t", k->tenant);
  if (!rows) {
    cloud_api_db_error(k->resp, "listing the notifications");
    return;
  }
  json_t *list = json_array();
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char created[32], expires[32];
    cloud_rfc3339(cloud_row_int(row, "created_at"), created);
    cloud_rfc3339(cloud_row_int(row, "expires_at"), expires);
    json_t *user = json_pack("{s:s}", "id", cloud_row_text(row, "user_id"));
    if (*cloud_row_text(row, "email"))
      json_object_set_new(user, "email", json_string(cloud_row_text(row, "email")));
    json_array_append_new(
        list, json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:b}", "id", cloud_row_text(row, "id"),
                        "kind", cloud_row_text(row, "kind"), "job", cloud_row_text(row, "job"),
                        "user", user, "expires_at", expires, "created_at", created, "mailed",
                        cloud_row_int(row, "mailed") == 1));
  }
  json_decref(rows);
  sr_http_reply_json(k->resp, 200, json_pack("{s:o}", "notifications", list));
}
