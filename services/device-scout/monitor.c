#include "monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_read.h"
#include "log.h"
#include "site_vouch.h"
#include "sr/abi.h"
#include "worker_pool.h"

#define READ_THREADS 4     /* printers read at once (a silent one holds a thread a timeout long) */
#define DEVICES_MAX 4096   /* devices monitored; beyond, the rest wait for the next list */
#define LIST_EVERY_MAX 300 /* seconds: a newly accepted printer is read within 5 minutes */

typedef struct watched {
  char id[65];
  char *snmp, *ipp_uri; /* NULL if none */
  int driver;           /* index in drivers; -1 none identifies it (yet); -2 not picked yet */
  double due[SECTION_COUNT];
  char *sent[SECTION_COUNT]; /* JSON text of the value the cloud last took, NULL: none */
  bool busy;                 /* a read or its post is in flight */
  bool listed;               /* in the latest device list (take_list's mark) */
  unsigned long cycles;      /* reads finished: the log names each, for tests and operators */
} watched;

struct monitor {
  monitor_options o;
  sr_worker_pool *pool;
  ev_timer tick;
  double list_every, list_due;
  watched *devices[DEVICES_MAX];
  size_t n_devices;
  int calls; /* cloud calls in flight; the monitor is freed when none are left */
  bool stopped;
  json_t *refused; /* device id -> why the site does not read it (logged once) */
};

/* What a worker reads for one device: copies, so the device may leave the
 * list meanwhile (the result is matched by id). */
typedef struct read_item {
  monitor *m;
  char id[65];
  char *snmp, *ipp_uri;
  int driver; /* as known when submitted; the worker may pick it */
  unsigned wanted;
  json_t *out[SECTION_COUNT];
  bool answered;
} read_item;

/* A post in flight: the sections it carries, to note as sent. */
typedef struct post_item {
  monitor *m;
  char id[65];
  char *text[SECTION_COUNT]; /* NULL: not in this post */
  unsigned long cycle;
} post_item;

static void monitor_release(monitor *m);

static watched *find(monitor *m, const char *id) {
  for (size_t i = 0; i < m->n_devices; i++)
    if (strcmp(m->devices[i]->id, id) == 0)
      return m->devices[i];
  return NULL;
}

static void watched_free(watched *w) {
  if (!w)
    return;
  free(w->snmp);
  free(w->ipp_uri);
  for (int s = 0; s < SECTION_COUNT; s++)
    free(w->sent[s]);
  free(w);
}

static char *dup_or_null(const char *s) { return s && *s ? strdup(s) : NULL; }

