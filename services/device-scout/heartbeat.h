/*
 * The site service's heartbeat: it has no MQTT presence, so it calls the
 * cloud (POST /api/v1/site/heartbeat, with its client certificate) every
 * interval the cloud names in its answer (30 s until the first answer).
 * The cloud lists the site online while the calls keep coming. Each call
 * also carries the site's release page URL (public_url.h), which the
 * cloud gives devices' labels, and the public half of the site's
 * submission key (submit_key.h), which the cloud gives browsers that seal
 * uploads for this site. The calls run on the loop (curl's multi interface): nothing here
 * blocks.
 */
#ifndef DEVICE_SCOUT_HEARTBEAT_H
#define DEVICE_SCOUT_HEARTBEAT_H

#include <ev.h>
#include <stdbool.h>

#include "cloud_client.h"

typedef struct heartbeat {
  struct ev_loop *loop;
  sr_cloud_client *cloud; /* borrowed; must outlive heartbeat_stop */
  ev_timer timer;
  double interval; /* seconds until the next call */
  bool stopped;    /* no more calls, not even after one in flight */
  bool failing;    /* the last call failed (logged once, until one succeeds) */
  json_t *body;    /* {"public_url": URL or null, "submission_key": {spki, fingerprint}},
                     sent with each call; owned */
} heartbeat;

/* Sends the first heartbeat now and the next ones on `loop`. `hb` is the
 * caller's (it must stay put until the client is freed); `cloud` must have
 * been given the loop (sr_cloud_client_use_loop). `public_url` (copied;
 * "" for none) is the site's release page; `spki` and `fingerprint`
 * (copied) its public submission key. */
void heartbeat_start(heartbeat *hb, struct ev_loop *loop, sr_cloud_client *cloud,
                     const char *public_url, const char *spki, const char *fingerprint);

/* Stops the heartbeats (a call in flight ends without another) and frees
 * what they kept. Call before freeing the cloud client. */
void heartbeat_stop(heartbeat *hb);

#endif
