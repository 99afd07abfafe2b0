/*
 * The site service's side of web submissions (docs/storage.md, "Web
 * submissions"): the cloud asks it over MQTT ({"type":"check","job":ID} on
 * its command topic) to look inside an upload the cloud cannot open. It
 * fetches the job's cloud copy (ciphertext), opens it with the site key,
 * finds the document's real type by its first bytes (PDF, JPEG, PNG; the
 * browser's word is not taken), counts its pages (core/page_count.c) and
 * reports {pages, format, title}, or {refused: reason} ("print it to PDF
 * first" for other types, "damaged PDF", a file it cannot open), with
 * POST /api/v1/site/uploads/{id}/checked. Nothing of the document leaves
 * the site: the title and the counts only.
 */
#ifndef DEVICE_SCOUT_WEB_INTAKE_H
#define DEVICE_SCOUT_WEB_INTAKE_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>

#include "cloud_client.h"
#include "site_key.h"
#include "worker_pool.h"

#define WEB_INTAKE_AT_ONCE 8 /* checks in flight; more asks wait for the cloud's next */

typedef struct web_intake {
  sr_worker_pool *pool;              /* owned: checks block (downloads, qpdf) */
  sr_cloud_client *cloud;            /* borrowed */
  const sr_site_key *key;            /* borrowed */
  char busy[WEB_INTAKE_AT_ONCE][40]; /* jobs being checked ("" free): asked again, ignored */
} web_intake;

/* Starts `w` on `loop` with `cloud` and `key` (both borrowed, outliving
 * it). False if its threads cannot start. */
bool web_intake_start(web_intake *w, struct ev_loop *loop, sr_cloud_client *cloud,
                      const sr_site_key *key);

/* sr_release_link.other_command: a "check" command (others are logged
 * and ignored); `cmd` borrowed. On the loop. */
void web_intake_command(void *ctx, const char *type, json_t *cmd);

/* Waits for the checks in progress (they report) and frees. After the
 * loop; harmless if never started. */
void web_intake_stop(web_intake *w);

#endif