/* Two addresses (NULL: none) are the same. */
static bool same_address(const char *a, const char *b) {
  return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

static double cadence(const monitor *m, int section) {
  const int64_t every[SECTION_COUNT] = {m->o.every.status, m->o.every.alerts, m->o.every.meters,
                                        m->o.every.supplies};
  return (double)every[section];
}

/* ---- the device list ---- */

/* The first ipp:// or ipps:// URI of a device's list, or NULL. */
static const char *ipp_uri_of(const json_t *uris) {
  size_t i;
  const json_t *u;
  json_array_foreach(uris, i, u) {
    const char *text = json_string_value(u);
    if (text && (strncmp(text, "ipp://", 6) == 0 || strncmp(text, "ipps://", 7) == 0))
      return text;
  }
  return NULL;
}

/* Whether the site vouches for every host of device `d` (site_vouch.h):
 * only then does it send the device its SNMP community or IPP requests.
 * A refusal is logged when it is new or its reason changed. */
static bool vouched_for(monitor *m, const json_t *hosts, const json_t *d, const char *id) {
  char *why = site_why_not_vouched(hosts, d);
  if (!why) {
    json_object_del(m->refused, id);
    return true;
  }
  const char *before = json_string_value(json_object_get(m->refused, id));
  if (!before || strcmp(before, why) != 0) {
    sr_log(SR_LOG_WARN, "monitor",
           "not reading %s (the site reads only the printers it vouches for)", why);
    json_object_set_new(m->refused, id, json_string(why));
  }
  free(why);
  return false;
}

/* Takes the cloud's list: new devices are read at once, devices no longer
 * listed are dropped, a changed address is picked for again. */
static void take_list(monitor *m, const json_t *list) {
  for (size_t i = 0; i < m->n_devices; i++)
    m->devices[i]->listed = false;
  json_t *hosts = site_vouched_hosts(m->o.discovery_path, m->o.static_hosts, "monitor");
  size_t i;
  const json_t *d;
  json_array_foreach(list, i, d) {
    const char *id = json_string_value(json_object_get(d, "id"));
    const char *snmp = json_string_value(json_object_get(d, "snmp"));
    const char *ipp = ipp_uri_of(json_object_get(d, "uris"));
    if (!id || strlen(id) >= sizeof((watched *)0)->id || !vouched_for(m, hosts, d, id))
      continue;
    watched *w = find(m, id);
    if (w && (!same_address(snmp, w->snmp) || !same_address(ipp, w->ipp_uri))) {
      free(w->snmp), free(w->ipp_uri);
      w->snmp = dup_or_null(snmp), w->ipp_uri = dup_or_null(ipp);
      w->driver = -2; /* another address: perhaps another printer, read now */
      memset(w->due, 0, sizeof w->due);
    }
    if (!w && m->n_devices < DEVICES_MAX && (w = calloc(1, sizeof *w))) {
      snprintf(w->id, sizeof w->id, "%s", id);
      w->snmp = dup_or_null(snmp), w->ipp_uri = dup_or_null(ipp);
      w->driver = -2;
      m->devices[m->n_devices++] = w; /* its sections are all due (0) */
      sr_log(SR_LOG_INFO, "monitor", "monitoring device %s (snmp %s, ipp %s)", id,
             snmp ? snmp : "none", ipp ? ipp : "none");
    }
    if (w)
      w->listed = true;
  }
  for (size_t k = 0; k < m->n_devices;) {
    if (m->devices[k]->listed) {
      k++;
      continue;
    }
    sr_log(SR_LOG_INFO, "monitor", "device %s is no longer the site's: not monitored",
           m->devices[k]->id);
    watched_free(m->devices[k]); /* a read in flight finds no device by its id: dropped */
    m->devices[k] = m->devices[--m->n_devices];
  }
  json_decref(hosts);
}

static void list_answered(void *ctx, int status, json_t *reply, const char *err) {
  monitor *m = ctx;
  m->calls--;
  if (!m->stopped) {
    json_t *list = json_object_get(reply, "devices");
    if (status == 200 && json_is_array(list))
      take_list(m, list);
    else if (status == 0)
      sr_log(SR_LOG_WARN, "monitor", "cannot fetch the site's devices: %s; trying again", err);
    else
      sr_log(SR_LOG_WARN, "monitor", "the cloud answered the device list with %d: %s", status,
             sr_cloud_error_message(reply, "no reason given"));
  }
  json_decref(reply);
  monitor_release(m);
}

/* ---- reading, on a worker ---- */

static void read_work(void *arg) {
  read_item *r = arg;
  device_address where = {.snmp = r->snmp, .ipp_uri = r->ipp_uri};
  if (r->driver == -2 || r->driver == -1) {
    r->driver = device_pick_driver(r->m->o.drivers, r->m->o.n_drivers, &where, &r->m->o.snmp);
    if (r->driver == -2) { /* no answer: offline, picked when it answers again */
      r->out[SECTION_STATUS] = json_pack("{s:s, s:s, s:[]}", "state", "offline", "message",
                                         "the printer does not answer", "conditions");
      return;
    }
    if (r->driver < 0)
      return;
  }
  device_read(r->m->o.drivers[r->driver], &where, &r->m->o.snmp, r->wanted, r->out, &r->answered);
}

static void read_item_free(read_item *r) {
  for (int s = 0; s < SECTION_COUNT; s++)
    json_decref(r->out[s]);
  free(r->snmp);
  free(r->ipp_uri);
  free(r);
}

static void post_answered(void *ctx, int status, json_t *reply, const char *err) {
  post_item *p = ctx;
  monitor *m = p->m;
  m->calls--;
  watched *w = m->stopped ? NULL : find(m, p->id);
  char names[64] = "";
  for (int s = 0; s < SECTION_COUNT; s++)
    if (p->text[s])
      snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? ", " : "",
               device_section_name(s));
  if (w && status == 200) {
    for (int s = 0; s < SECTION_COUNT; s++)
      if (p->text[s]) {
        free(w->sent[s]);
        w->sent[s] = p->text[s];
        p->text[s] = NULL;
      }
    sr_log(SR_LOG_INFO, "monitor", "device %s: read %lu: sent %s", p->id, p->cycle, names);
  } else if (w) { /* not noted as sent: the next read sends it again */
    sr_log(SR_LOG_WARN, "monitor", "device %s: read %lu: %s not taken: %s", p->id, p->cycle, names,
           status ? sr_cloud_error_message(reply, "no reason given") : err);
  }
  if (w)
    w->busy = false;
  for (int s = 0; s < SECTION_COUNT; s++)
    free(p->text[s]);
  free(p);
  json_decref(reply);
  monitor_release(m);
}

/* Back on the loop: sends the sections that differ from what the cloud
 * has; the rest are the same and cost nothing. */
