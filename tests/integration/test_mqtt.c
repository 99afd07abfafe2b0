/* The MQTT channel against a real mosquitto with client certificate
 * subjects as identities and per-scout ACLs: a scout reaches only its own topics,
 * presence is retained and the last will marks a dropped scout offline. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "mqtt_channel.h"
#include "peer.h"
#include "sr/abi.h"

static char dir[64];
static int port;
static sr_peer broker;
static struct ev_loop *loop;

typedef struct client {
  const char *name;
  sr_mqtt *mqtt;
  int connected; /* -1 until CONNACK, then the reason */
  int last_mid, last_reason;
  char last_topic[256], last_payload[256];
  int messages;
  bool disconnected;
  int losses; /* disconnected with a reason */
} client;

static void on_connected(void *ctx, int reason) { ((client *)ctx)->connected = reason; }
static void on_message(void *ctx, const char *topic, const void *payload, size_t len) {
  client *c = ctx;
  snprintf(c->last_topic, sizeof c->last_topic, "%s", topic);
  snprintf(c->last_payload, sizeof c->last_payload, "%.*s", (int)len, (const char *)payload);
  c->messages++;
}
static void on_published(void *ctx, int mid, int reason) {
  client *c = ctx;
  c->last_mid = mid;
  c->last_reason = reason;
}
static void on_disconnected(void *ctx, int reason) {
  ((client *)ctx)->disconnected = true;
  if (reason)
    ((client *)ctx)->losses++;
}

static void on_deadline(struct ev_loop *l, ev_timer *w, int revents) {
  (void)w, (void)revents;
  ev_break(l, EVBREAK_ONE);
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents) {
  (void)revents;
  bool (*done)(void *) = (bool (*)(void *))((void **)w->data)[0];
  if (done(((void **)w->data)[1]))
    ev_break(l, EVBREAK_ONE);
}

/* Runs the loop until done(arg) or `seconds` pass; returns done(arg). */
static bool run_until(bool (*done)(void *), void *arg, double seconds) {
  void *data[2] = {(void *)done, arg};
  ev_timer tick, deadline;
  ev_timer_init(&tick, on_tick, 0.005, 0.005);
  tick.data = data;
  ev_timer_init(&deadline, on_deadline, seconds, 0);
  ev_timer_start(loop, &tick);
  ev_timer_start(loop, &deadline);
  if (!done(arg))
    ev_run(loop, 0);
  ev_timer_stop(loop, &tick);
  ev_timer_stop(loop, &deadline);
  return done(arg);
}

static bool got_connack(void *c) { return ((client *)c)->connected != -1; }
static bool got_puback(void *c) { return ((client *)c)->last_mid != 0; }
static bool got_message(void *c) { return ((client *)c)->messages > 0; }

static void connect_as(client *c, const char *name, const char *will_topic, int *status) {
  memset(c, 0, sizeof *c);
  c->name = name;
  c->connected = -1;
  char ca[128], cert[128], key[128], err[512];
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  snprintf(cert, sizeof cert, "%s/%s.crt", dir, name);
  snprintf(key, sizeof key, "%s/%s.key", dir, name);
  sr_mqtt_options o = {.host = "localhost",
                       .port = port,
                       .client_id = name,
                       .ca_file = ca,
                       .cert_file = cert,
                       .key_file = key,
                       .keepalive = 5,
                       .will_topic = will_topic,
                       .will_payload = "offline",
                       .will_retain = true};
  sr_mqtt_callbacks cb = {on_connected, on_message, on_published, on_disconnected, c};
  assert_int_equal(sr_mqtt_new(loop, &o, &cb, &c->mqtt, err, sizeof err), SR_OK);
  *status = sr_mqtt_connect(c->mqtt, err, sizeof err);
  if (*status == SR_OK)
    run_until(got_connack, c, 5);
}

