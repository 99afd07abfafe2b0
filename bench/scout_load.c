/*
 * sr-bench-scouts: many print scouts at once, for bench/load. The scouts are
 * real ones as far as the cloud and the broker can tell: each is added by
 * the administrator's API, enrolls with a key pair and CSR of its own
 * (core/enroll_client.c, as `sr-print-scout enroll` does), and connects to
 * the broker with its certificate through the scouts' own MQTT channel
 * (core/mqtt_channel.c): a last will, its presence "online" retained, a
 * subscription to its commands. What they lack is a print queue and a
 * printer: they stand for the idle workstations of an organisation.
 *
 * usage: sr-bench-scouts enroll CLOUD_URL CA_FILE TOKEN_FILE DIR COUNT
 *          adds and enrolls COUNT print scouts of the token's tenant; scout N
 *          (from 0) is DIR/N.id, DIR/N.crt and DIR/N.key. Prints a line per
 *          500: the time per scout over the last 500 (the cloud rewrites the
 *          broker's ACL for each).
 *        sr-bench-scouts connect HOST PORT CA_FILE TENANT DIR FIRST COUNT WINDOW
 *          connects scouts FIRST..FIRST+COUNT-1, at most WINDOW handshakes
 *          under way at once; prints "connected N in S s (R/s)" once all
 *          are, with its own RSS, then "lost N" lines if any drop, and runs
 *          until SIGTERM. libmosquitto takes 3 descriptors per client (its
 *          socket and a pair to wake its loop): bench/load starts one
 *          process per 5,000 scouts.
 *
 * Exit status: 0 done (enroll) or stopped (connect), 1 a failure, 2 usage.
 */
#include <curl/curl.h>
#include <ev.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "enroll_client.h"
#include "latency.h"
#include "log.h"
#include "mqtt_channel.h"
#include "rss.h"
#include "sr/abi.h"

/* ---- enroll ---- */

static size_t collect(char *data, size_t size, size_t n, void *ctx) {
  json_t **out = ctx;
  json_error_t e;
  json_decref(*out);
  *out = json_loadb(data, size * n, 0, &e); /* the answers are small: one piece */
  return size * n;
}

/* POST /api/v1/scouts as the tenant's administrator: the new scout's
 * one-time enrollment token in `token`. */
static bool add_scout(CURL *h, const char *url, const char *auth, int n, char *token, size_t size,
                      char *err, size_t err_size) {
  char body[128], path[512];
  snprintf(body, sizeof body, "{\"kind\":\"print\",\"name\":\"load-%d\"}", n);
  snprintf(path, sizeof path, "%s/api/v1/scouts", url);
  struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
  headers = curl_slist_append(headers, auth);
  json_t *reply = NULL;
  curl_easy_setopt(h, CURLOPT_URL, path);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  const char *t = json_string_value(json_object_get(reply, "enrollment_token"));
  bool ok = rc == CURLE_OK && status == 201 && t && strlen(t) < size;
  if (ok)
    snprintf(token, size, "%s", t);
  else
    snprintf(err, err_size, "POST %s: %s (HTTP %ld)", path,
             rc != CURLE_OK ? curl_easy_strerror(rc) : "refused", status);
  json_decref(reply);
  return ok;
}

