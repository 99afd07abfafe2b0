/*
 * The cloud's side of the MQTT channel: scouts' events arrive through a
 * shared subscription (each event goes to one of the cloud instances),
 * presence through a plain one (every instance keeps the database current;
 * the updates are idempotent). Topics are untrusted input: the tenant and
 * scout in a topic must match the scout's row in the database.
 *
 * Instances watch each other: each has a last will on
 * sr/v1/cloud/instances/<its id> ("offline", said by the broker when it
 * dies) and says "stopped" there when it stops. Events the broker had
 * handed to that instance are lost with it, so the others ask the scouts
 * again about every release under way (cloud_release_resume), which answer
 * where each release is; none prints twice (docs/scaling.md).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "log.h"

/* Where the instances say they left (not a tenant's tree: those are
 * sr/v1/TENANT/scouts/...) */
#define INSTANCES_PREFIX "sr/v1/cloud/instances/"

#define EVENTS_TOPIC "$share/sr-cloud/sr/v1/+/scouts/+/evt"
#define INSTANCES_TOPIC "sr/v1/cloud/instances/+"
#define PRESENCE_TOPIC "sr/v1/+/scouts/+/presence"

/* Splits "sr/v1/TENANT/scouts/SCOUT/LEAF"; false if it is not that shape. */
static bool split_topic(const char *topic, char tenant[64], char scout[64], char leaf[16]) {
  char t[64], s[64], l[16];
  int end = 0;
  if (sscanf(topic, "sr/v1/%63[^/]/scouts/%63[^/]/%15[^/]%n", t, s, l, &end) != 3 ||
      topic[end] != '\0')
    return false;
  memcpy(tenant, t, 64), memcpy(scout, s, 64), memcpy(leaf, l, 16);
  return true;
}

/* Another instance died ("offline", its will) or stopped: the events the
 * broker had given it are lost, so the scouts are asked again. */
static void instance_left(cloud *c, const char *topic, const void *payload, size_t len) {
  const char *id = topic + strlen(INSTANCES_PREFIX);
  bool died = len == 7 && memcmp(payload, "offline", 7) == 0;
  if (strcmp(id, c->instance_id) == 0 || !(died || (len == 7 && !memcmp(payload, "stopped", 7))))
    return;
  sr_log(SR_LOG_WARN, "broker",
         "cloud instance %s %s: asking the scouts again about the releases under way", id,
         died ? "died" : "stopped");
  cloud_release_resume(c);
}

static void on_message(void *ctx, const char *topic, const void *payload, size_t len) {
  cloud *c = ctx;
  char tenant[64], scout[64], leaf[16];
  if (strncmp(topic, INSTANCES_PREFIX, strlen(INSTANCES_PREFIX)) == 0) {
    instance_left(c, topic, payload, len);
    return;
  }
  if (!split_topic(topic, tenant, scout, leaf))
    return;
  if (strcmp(leaf, "evt") == 0) {
    cloud_release_event(c, tenant, scout, payload, len); /* rate-limited there */
  } else if (strcmp(leaf, "presence") == 0) {
    /* "online", or "online serve-others" from a print scout that takes
     * other users' releases (crowdsource), or "offline" */
    bool serves = len == 19 && memcmp(payload, "online serve-others", 19) == 0;
    bool online = serves || (len == 6 && memcmp(payload, "online", 6) == 0);
    int n =
        cloud_db_run(c->db,
                     "UPDATE scouts SET online = ?, serves_others = ?, seen_at = ? WHERE "
                     "tenant = ? AND id = ?",
                     "iiitt", (int64_t)online, (int64_t)serves, (int64_t)time(NULL), tenant, scout);
    if (n == 1)
      sr_log(SR_LOG_INFO, "presence", "tenant %s scout %s is %s", tenant, scout,
             online ? "online" : "offline");
    if (n == 1 && online)
      cloud_scout_online(c, tenant, scout);
  }
}

static void on_connected(void *ctx, int reason) {
  cloud *c = ctx;
  if (reason != 0) {
    sr_log(SR_LOG_ERROR, "broker", "the broker refused the cloud (reason %d)", reason);
    return;
  }
  c->mqtt_connected = true;
  sr_mqtt_subscribe(c->mqtt, EVENTS_TOPIC);
  sr_mqtt_subscribe(c->mqtt, PRESENCE_TOPIC);
  sr_mqtt_subscribe(c->mqtt, INSTANCES_TOPIC);
  sr_log(SR_LOG_INFO, "broker", "connected to the broker");
  /* events may have been missed while we were away: ask again */
  cloud_release_resume(c);
}

static void on_disconnected(void *ctx, int reason) {
  cloud *c = ctx;
  c->mqtt_connected = false;
  if (reason) /* the channel reconnects by itself (mqtt_channel.h) */
    sr_log(SR_LOG_WARN, "broker", "lost the broker (reason %d); reconnecting", reason);
}

int cloud_broker_start(cloud *c, char *err, size_t err_size) {
  const sr_mqtt_config *m = &c->cfg.u.cloud.mqtt;
  char ca[1024], cert[1024], key[1024], id[40] = "sr-cloud-";
  if (!m->tls.ca || !m->tls.cert || !m->tls.key) {
    snprintf(err, err_size,
             "mqtt.tls needs ca, cert and key: the broker knows the cloud by its "
             "certificate");
    return SR_ERR_INVALID;
  }
  sr_config_path(c->doc, m->tls.ca, ca, sizeof ca);
  sr_config_path(c->doc, m->tls.cert, cert, sizeof cert);
  sr_config_path(c->doc, m->tls.key, key, sizeof key);
  cloud_random_hex(id + 9, 6);
  snprintf(c->instance_id, sizeof c->instance_id, "%s", id);
  char will[128];
  snprintf(will, sizeof will, INSTANCES_PREFIX "%s", id);
  sr_mqtt_options o = {.host = m->host,
                       .port = (int)m->port,
                       .client_id = id,
                       .ca_file = ca,
                       .cert_file = cert,
                       .key_file = key,
                       .keepalive = (int)m->keepalive,
                       .will_topic = will,
                       .will_payload = "offline"};
  sr_mqtt_callbacks cb = {on_connected, on_message, NULL, on_disconnected, c};
  int status = sr_mqtt_new(c->loop, &o, &cb, &c->mqtt, err, err_size);
  /* without blocking the loop; a broker that comes later is retried */
  if (status == SR_OK && sr_mqtt_connect(c->mqtt, err, err_size) != SR_OK)
    sr_log(SR_LOG_WARN, "broker", "%s; retrying", err);
  return status;
}

bool cloud_broker_command(cloud *c, const char *tenant, const char *scout, json_t *command) {
  if (!c->mqtt || !c->mqtt_connected)
    return false;
  char topic[256];
  sr_mqtt_scout_topic(topic, sizeof topic, tenant, scout, "cmd");
  char *text = json_dumps(command, JSON_COMPACT);
  bool sent = text && sr_mqtt_publish(c->mqtt, topic, text, strlen(text), false, NULL) == SR_OK;
  free(text);
  return sent;
}

void cloud_broker_stop(cloud *c) {
  if (!c->mqtt)
    return;
  if (c->mqtt_connected) { /* the others ask the scouts what this one may not have heard */
    char topic[128];
    snprintf(topic, sizeof topic, INSTANCES_PREFIX "%s", c->instance_id);
    sr_mqtt_publish(c->mqtt, topic, "stopped", 7, false, NULL);
  }
  sr_mqtt_disconnect(c->mqtt, SR_MQTT_ACK_WAIT);
  sr_mqtt_free(c->mqtt);
  c->mqtt = NULL;
}