static int group_setup(void **state) {
  (void)state;
  if (!sr_test_tmpdir("mqtt", dir))
    return -1;
  char cmd[256], conf[128], log[128];
  snprintf(cmd, sizeof cmd, "%s/make-mqtt-certs.sh %s", SR_TEST_SUPPORT_DIR, dir);
  if (system(cmd) != 0)
    return -1;
  port = sr_test_free_port();
  snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
  FILE *f = fopen(conf, "w");
  fprintf(f,
          "user root\nper_listener_settings false\nallow_anonymous false\npersistence false\n"
          "set_tcp_nodelay true\nlistener %d 127.0.0.1\ncafile %s/ca.crt\n"
          "certfile %s/localhost.crt\nkeyfile %s/localhost.key\nrequire_certificate true\n"
          "use_subject_as_username true\nacl_file %s/acl\n",
          port, dir, dir, dir, dir);
  fclose(f);
  snprintf(cmd, sizeof cmd, "%s/acl", dir);
  f = fopen(cmd, "w");
  /* as sr-cloud writes it (broker_acl.c): the username is the whole
   * subject; the cloud sees every scout, a scout only its own tree */
  fprintf(f, "user CN=cloud\ntopic readwrite sr/v1/#\n\n"
             "user CN=scout-a,O=t1\ntopic readwrite sr/v1/t1/scouts/scout-a/#\n\n"
             "user CN=scout-b,O=t1\ntopic readwrite sr/v1/t1/scouts/scout-b/#\n");
  fclose(f);
  snprintf(log, sizeof log, "%s/mosquitto.log", dir);
  char *argv[] = {"mosquitto", "-c", conf, NULL};
  if (!sr_peer_start(&broker, "mosquitto", argv, NULL, log) ||
      !sr_peer_wait_listening(&broker, port, false, 5000))
    return -1;
  loop = sr_loop_default();
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  sr_peer_stop(&broker);
  sr_test_rmtree(dir);
  return 0;
}

static void test_scouts_reach_only_their_own_topics(void **state) {
  (void)state;
  client cloud, a, b;
  int status;
  connect_as(&cloud, "cloud", NULL, &status);
  assert_int_equal(status, SR_OK);
  assert_int_equal(cloud.connected, 0);
  connect_as(&a, "scout-a", NULL, &status);
  assert_int_equal(a.connected, 0);
  connect_as(&b, "scout-b", NULL, &status);
  assert_int_equal(b.connected, 0);

  char a_evt[128], b_cmd[128], a_cmd[128];
  sr_mqtt_scout_topic(a_evt, sizeof a_evt, "t1", "scout-a", "evt");
  sr_mqtt_scout_topic(a_cmd, sizeof a_cmd, "t1", "scout-a", "cmd");
  sr_mqtt_scout_topic(b_cmd, sizeof b_cmd, "t1", "scout-b", "cmd");

  /* its own event topic: accepted */
  int mid = 0;
  assert_int_equal(sr_mqtt_publish(a.mqtt, a_evt, "{\"hello\":1}", 11, false, &mid), SR_OK);
  assert_true(run_until(got_puback, &a, 5));
  assert_int_equal(a.last_mid, mid);
  assert_true(a.last_reason < 128);

  /* scout B's command topic: refused by the ACL (reason 135) */
  a.last_mid = 0;
  assert_int_equal(sr_mqtt_publish(a.mqtt, b_cmd, "print", 5, false, &mid), SR_OK);
  assert_true(run_until(got_puback, &a, 5));
  assert_int_equal(a.last_reason, 135 /* not authorized */);

  /* subscribing to B's commands is granted but delivers nothing to A */
  assert_int_equal(sr_mqtt_subscribe(a.mqtt, b_cmd), SR_OK);
  assert_int_equal(sr_mqtt_subscribe(b.mqtt, b_cmd), SR_OK);
  assert_int_equal(sr_mqtt_subscribe(a.mqtt, a_cmd), SR_OK);
  run_until(got_message, &a, 0.3); /* let the subscriptions settle */
  assert_int_equal(sr_mqtt_publish(cloud.mqtt, b_cmd, "release job 7", 13, false, NULL), SR_OK);
  assert_true(run_until(got_message, &b, 5));
  assert_string_equal(b.last_payload, "release job 7");
  run_until(got_message, &a, 0.5);
  assert_int_equal(a.messages, 0);

  /* while its own commands reach it */
  assert_int_equal(sr_mqtt_publish(cloud.mqtt, a_cmd, "release job 8", 13, false, NULL), SR_OK);
  assert_true(run_until(got_message, &a, 5));
  assert_string_equal(a.last_topic, a_cmd);

  sr_mqtt_disconnect(a.mqtt, 3.0);
  sr_mqtt_disconnect(b.mqtt, 3.0);
  sr_mqtt_disconnect(cloud.mqtt, 3.0);
  sr_mqtt_free(a.mqtt);
  sr_mqtt_free(b.mqtt);
  sr_mqtt_free(cloud.mqtt);
}