static int enroll(char **argv) {
  const char *url = argv[0], *ca = argv[1], *token_file = argv[2], *dir = argv[3];
  int count = atoi(argv[4]);
  char admin[512], auth[600], err[1024];
  FILE *f = fopen(token_file, "r");
  if (!f || !fgets(admin, sizeof admin, f)) {
    fprintf(stderr, "sr-bench-scouts: cannot read the token in %s\n", token_file);
    if (f)
      fclose(f);
    return 1;
  }
  fclose(f);
  admin[strcspn(admin, "\r\n")] = '\0';
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", admin);
  mkdir(dir, 0700);
  CURL *h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_CAINFO, ca);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
  double start = bench_now_s(), last = start;
  for (int n = 0; n < count; n++) {
    char token[256], id[128], crt[1024], key[1024], idp[1024];
    snprintf(crt, sizeof crt, "%s/%d.crt", dir, n);
    snprintf(key, sizeof key, "%s/%d.key", dir, n);
    snprintf(idp, sizeof idp, "%s/%d.id", dir, n);
    if (!add_scout(h, url, auth, n, token, sizeof token, err, sizeof err) ||
        sr_enroll(url, ca, token, crt, key, id, sizeof id, err, sizeof err) != SR_OK) {
      fprintf(stderr, "sr-bench-scouts: scout %d: %s\n", n, err);
      curl_easy_cleanup(h);
      return 1;
    }
    FILE *o = fopen(idp, "w");
    if (!o || fprintf(o, "%s\n", id) < 0 || fclose(o) != 0) {
      fprintf(stderr, "sr-bench-scouts: cannot write %s\n", idp);
      return 1;
    }
    if ((n + 1) % 500 == 0 || n + 1 == count) {
      double t = bench_now_s();
      int in_step = (n + 1) % 500 ? (n + 1) % 500 : 500;
      printf("enrolled %d in %.1f s (the last %d: %.1f ms each)\n", n + 1, t - start, in_step,
             (t - last) * 1000 / in_step);
      fflush(stdout);
      last = t;
    }
  }
  curl_easy_cleanup(h);
  return 0;
}

/* ---- connect ---- */

typedef struct scout {
  struct fleet *fleet;
  sr_mqtt *mqtt;
  char id[64], presence[160], cmd[160];
  bool connected; /* now */
  bool ever;      /* once */
} scout;

typedef struct fleet {
  struct ev_loop *loop;
  scout *scouts;
  int first, count, started, connected, ever, window, lost;
  const char *host, *ca, *tenant, *dir;
  int port;
  double start, all_at;
  ev_timer tick;
  ev_signal term, intr;
} fleet;

static void on_connected(void *ctx, int reason) {
  scout *s = ctx;
  if (reason != 0) {
    fprintf(stderr, "sr-bench-scouts: the broker refused %s (reason %d)\n", s->id, reason);
    return;
  }
  sr_mqtt_subscribe(s->mqtt, s->cmd);
  sr_mqtt_publish(s->mqtt, s->presence, "online", 6, true, NULL);
  s->connected = true;
  s->fleet->connected++;
  if (!s->ever) {
    s->ever = true;
    s->fleet->ever++;
  }
}

static void on_message(void *ctx, const char *topic, const void *payload, size_t len) {
  (void)ctx, (void)topic, (void)payload, (void)len; /* idle workstations: nothing to do */
}

static void on_disconnected(void *ctx, int reason) {
  scout *s = ctx;
  (void)reason;
  if (s->connected) {
    s->connected = false;
    s->fleet->connected--;
    s->fleet->lost++;
  }
}

