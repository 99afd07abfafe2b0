/*
 * The user portal's calls (/api/v1/me/..., caller CLOUD_USER): a signed-in
 * user's own jobs, delegations, and the printers to release at. The router
 * sets k->tenant and k->user from the session; every query here is bound
 * to both (me_store.c), so another user's object is "not found", never
 * "forbidden": the portal does not tell what exists.
 *
 * There is no release call: releasing needs the user at the printer
 * (issue 13's presence check and rotating codes), so the portal links to
 * each printer's release page instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "db.h"

#define PAGE_DEFAULT 50

/* limit and cursor from the query string, strictly: any other parameter,
 * a repeated one or an out-of-range limit is a 400 (answered, false). The
 * cursor's characters need no %-decoding (me_store.c refuses any other). */
static bool page_params(const char *query, int64_t *limit, char cursor[160],
                        sr_http_response *resp) {
  bool has_limit = false, has_cursor = false;
  *limit = PAGE_DEFAULT;
  cursor[0] = '\0';
  for (const char *p = query; p && *p;) {
    size_t len = strcspn(p, "&");
    if (len > 6 && !strncmp(p, "limit=", 6) && !has_limit) {
      char text[8] = "", *end;
      has_limit = true;
      if (len - 6 < sizeof text)
        memcpy(text, p + 6, len - 6);
      long v = strtol(text, &end, 10);
      if (!text[0] || *end || v < 1 || v > CLOUD_ME_PAGE_MAX) {
        sr_http_reply_error(resp, 400, "invalid", "'limit' is 1 to %d", CLOUD_ME_PAGE_MAX);
        return false;
      }
      *limit = v;
    } else if (len > 7 && !strncmp(p, "cursor=", 7) && !has_cursor && len - 7 < 160) {
      has_cursor = true;
      memcpy(cursor, p + 7, len - 7);
      cursor[len - 7] = '\0';
    } else if (len > 0) {
      sr_http_reply_error(resp, 400, "invalid", "bad query parameter '%.*s' (limit, cursor)",
                          (int)(len > 64 ? 64 : len), p);
      return false;
    }
    p += len + (p[len] == '&');
  }
  return true;
}

void cloud_me_jobs(cloud_call *k) {
  int64_t limit;
  char cursor[160], next[160];
  bool bad_cursor;
  if (!page_params(k->req->query, &limit, cursor, k->resp))
    return;
  json_t *rows = cloud_me_jobs_page(k->c->db, k->tenant, k->user, limit, cursor, next, &bad_cursor);
  if (!rows) {
    if (bad_cursor)
      sr_http_reply_error(k->resp, 400, "invalid", "'cursor' is not one this API gave");
    else
      cloud_api_db_error(k->resp, "listing your jobs");
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    char when[32];
    json_object_set_new(row, "title", json_string(cloud_job_title_shown(row)));
    json_object_del(row, "title_kept");
    cloud_rfc3339(cloud_row_int(row, "submitted_at"), when);
    json_object_set_new(row, "submitted_at", json_string(when));
    if (json_is_integer(json_object_get(row, "expires_at"))) {
      cloud_rfc3339(cloud_row_int(row, "expires_at"), when);
      json_object_set_new(row, "expires_at", json_string(when));
    }
  }
  json_t *o = json_pack("{s:o}", "jobs", rows);
  json_object_set_new(o, "next", next[0] ? json_string(next) : json_null());
  sr_http_reply_json(k->resp, 200, o);
}

void cloud_me_job_remove(cloud_call *k) {
  json_t *job = cloud_me_job(k->c->db, k->tenant, k->user, k->id);
  if (!job && cloud_db_failed(k->c->db))
    cloud_api_db_error(k->resp, "looking up the job");
  else if (!job)
    sr_http_reply_error(k->resp, 404, "not_found", "no such job of yours");
  else if (strcmp(cloud_row_text(job, "state"), "held") != 0)
    sr_http_reply_error(k->resp, 409, "not_held", "the job is %s and cannot be deleted now",
                        cloud_row_text(job, "state"));
  else if (!cloud_job_delete(k->c, k->tenant, k->id, "deleted"))
    sr_http_reply_error(k->resp, 409, "not_held", "the job is being released");
  else {
    cloud_audit(k->c, k, "job.delete", k->id, NULL);
    k->resp->status = 204;
  }
  json_decref(job);
}

void cloud_me_delegations(cloud_call *k) {
  cloud_delegation_list(k->c, k->tenant, k->user, k->resp);
}

void cloud_me_delegation_add(cloud_call *k) {
  json_t *body = cloud_api_body(k->req, k->resp, k->fields);
  if (!body)
    return;
  /* the owner is the caller, whatever the body says (it cannot say: the
   * route accepts delegate and until only) */
  cloud_delegation_add(k->c, k->tenant, k->user, body, k->resp);
  if (k->resp->status == 201)
    cloud_audit(k->c, k, "delegation.add", k->user,
                json_pack("{s:O}", "delegate", json_object_get(body, "delegate")));
  json_decref(body);
}

void cloud_me_delegation_remove(cloud_call *k) {
  cloud_delegation_remove(k->c, k->tenant, k->user, k->id, k->resp);
  if (k->resp->status == 204)
    cloud_audit(k->c, k, "delegation.remove", k->id, NULL);
}

void cloud_me_printers(cloud_call *k) {
  json_t *rows = cloud_me_printer_rows(k->c->db, k->tenant);
  if (!rows)
    cloud_api_db_error(k->resp, "listing the printers");
  else
    sr_http_reply_json(k->resp, 200, json_pack("{s:o}", "printers", rows));
}
