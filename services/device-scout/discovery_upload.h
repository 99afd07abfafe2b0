/*
 * Sends a scan's result (the discovery result of docs/devices.md) to the
 * cloud: PUT /api/v1/site/discovery with the site's client certificate, on
 * the loop (the client's asynchronous calls), never blocking. A result too
 * large for one request (the cloud takes at most 200 devices and 64 KiB a
 * request) goes in parts, one after the other; the cloud marks devices
 * vanished only once the last part of a complete scan has arrived and every
 * part with it. The counts of the parts' answers are added up and logged.
 */
#ifndef DEVICE_SCOUT_DISCOVERY_UPLOAD_H
#define DEVICE_SCOUT_DISCOVERY_UPLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cloud_client.h"

/* What the cloud made of the scan: devices new to it, changed, vanished
 * (absent from this complete scan) and unchanged. */
typedef struct discovery_counts {
  int64_t new_, changed, vanished, unchanged;
} discovery_counts;

/* The end of an upload, on the loop: `ok` with the counts, or `err` saying
 * which part failed and why (the cloud's answer or the network's). */
typedef void (*discovery_upload_done)(void *ctx, bool ok, const discovery_counts *counts,
                                      const char *err);

/* Starts uploading `result` ({"scan":{...}, "devices":[...]}; a reference
 * is taken, so the caller may drop its own) with `cloud`, which must have
 * been given the loop (sr_cloud_client_use_loop). SR_OK: `done` (may be
 * NULL) runs once when it ends, also when the client is freed first (an
 * error then); `ctx` must live until then. Otherwise nothing was started
 * and `done` never runs: SR_ERR_INVALID when `result` has no scan object or
 * no devices list, SR_ERR_NOMEM, or why the first call could not start. */
int discovery_upload(sr_cloud_client *cloud, json_t *result, discovery_upload_done done, void *ctx);

#endif