typedef struct presence_wait {
  client *watcher;
  const char *payload;
} presence_wait;

static bool presence_is(void *arg) {
  presence_wait *w = arg;
  return strcmp(w->watcher->last_payload, w->payload) == 0;
}

static void test_presence_and_last_will(void **state) {
  (void)state;
  char presence[128];
  sr_mqtt_scout_topic(presence, sizeof presence, "t1", "scout-b", "presence");
  client b, cloud;
  int status;
  connect_as(&b, "scout-b", presence, &status);
  assert_int_equal(b.connected, 0);
  assert_int_equal(sr_mqtt_publish(b.mqtt, presence, "online", 6, true, NULL), SR_OK);
  assert_true(run_until(got_puback, &b, 5));

  /* a cloud instance that starts later still learns it from the retained message */
  connect_as(&cloud, "cloud", NULL, &status);
  assert_int_equal(sr_mqtt_subscribe(cloud.mqtt, "sr/v1/t1/scouts/+/presence"), SR_OK);
  presence_wait online = {&cloud, "online"};
  assert_true(run_until(presence_is, &online, 5));

  /* the scout vanishes without DISCONNECT: the broker publishes its will */
  sr_mqtt_free(b.mqtt);
  presence_wait offline = {&cloud, "offline"};
  assert_true(run_until(presence_is, &offline, 10));
  assert_string_equal(cloud.last_topic, presence);
  sr_mqtt_disconnect(cloud.mqtt, 3.0);
  sr_mqtt_free(cloud.mqtt);
}

static void test_strangers_are_refused(void **state) {
  (void)state;
  /* a certificate from another CA, even with a scout's name */
  client intruder;
  int status;
  connect_as(&intruder, "intruder", NULL, &status);
  assert_true(status != SR_OK || intruder.connected != 0);
  sr_mqtt_free(intruder.mqtt);

  /* no certificate at all */
  char ca[128], err[512];
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  client anon = {.connected = -1};
  sr_mqtt_options o = {.host = "localhost", .port = port, .ca_file = ca, .keepalive = 5};
  sr_mqtt_callbacks cb = {on_connected, on_message, on_published, on_disconnected, &anon};
  assert_int_equal(sr_mqtt_new(loop, &o, &cb, &anon.mqtt, err, sizeof err), SR_OK);
  status = sr_mqtt_connect(anon.mqtt, err, sizeof err);
  if (status == SR_OK)
    run_until(got_connack, &anon, 3);
  assert_true(status != SR_OK || anon.connected != 0);
  if (status != SR_OK) {
    char expected[128];
    snprintf(expected, sizeof expected, "cannot connect to the MQTT broker localhost:%d", port);
    assert_non_null(strstr(err, expected));
  }
  sr_mqtt_free(anon.mqtt);
}

/* A broker that cannot be reached: a listener whose accept queue is full
 * (and that never accepts) makes the kernel drop new SYNs, as a host that
 * is down does; a blocking connect() to it would wait for minutes. */
