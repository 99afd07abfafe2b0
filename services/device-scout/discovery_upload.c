#include "discovery_upload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sr/abi.h"

/* A part's bounds, under the cloud's: at most its 200 devices, and device
 * JSON of 48 KiB, which leaves the scan object and the framing room under
 * its 64 KiB body limit. */
#define PART_DEVICES 200
#define PART_BYTES (48 * 1024)

typedef struct upload {
  sr_cloud_client *cloud;
  json_t *result;
  size_t *first; /* first[p]: the index of part p's first device; first[parts]: the count */
  size_t parts, sent;
  discovery_counts counts;
  discovery_upload_done done;
  void *ctx;
} upload;

/* Splits the devices into parts; false if out of memory. */
static bool plan_parts(upload *u, json_t *devices) {
  size_t n = json_array_size(devices), bytes = 0, in_part = 0;
  u->first = malloc((n + 2) * sizeof *u->first); /* at most one part per device, and the end */
  if (!u->first)
    return false;
  u->first[0] = 0;
  u->parts = 1;
  for (size_t i = 0; i < n; i++) {
    size_t size = json_dumpb(json_array_get(devices, i), NULL, 0, JSON_COMPACT) + 1;
    if (in_part > 0 && (in_part == PART_DEVICES || bytes + size > PART_BYTES)) {
      u->first[u->parts++] = i;
      bytes = in_part = 0;
    }
    bytes += size;
    in_part++;
  }
  u->first[u->parts] = n;
  return true;
}

static void finish(upload *u, bool ok, const char *err) {
  const char *id = json_string_value(json_object_get(json_object_get(u->result, "scan"), "id"));
  if (ok)
    sr_log(SR_LOG_INFO, "discovery",
           "scan %s uploaded (%zu part%s): %lld new, %lld changed, %lld vanished, %lld unchanged",
           id ? id : "?", u->parts, u->parts == 1 ? "" : "s", (long long)u->counts.new_,
           (long long)u->counts.changed, (long long)u->counts.vanished,
           (long long)u->counts.unchanged);
  else
    sr_log(SR_LOG_WARN, "discovery", "scan %s not uploaded: %s", id ? id : "?", err);
  if (u->done)
    u->done(u->ctx, ok, &u->counts, err);
  json_decref(u->result);
  free(u->first);
  free(u);
}

static int send_part(upload *u);

static void add_count(int64_t *total, const json_t *reply, const char *key) {
  *total += json_integer_value(json_object_get(reply, key));
}

static void answered(void *ctx, int status, json_t *reply, const char *err) {
  upload *u = ctx;
  char why[512];
  int started;
  if (status == 200) {
    add_count(&u->counts.new_, reply, "new");
    add_count(&u->counts.changed, reply, "changed");
    add_count(&u->counts.vanished, reply, "vanished");
    add_count(&u->counts.unchanged, reply, "unchanged");
  } else if (status == 0) {
    snprintf(why, sizeof why, "part %zu of %zu: %s (check cloud_url and the network)", u->sent,
             u->parts, err);
  } else {
    snprintf(why, sizeof why, "part %zu of %zu: the cloud answered %d: %s", u->sent, u->parts,
             status, sr_cloud_error_message(reply, "no reason given"));
  }
  json_decref(reply);
  if (status != 200)
    finish(u, false, why);
  else if (u->sent == u->parts)
    finish(u, true, NULL);
  else if ((started = send_part(u)) != SR_OK) {
    snprintf(why, sizeof why, "part %zu of %zu: the call could not start: %s", u->sent, u->parts,
             sr_status_name(started));
    finish(u, false, why);
  }
}

/* Starts sending the next part: the scan with its place among the parts,
 * and its slice of the devices. SR_OK, or why the call could not start. */
static int send_part(upload *u) {
  json_t *devices = json_object_get(u->result, "devices");
  json_t *scan = json_deep_copy(json_object_get(u->result, "scan"));
  json_t *slice = json_array();
  for (size_t i = u->first[u->sent]; i < u->first[u->sent + 1]; i++)
    json_array_append(slice, json_array_get(devices, i));
  if (u->parts > 1) {
    json_object_set_new(scan, "part", json_integer((json_int_t)u->sent + 1));
    json_object_set_new(scan, "parts", json_integer((json_int_t)u->parts));
    json_object_set_new(scan, "device_count", json_integer((json_int_t)json_array_size(devices)));
  }
  json_t *body = json_pack("{s:o, s:o}", "scan", scan, "devices", slice);
  u->sent++;
  int status =
      body ? sr_cloud_call_async(u->cloud, "PUT", "/api/v1/site/discovery", body, NULL, answered, u)
           : SR_ERR_NOMEM;
  json_decref(body);
  return status;
}

int discovery_upload(sr_cloud_client *cloud, json_t *result, discovery_upload_done done,
                     void *ctx) {
  json_t *devices = json_object_get(result, "devices");
  if (!json_is_object(json_object_get(result, "scan")) || !json_is_array(devices))
    return SR_ERR_INVALID;
  upload *u = calloc(1, sizeof *u);
  if (!u || !plan_parts(u, devices)) {
    free(u);
    return SR_ERR_NOMEM;
  }
  u->cloud = cloud;
  u->result = json_incref(result);
  u->done = done;
  u->ctx = ctx;
  int status = send_part(u);
  if (status != SR_OK) { /* nothing started: no callback */
    json_decref(u->result);
    free(u->first);
    free(u);
  }
  return status;
}
