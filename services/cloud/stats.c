/* The console's overview: what the tenant's jobs did per day, and what
 * needs attention now. Counted from the jobs and releases tables as they
 * are: jobs past their retention are gone, so the days before it show
 * nothing (retention defaults to far longer than the window asked for). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"

#define DAYS_DEFAULT 30
#define DAYS_MAX 366

/* Adds the rows of `sql` (columns day: Unix day number, n, pages) to
 * list[day - first][count] (and [pages] when pages is not NULL); false if
 * the query failed. */
static bool add_counts(cloud_call *k, json_t *list, int64_t first, const char *sql,
                       const char *count, const char *pages) {
  json_t *rows = cloud_db_rows(k->c->db, sql, "ti", k->tenant, first * 86400);
  if (!rows)
    return false;
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    json_t *day = json_array_get(list, (size_t)(cloud_row_int(row, "day") - first));
    if (!day) /* a time after today: the clocks disagree */
      continue;
    json_object_set_new(day, count, json_integer(cloud_row_int(row, "n")));
    if (pages)
      json_object_set_new(day, pages, json_integer(cloud_row_int(row, "pages")));
  }
  json_decref(rows);
  return true;
}

void cloud_admin_stats(cloud_call *k) {
  char text[8];
  int64_t days = DAYS_DEFAULT;
  if (!cloud_query_known(k, (const char *const[]){"days", NULL}))
    return;
  if (cloud_query_param(k->req->query, "days", text, sizeof text)) {
    char *end;
    days = strtoll(text, &end, 10);
    if (!*text || *end || days < 1 || days > DAYS_MAX) {
      sr_http_reply_error(k->resp, 400, "invalid", "'days' is 1 to %d", DAYS_MAX);
      return;
    }
  }
  /* days are UTC days; the window ends with today */
  int64_t now = time(NULL), first = now / 86400 - (days - 1);
  json_t *list = json_array();
  for (int64_t d = first; d <= now / 86400; d++) {
    char day[32];
    cloud_rfc3339(d * 86400, day);
    day[10] = '\0';
    json_t *row = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "day", day, "held", 0, "printed",
                            0, "failed", 0, "expired", 0, "pages_printed", 0, "pages_saved", 0);
    json_array_append_new(list, row);
  }
  /* held: jobs that reached the cloud that day; printed and expired: jobs
   * that ended so that day (pages x copies: the sheets' faces); failed:
   * releases that failed that day (their job is held again) */
  /* grouped by whole days of Unix time: integer arithmetic, no date
   * functions per row (100,000 jobs stay well under a second) */
#define DAY(col) col " / 86400 AS day"
  bool ok =
      add_counts(k, list, first,
                 "SELECT " DAY("submitted_at") ", count(*) AS n FROM jobs WHERE tenant = ? AND "
                                               "submitted_at >= ? GROUP BY day",
                 "held", NULL) &&
      add_counts(k, list, first,
                 "SELECT " DAY("updated_at") ", count(*) AS n, COALESCE(sum(COALESCE(pages, 0) * "
                                             "copies), 0) AS pages FROM jobs WHERE tenant = ? AND "
                                             "state = 'printed' AND "
                                             "updated_at >= ? GROUP BY day",
                 "printed", "pages_printed") &&
      add_counts(k, list, first,
                 "SELECT " DAY("updated_at") ", count(*) AS n, COALESCE(sum(COALESCE(pages, 0) * "
                                             "copies), 0) AS pages FROM jobs WHERE tenant = ? AND "
                                             "state = 'expired' AND "
                                             "updated_at >= ? GROUP BY day",
                 "expired", "pages_saved") &&
      add_counts(k, list, first,
                 "SELECT " DAY("updated_at") ", count(*) AS n FROM releases WHERE tenant = ? AND "
                                             "state = 'failed' AND updated_at >= ? GROUP BY day",
                 "failed", NULL);
#undef DAY
  /* now: the same online rule as GET /scouts (cloud_admin_scouts) */
  int64_t window = k->c->cfg.u.cloud.site_heartbeat * 5 / 2;
  json_t *scouts =
      ok ? cloud_db_row(k->c->db,
                        "SELECT count(*) AS total, COALESCE(sum(CASE WHEN online = 1 OR "
                        "COALESCE(last_seen >= ? AND (seen_at IS NULL OR last_seen > "
                        "seen_at), FALSE) THEN 1 ELSE 0 END), 0) AS online FROM "
                        "scouts WHERE tenant = ?",
                        "it", now - window, k->tenant)
         : NULL;
  json_t *printers = scouts ? cloud_db_row(k->c->db,
                                           "SELECT count(*) AS total, COALESCE(sum(CASE WHEN "
                                           "json_extract(s.value, '$.state') IN ('error', "
                                           "'offline') THEN 1 ELSE 0 END), 0) AS in_error FROM "
                                           "devices d LEFT JOIN device_state s ON "
                                           "s.tenant = d.tenant AND s.device = d.id AND s.section "
                                           "= 'status' WHERE d.tenant = ?",
                                           "t", k->tenant)
                            : NULL;
  json_t *held = printers ? cloud_db_row(k->c->db,
                                         "SELECT count(*) AS n FROM jobs WHERE tenant = ? AND "
                                         "state = 'held'",
                                         "t", k->tenant)
                          : NULL;
  if (!held) {
    json_decref(list);
    cloud_api_db_error(k->resp, "counting the jobs");
  } else {
    json_t *current =
        json_pack("{s:I, s:I, s:I, s:I, s:I}", "held", (json_int_t)cloud_row_int(held, "n"),
                  "scouts_online", (json_int_t)cloud_row_int(scouts, "online"), "scouts_total",
                  (json_int_t)cloud_row_int(scouts, "total"), "printers_in_error",
                  (json_int_t)cloud_row_int(printers, "in_error"), "printers_total",
                  (json_int_t)cloud_row_int(printers, "total"));
    sr_http_reply_json(
        k->resp, 200,
        json_pack("{s:I, s:o, s:o}", "days", (json_int_t)days, "per_day", list, "now", current));
  }
  json_decref(scouts);
  json_decref(printers);
  json_decref(held);
}
