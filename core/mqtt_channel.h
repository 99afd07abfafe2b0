/*
 * The MQTT control channel between the cloud and the scouts: libmosquitto
 * (MQTT v5, QoS 1, TLS with a client certificate as identity) driven by the
 * service's libev loop. Topics: sr/v1/{tenant}/scouts/{scout}/cmd (cloud to
 * scout), .../evt (scout to cloud), .../presence (retained, with a last will
 * "offline" so the cloud always knows who is online).
 */
#ifndef SR_CORE_MQTT_CHANNEL_H
#define SR_CORE_MQTT_CHANNEL_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct sr_mqtt sr_mqtt;

typedef struct sr_mqtt_callbacks {
  /* The broker answered CONNECT: reason 0 is success (MQTT v5 codes). */
  void (*connected)(void *ctx, int reason);
  /* A message arrived on a subscribed topic; the buffers are valid only
   * during the call. */
  void (*message)(void *ctx, const char *topic, const void *payload, size_t len);
  /* The broker acknowledged publish `mid`: reason < 128 is success, 135 is
   * "not authorized" (the ACL refused it). */
  void (*published)(void *ctx, int mid, int reason);
  /* The connection was lost (or closed by us: reason 0). */
  void (*disconnected)(void *ctx, int reason);
  void *ctx;
} sr_mqtt_callbacks;

typedef struct sr_mqtt_options {
  const char *host;
  int port;
  const char *client_id; /* NULL: the broker picks one */
  const char *ca_file;   /* broker's CA; NULL: no TLS (tests only) */
  const char *cert_file; /* our certificate: our identity to the broker */
  const char *key_file;
  int keepalive;          /* seconds, >= 5 */
  const char *will_topic; /* NULL: no last will */
  const char *will_payload;
  bool will_retain;
} sr_mqtt_options;

/* Creates a client on `loop`; nothing is sent yet. On SR_OK the caller owns
 * *out. `err` names the broker on failure. */
int sr_mqtt_new(struct ev_loop *loop, const sr_mqtt_options *options,
                const sr_mqtt_callbacks *callbacks, sr_mqtt **out, char *err, size_t err_size);

/* Starts connecting without blocking the loop (only the broker's name is
 * looked up now; TCP, TLS and CONNACK follow in the loop's watchers, the
 * outcome through `connected`). From now until sr_mqtt_disconnect() the
 * client reconnects by itself, every second, whenever an attempt fails or
 * the connection is lost (each loss told once through `disconnected`; a
 * broker that does not answer CONNACK within the keep-alive counts as
 * lost), so services keep no retry logic of their own. SR_OK when the
 * first attempt is under way; SR_ERR_CONNECT with `err` when it could not
 * start (it is retried all the same). */
int sr_mqtt_connect(sr_mqtt *m, char *err, size_t err_size);

/* Subscribes with QoS 1. */
int sr_mqtt_subscribe(sr_mqtt *m, const char *topic);

/* Publishes with QoS 1; *mid (may be NULL) identifies it in `published`. */
int sr_mqtt_publish(sr_mqtt *m, const char *topic, const void *payload, size_t len, bool retain,
                    int *mid);

/* Handles now, on the loop's thread, every message that has reached the
 * socket (the message callback runs for each), without waiting for the
 * loop to come to the read watcher: for a decision that must see what a
 * peer said before a deadline (releases.c). Never blocks. */
void sr_mqtt_read_pending(sr_mqtt *m);

/* For shutdown, after the loop has stopped: waits, at most `ack_wait`
 * seconds and blocking, until the broker has acknowledged every publish
 * (closing earlier loses them: see mqtt_channel.c), then sends DISCONNECT
 * (no last will), waits in the same bound for the broker to close, stops
 * reconnecting and stops watching the socket. */
void sr_mqtt_disconnect(sr_mqtt *m, double ack_wait);
/* What the services give it: a stop should not hang for long. */
#define SR_MQTT_ACK_WAIT 3.0

/* Frees the client. Without a prior disconnect the broker sees the
 * connection drop and publishes the last will. */
void sr_mqtt_free(sr_mqtt *m);

/* Writes "sr/v1/TENANT/scouts/SCOUT/LEAF" into `out`. */
void sr_mqtt_scout_topic(char *out, size_t size, const char *tenant, const char *scout,
                         const char *leaf);

#endif
