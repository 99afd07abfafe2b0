/*
 * A scout's MQTT link for releases, as the print scout and the site service
 * both have it: connects to the broker with the scout's certificate,
 * subscribes to sr/v1/TENANT/scouts/ID/cmd and hands each command to the
 * releaser (release.h), publishes its retained presence ("online", or
 * "online serve-others" from a scout that prints for others) with the last
 * will "offline". The channel reconnects by itself (mqtt_channel.h).
 */
#ifndef SR_CORE_RELEASE_LINK_H
#define SR_CORE_RELEASE_LINK_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "release.h"
#include "service_config.h"

typedef struct sr_release_link {
  sr_mqtt *mqtt;
  scout_releaser releaser; /* its fields set by sr_release_link_start's caller */
  bool releaser_started;
  char cmd_topic[256], presence_topic[256];
  char scout_id[128];
  int keepalive;                /* seconds, set by sr_release_link_start */
  const char *presence;         /* "online" or "online serve-others" */
  bool told_stdout;             /* "broker connected" printed (the first connect) */
  void (*connected)(void *ctx); /* after each (re)connect; may be NULL */
  void *connected_ctx;
  /* Commands of a type the releaser does not take ("check": a web upload
   * for the site service to look at), parsed; `cmd` is borrowed. On the
   * loop. NULL: such commands are the releaser's (it logs them). */
  void (*other_command)(void *ctx, const char *type, json_t *cmd);
  void *other_ctx;
} sr_release_link;

/* Copies the hosts of a configuration's `printers` list (may be NULL) into
 * `out`, NULL-terminated, at most `max` - 1 of them (borrowed from the
 * configuration); returns how many. */
size_t sr_release_printers(const sr_config_node *list, const char **out, size_t max);

/* Starts `link` for scout `scout_id` of `tenant` with broker settings `m`
 * (file paths relative to `doc`; `fallback_tls` when m->tls names no
 * certificate, may be NULL): sets the releaser's MQTT client and
 * event topic, starts it, and connects without blocking (a broker that
 * comes later is retried). The caller sets link->releaser's loop, jobs,
 * storage, key, transports, driver, printers, busy_deadline (and cloud,
 * cache to print for others), link->presence and link->connected first. False and
 * why in `err` if it cannot start. */
bool sr_release_link_start(sr_release_link *link, const sr_config *doc, const char *tenant,
                           const char *scout_id, const sr_mqtt_config *m,
                           const sr_tls_config *fallback_tls, char *err, size_t err_size);

/* Stops the releaser (sr_release_link_start's doc), says "offline" itself
 * (a clean stop is not a crash), disconnects and frees. After the loop. */
void sr_release_link_stop(sr_release_link *link);

#endif
