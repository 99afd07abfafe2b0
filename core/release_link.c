#include "release_link.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static void on_message(void *ctx, const char *topic, const void *payload, size_t len) {
  sr_release_link *link = ctx;
  if (strcmp(topic, link->cmd_topic) != 0)
    return;
  json_t *cmd = link->other_command ? json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
  const char *type = json_string_value(json_object_get(cmd, "type"));
  if (type && strcmp(type, "release") != 0 && strcmp(type, "delete") != 0)
    link->other_command(link->other_ctx, type, cmd);
  else
    scout_releaser_command(&link->releaser, payload, len);
  json_decref(cmd);
}

static void on_connected(void *ctx, int reason) {
  sr_release_link *link = ctx;
  if (reason != 0) {
    sr_log(SR_LOG_ERROR, "scout",
           "the broker refused %s (reason %d): is this scout enrolled and its certificate "
           "current?",
           link->scout_id, reason);
    return;
  }
  sr_mqtt_subscribe(link->mqtt, link->cmd_topic);
  sr_mqtt_publish(link->mqtt, link->presence_topic, link->presence, strlen(link->presence), true,
                  NULL);
  sr_log(SR_LOG_INFO, "scout", "connected to the broker as %s (keep-alive %d s)", link->scout_id,
         link->keepalive);
  if (!link->told_stdout) { /* whoever started us (run.sh, the tests) waits for this line,
                             * whatever the log level */
    link->told_stdout = true;
    printf("broker connected\n");
    fflush(stdout);
  }
  if (link->connected)
    link->connected(link->connected_ctx);
}

static void on_disconnected(void *ctx, int reason) {
  (void)ctx;
  if (reason) /* the channel reconnects by itself (mqtt_channel.h) */
    sr_log(SR_LOG_WARN, "scout", "lost the broker (reason %d); reconnecting", reason);
}

size_t sr_release_printers(const sr_config_node *list, const char **out, size_t max) {
  size_t n = 0;
  for (size_t i = 0; list && i < list->count && n + 1 < max; i++)
    out[n++] = list->items[i]->value;
  out[n] = NULL;
  return n;
}

bool sr_release_link_start(sr_release_link *link, const sr_config *doc, const char *tenant,
                           const char *scout_id, const sr_mqtt_config *m,
                           const sr_tls_config *fallback_tls, char *err, size_t err_size) {
  const sr_tls_config *tls = m->tls.cert ? &m->tls : fallback_tls;
  char ca[1024], cert[1024], key[1024];
  if (!tls || !tls->ca || !tls->cert || !tls->key) {
    snprintf(err, err_size, "mqtt.tls needs ca, cert and key (the broker checks them)");
    return false;
  }
  if (!link->presence)
    link->presence = "online";
  snprintf(link->scout_id, sizeof link->scout_id, "%s", scout_id);
  sr_mqtt_scout_topic(link->cmd_topic, sizeof link->cmd_topic, tenant, scout_id, "cmd");
  sr_mqtt_scout_topic(link->presence_topic, sizeof link->presence_topic, tenant, scout_id,
                      "presence");
  sr_mqtt_scout_topic(link->releaser.evt_topic, sizeof link->releaser.evt_topic, tenant, scout_id,
                      "evt");
  sr_config_path(doc, tls->ca, ca, sizeof ca);
  sr_config_path(doc, tls->cert, cert, sizeof cert);
  sr_config_path(doc, tls->key, key, sizeof key);
  link->keepalive = (int)m->keepalive;
  sr_mqtt_options o = {.host = m->host,
                       .port = (int)m->port,
                       .client_id = link->scout_id,
                       .ca_file = ca,
                       .cert_file = cert,
                       .key_file = key,
                       .keepalive = (int)m->keepalive,
                       .will_topic = link->presence_topic,
                       .will_payload = "offline",
                       .will_retain = true};
  sr_mqtt_callbacks cb = {on_connected, on_message, NULL, on_disconnected, link};
  struct ev_loop *loop = link->releaser.loop;
  if (sr_mqtt_new(loop, &o, &cb, &link->mqtt, err, err_size) != SR_OK)
    return false;
  link->releaser.mqtt = link->mqtt;
  if (!scout_releaser_start(&link->releaser)) {
    snprintf(err, err_size, "cannot start the release threads");
    return false;
  }
  link->releaser_started = true;
  /* the broker may come later (retried by the channel) */
  if (sr_mqtt_connect(link->mqtt, err, err_size) != SR_OK)
    sr_log(SR_LOG_WARN, "scout", "%s; retrying", err);
  return true;
}

void sr_release_link_stop(sr_release_link *link) {
  if (link->releaser_started)
    scout_releaser_stop(&link->releaser);
  link->releaser_started = false;
  if (link->mqtt) {
    sr_mqtt_publish(link->mqtt, link->presence_topic, "offline", 7, true, NULL);
    sr_mqtt_disconnect(link->mqtt, SR_MQTT_ACK_WAIT);
    sr_mqtt_free(link->mqtt);
    link->mqtt = NULL;
  }
}