typedef struct unreachable {
  int fd;
  int fillers[4];
  client *c;
} unreachable;

/* Lets connections in from now on (accepts and closes each: the client sees
 * its attempt fail) until the client has lost two attempts. */
static bool lost_twice(void *arg) {
  unreachable *u = arg;
  int fd;
  while ((fd = accept(u->fd, NULL, NULL)) >= 0)
    close(fd);
  return u->c->losses >= 2;
}

static bool lost_once(void *c) { return ((client *)c)->losses > 0; }

typedef struct loop_probe {
  ev_timer timer;
  client *c;
  bool fired;
  int connected_then;
} loop_probe;

static void on_probe(struct ev_loop *l, ev_timer *w, int revents) {
  (void)l, (void)revents;
  loop_probe *p = (loop_probe *)w;
  p->fired = true;
  p->connected_then = p->c->connected;
}

static bool probe_fired(void *p) { return ((loop_probe *)p)->fired; }

/* Connecting never blocks the loop, and the channel retries by itself: an
 * unreachable broker costs the loop nothing, counts as lost after the
 * keep-alive, and is tried again. */
static void test_connect_does_not_block_and_retries(void **state) {
  (void)state;
  unreachable u = {.fd = socket(AF_INET, SOCK_STREAM, 0)};
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(u.fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(u.fd, 0), 0);
  assert_int_equal(getsockname(u.fd, (struct sockaddr *)&a, &len), 0);
  for (size_t i = 0; i < 4; i++) { /* fill the accept queue (non-blocking) */
    u.fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(u.fillers[i], (struct sockaddr *)&a, sizeof a);
  }
  char ca[128], cert[128], key[128], err[512];
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  snprintf(cert, sizeof cert, "%s/scout-a.crt", dir);
  snprintf(key, sizeof key, "%s/scout-a.key", dir);
  client c = {.connected = -1};
  u.c = &c;
  sr_mqtt_options o = {.host = "127.0.0.1",
                       .port = ntohs(a.sin_port),
                       .ca_file = ca,
                       .cert_file = cert,
                       .key_file = key,
                       .keepalive = 5};
  sr_mqtt_callbacks cb = {on_connected, on_message, on_published, on_disconnected, &c};
  assert_int_equal(sr_mqtt_new(loop, &o, &cb, &c.mqtt, err, sizeof err), SR_OK);
  ev_tstamp before = ev_time();
  assert_int_equal(sr_mqtt_connect(c.mqtt, err, sizeof err), SR_OK);
  double took = ev_time() - before;
  print_message("sr_mqtt_connect to an unreachable broker returned in %.3f ms\n", took * 1000);
  assert_true(took < 0.2);
  /* the loop runs its other watchers while the attempt hangs */
  loop_probe probe = {.c = &c};
  ev_timer_init(&probe.timer, on_probe, 0.05, 0);
  ev_timer_start(loop, &probe.timer);
  assert_true(run_until(probe_fired, &probe, 2));
  assert_int_equal(probe.connected_then, -1);
  /* nothing within the keep-alive: lost, told once, and tried again (the
   * second loss is a later attempt's: each attempt is lost once) */
  assert_true(run_until(lost_once, &c, 10));
  fcntl(u.fd, F_SETFL, O_NONBLOCK);
  assert_true(run_until(lost_twice, &u, 10));
  assert_int_equal(c.connected, -1);
  sr_mqtt_disconnect(c.mqtt, 3.0);
  sr_mqtt_free(c.mqtt);
  for (size_t i = 0; i < 4; i++)
    close(u.fillers[i]);
  close(u.fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scouts_reach_only_their_own_topics),
      cmocka_unit_test(test_presence_and_last_will),
      cmocka_unit_test(test_strangers_are_refused),
      cmocka_unit_test(test_connect_does_not_block_and_retries),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