static void read_done(void *arg) {
  read_item *r = arg;
  monitor *m = r->m;
  watched *w = m->stopped ? NULL : find(m, r->id);
  if (w && (!same_address(r->snmp, w->snmp) || !same_address(r->ipp_uri, w->ipp_uri)))
    w->busy = false; /* its address changed meanwhile: this read is of the old one */
  if (!w || !w->busy) {
    read_item_free(r);
    return;
  }
  if (w->driver != r->driver && r->driver >= 0)
    sr_log(SR_LOG_INFO, "monitor", "device %s: read with driver %s", w->id,
           m->o.drivers[r->driver]->name);
  else if (r->driver == -1 && w->driver != -1)
    sr_log(SR_LOG_WARN, "monitor",
           "device %s: no configured driver knows it (add one to `drivers`); asking again later",
           w->id);
  w->driver = r->answered ? r->driver : (r->driver == -1 ? -1 : -2);
  w->cycles++;
  post_item *p = calloc(1, sizeof *p);
  json_t *body = json_object();
  for (int s = 0; p && s < SECTION_COUNT; s++) {
    char *text = r->out[s] ? json_dumps(r->out[s], JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (text && (!w->sent[s] || strcmp(text, w->sent[s]) != 0)) {
      json_object_set(body, device_section_name(s), r->out[s]);
      p->text[s] = text;
    } else {
      free(text);
    }
  }
  if (p && json_object_size(body) > 0) {
    char path[160];
    snprintf(path, sizeof path, "/api/v1/site/devices/%s/observations", w->id);
    p->m = m;
    p->cycle = w->cycles;
    snprintf(p->id, sizeof p->id, "%s", w->id);
    if (sr_cloud_call_async(m->o.cloud, "POST", path, body, NULL, post_answered, p) == SR_OK) {
      m->calls++;
      p = NULL; /* post_answered's now; the device stays busy until then */
    }
  } else {
    sr_log(SR_LOG_DEBUG, "monitor", "device %s: read %lu: nothing changed", w->id, w->cycles);
  }
  if (p) { /* nothing sent (or it could not start): free now */
    for (int s = 0; s < SECTION_COUNT; s++)
      free(p->text[s]);
    free(p);
    w->busy = false;
  }
  json_decref(body);
  read_item_free(r);
}

/* Submits a read of `w`'s due sections; false if the pool is full. */
static bool read_due(monitor *m, watched *w, double now) {
  unsigned wanted = 0;
  for (int s = 0; s < SECTION_COUNT; s++)
    if (w->due[s] <= now)
      wanted |= 1u << s;
  if (!wanted)
    return true;
  read_item *r = calloc(1, sizeof *r);
  if (!r)
    return false;
  *r = (read_item){.m = m, .driver = w->driver, .wanted = wanted};
  snprintf(r->id, sizeof r->id, "%s", w->id);
  r->snmp = dup_or_null(w->snmp);
  r->ipp_uri = dup_or_null(w->ipp_uri);
  if (sr_worker_pool_submit(m->pool, read_work, read_done, r) != SR_OK) {
    read_item_free(r);
    return false;
  }
  w->busy = true;
  for (int s = 0; s < SECTION_COUNT; s++)
    if (wanted & (1u << s))
      w->due[s] = now + cadence(m, s);
  return true;
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents) {
  (void)revents;
  monitor *m = t->data;
  double now = ev_now(loop);
  if (now >= m->list_due) {
    m->list_due = now + m->list_every;
    if (sr_cloud_call_async(m->o.cloud, "GET", "/api/v1/site/devices", NULL, NULL, list_answered,
                            m) == SR_OK)
      m->calls++;
  }
  for (size_t i = 0; i < m->n_devices; i++)
    if (!m->devices[i]->busy && !read_due(m, m->devices[i], now))
      break; /* the pool is full: the rest next tick */
}

monitor *monitor_start(const monitor_options *options) {
  if (options->n_drivers == 0) {
    sr_log(SR_LOG_INFO, "monitor", "no device driver configured: printers are not monitored");
    return NULL;
  }
  monitor *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->o = *options;
  m->pool = sr_worker_pool_new(m->o.loop, READ_THREADS, DEVICES_MAX);
  m->refused = json_object();
  if (!m->pool || !m->refused) {
    sr_worker_pool_free(m->pool);
    json_decref(m->refused);
    free(m);
    return NULL;
  }
  double tick = 1e9;
  for (int s = 0; s < SECTION_COUNT; s++)
    if (cadence(m, s) < tick)
      tick = cadence(m, s);
  m->list_every = m->o.every.status < LIST_EVERY_MAX ? (double)m->o.every.status : LIST_EVERY_MAX;
  ev_timer_init(&m->tick, on_tick, 0., tick);
  m->tick.data = m;
  ev_timer_start(m->o.loop, &m->tick);
  ev_unref(m->o.loop); /* monitoring alone does not keep the service running */
  return m;
}

/* Frees the monitor once it is stopped and no call of it is in flight. */
static void monitor_release(monitor *m) {
  if (!m->stopped || m->calls > 0)
    return;
  for (size_t i = 0; i < m->n_devices; i++)
    watched_free(m->devices[i]);
  json_decref(m->refused);
  free(m);
}

void monitor_free(monitor *m) {
  if (!m)
    return;
  ev_ref(m->o.loop);
  ev_timer_stop(m->o.loop, &m->tick);
  m->stopped = true; /* results still coming back are dropped */
  sr_worker_pool_free(m->pool);
  m->pool = NULL;
  monitor_release(m);
}