static bool start_one(fleet *f, int n) {
  scout *s = &f->scouts[n];
  char path[1024], crt[1024], key[1024], err[512];
  s->fleet = f;
  snprintf(path, sizeof path, "%s/%d.id", f->dir, f->first + n);
  FILE *in = fopen(path, "r");
  if (!in || !fgets(s->id, sizeof s->id, in)) {
    fprintf(stderr, "sr-bench-scouts: cannot read %s\n", path);
    if (in)
      fclose(in);
    return false;
  }
  fclose(in);
  s->id[strcspn(s->id, "\r\n")] = '\0';
  snprintf(crt, sizeof crt, "%s/%d.crt", f->dir, f->first + n);
  snprintf(key, sizeof key, "%s/%d.key", f->dir, f->first + n);
  sr_mqtt_scout_topic(s->presence, sizeof s->presence, f->tenant, s->id, "presence");
  sr_mqtt_scout_topic(s->cmd, sizeof s->cmd, f->tenant, s->id, "cmd");
  sr_mqtt_options o = {.host = f->host,
                       .port = f->port,
                       .client_id = s->id,
                       .ca_file = f->ca,
                       .cert_file = crt,
                       .key_file = key,
                       .keepalive = 60,
                       .will_topic = s->presence,
                       .will_payload = "offline",
                       .will_retain = true};
  sr_mqtt_callbacks cb = {on_connected, on_message, NULL, on_disconnected, s};
  if (sr_mqtt_new(f->loop, &o, &cb, &s->mqtt, err, sizeof err) != SR_OK) {
    fprintf(stderr, "sr-bench-scouts: scout %d: %s\n", n, err);
    return false;
  }
  sr_mqtt_connect(s->mqtt, err, sizeof err); /* retried by the channel if it failed */
  return true;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)revents;
  fleet *f = w->data;
  /* keep WINDOW handshakes under way: started, never yet connected */
  while (f->started < f->count && f->started - f->ever < f->window)
    if (!start_one(f, f->started++)) {
      ev_break(loop, EVBREAK_ALL);
      return;
    }
  static double last_report;
  double t = bench_now_s();
  if (!f->all_at && f->ever == f->count) {
    f->all_at = t;
    printf("connected %d in %.2f s (%.0f/s), simulator RSS %ld KiB\n", f->count, t - f->start,
           f->count / (t - f->start), bench_rss_kib());
    fflush(stdout);
  } else if (!f->all_at && t - last_report >= 5) {
    last_report = t;
    printf("progress: %d of %d connected after %.0f s\n", f->ever, f->count, t - f->start);
    fflush(stdout);
  }
  static int reported_lost;
  if (f->lost != reported_lost) {
    reported_lost = f->lost;
    printf("lost %d connection(s) so far; %d connected now\n", f->lost, f->connected);
    fflush(stdout);
  }
}

static void on_stop(struct ev_loop *loop, ev_signal *w, int revents) {
  (void)w, (void)revents;
  ev_break(loop, EVBREAK_ALL);
}

static int connect_all(char **argv) {
  fleet f = {.loop = ev_default_loop(0),
             .host = argv[0],
             .port = atoi(argv[1]),
             .ca = argv[2],
             .tenant = argv[3],
             .dir = argv[4],
             .first = atoi(argv[5]),
             .count = atoi(argv[6]),
             .window = atoi(argv[7])};
  if (f.first < 0 || f.count <= 0 || f.window <= 0 || f.port <= 0)
    return 2;
  f.scouts = calloc((size_t)f.count, sizeof *f.scouts);
  if (!f.scouts)
    return 1;
  f.start = bench_now_s();
  ev_timer_init(&f.tick, on_tick, 0, 0.01);
  f.tick.data = &f;
  ev_timer_start(f.loop, &f.tick);
  ev_signal_init(&f.term, on_stop, SIGTERM);
  ev_signal_init(&f.intr, on_stop, SIGINT);
  ev_signal_start(f.loop, &f.term);
  ev_signal_start(f.loop, &f.intr);
  ev_run(f.loop, 0);
  /* the broker sees each connection end (its will: offline), as when the
   * workstations are switched off; the process exits without a goodbye */
  printf("stopped: %d of %d connected, %d lost\n", f.connected, f.count, f.lost);
  return 0;
}

int main(int argc, char **argv) {
  sr_log_set_level(SR_LOG_WARN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  if (argc == 7 && strcmp(argv[1], "enroll") == 0)
    return enroll(argv + 2);
  if (argc == 10 && strcmp(argv[1], "connect") == 0)
    return connect_all(argv + 2);
  fprintf(stderr,
          "usage: sr-bench-scouts enroll CLOUD_URL CA_FILE TOKEN_FILE DIR COUNT\n"
          "       sr-bench-scouts connect HOST PORT CA_FILE TENANT DIR FIRST COUNT WINDOW\n");
  return 2;
}
