#include "release.h"

#include <cups/http.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "delivery.h"
#include "doc_sniff.h"
#include "job_info.h"
#include "jobfile_stream.h"
#include "log.h"
#include "printer_allow.h"
#include "printer_check.h"
#include "storage_client.h"

#define MAX_URIS 8
/* Deliveries at once (to different printers: each printer's line sends
 * one at a time), and waiting for a thread beyond those: each holds a
 * thread for a whole delivery. */
#define RELEASE_THREADS 8
#define RELEASE_QUEUE 64
/* A busy printer is asked again after 0.5 s, then twice as long each time
 * up to 8 s, each wait varied by up to a quarter so that the scouts of a
 * site waiting for one printer do not ask in step. */
#define RETRY_FIRST 0.5
#define RETRY_MOST 8.0
/* a waiting release tells the cloud at least this often (its deadline) */
#define WAITING_REPORT_EVERY 60
#define POSITION_REPORT_EVERY 10
/* where fetched cloud copies wait in the cache */
#define FETCHED "fetched/"

/* One release: in its printer's line, then handed to the pool, and its
 * result back. Made on the loop's thread; while it is in the pool the
 * worker alone touches it; release_done, a retry or the end frees it. */
typedef struct scout_result {
  printer_place place;  /* first: the lines hand it back */
  ev_timer retry;       /* a busy printer is asked again */
  ev_tstamp busy_since; /* first "busy" answer; 0: none yet */
  int attempts;
  time_t reported_at; /* last "waiting" event */
  char reported[256]; /* its reason */
  scout_releaser *releaser;
  scout_job_table *table; /* its job's: r->jobs, or r->fetched for a cloud copy */
  sr_instance *store;     /* where its job file is: r->storage, or r->cache */
  char release_id[64];
  char uuid[64];
  int job_id;
  char store_key[96];
  char uris[MAX_URIS][512];
  size_t n_uris;
  char snmp[256];
  int copies; /* 0: the job's own */
  char sides[32];
  char color[16];
  /* result */
  int status;
  char reason[1024];
  char transport[72];
} scout_result;

static void publish_event(scout_releaser *r, const char *release, const char *uuid,
                          const char *state, const char *reason, const char *transport) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", "release", "release", release, "job", uuid,
                        "state", state);
  if (reason && *reason)
    json_object_set_new(o, "reason", json_string(reason));
  if (transport && *transport)
    json_object_set_new(o, "transport", json_string(transport));
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (text && r->mqtt)
    sr_mqtt_publish(r->mqtt, r->evt_topic, text, strlen(text), false, NULL);
  sr_log(strcmp(state, "failed") == 0 ? SR_LOG_WARN : SR_LOG_INFO, "release", "%s job %s: %s%s%s",
         release, uuid, state, reason && *reason ? ": " : "", reason ? reason : "");
  free(text);
}

static int64_t memfd_read(void *ctx, void *buf, size_t len) { return sr_fd_read(ctx, buf, len); }
static int memfd_rewind(void *ctx) {
  return lseek(*(int *)ctx, 0, SEEK_SET) == 0 ? SR_OK : SR_ERR_IO;
}

/* On a worker thread: decrypt and authenticate, check the printer, deliver. */
static void release_work(void *arg) {
  scout_result *res = arg;
  scout_releaser *r = res->releaser;
  int fd = memfd_create("sr-release", MFD_CLOEXEC);
  char *info_json = NULL;
  sr_job_info info;
  char why[256];
  if (fd < 0) {
    res->status = SR_ERR_IO;
    snprintf(res->reason, sizeof res->reason, "no memory for the document");
  } else {
    res->status = sr_jobfile_load(res->store, res->store_key, r->key, fd, &info_json, res->reason,
                                  sizeof res->reason);
  }
  if (res->status == SR_OK && sr_job_info_from_json(info_json, &info, why, sizeof why) != SR_OK) {
    res->status = SR_ERR_CORRUPT;
    snprintf(res->reason, sizeof res->reason, "job information unreadable: %s", why);
  }
  if (res->status == SR_OK && !info.document_format[0]) {
    /* a web upload's information need not name its type (the site's check
     * found it by its bytes, uploads.c): the bytes say it here too */
    const char *sniffed = sr_doc_sniff(fd);
    snprintf(info.document_format, sizeof info.document_format, "%s",
             sniffed ? sniffed : "application/octet-stream");
  }
  if (res->status == SR_OK && r->driver && res->snmp[0]) {
    sr_snmp_options snmp = {.version = 1, .timeout_ms = 1000, .retries = 1};
    int check =
        sr_printer_check(r->driver, res->snmp, &snmp, NULL, res->reason, sizeof res->reason);
    if (check == SR_ERR_TIMEOUT) { /* no SNMP: the transports will tell */
      sr_log(SR_LOG_WARN, "release", "%s: %s", res->release_id, res->reason);
      res->reason[0] = '\0';
    } else if (check != SR_OK) {
      res->status = check;
    }
  }
  if (res->status == SR_OK) {
    sr_job_attrs attrs = {.struct_size = sizeof attrs,
                          .job_name = info.title,
                          .document_format = info.document_format,
                          .copies = res->copies ? res->copies : info.copies,
                          .sides = res->sides[0] ? res->sides : info.sides,
                          .color_mode = res->color[0] ? res->color : info.color_mode,
                          .size = info.size};
    const char *uris[MAX_URIS];
    for (size_t i = 0; i < res->n_uris; i++)
      uris[i] = res->uris[i];
    lseek(fd, 0, SEEK_SET);
    sr_delivery_source source = {memfd_read, memfd_rewind, &fd};
    sr_delivery_result result;
    res->status = sr_deliver(r->transports, r->n_transports, uris, res->n_uris, &attrs, &source,
                             NULL, &result);
    snprintf(res->transport, sizeof res->transport, "%s", result.transport);
    if (res->status != SR_OK)
      snprintf(res->reason, sizeof res->reason, "%s", result.reason);
  }
  if (res->status == SR_OK) { /* printed: its job file goes, here too (the store may block) */
    char err[512];
    if (sr_store_remove_job_files(res->store, res->store_key, err, sizeof err) != SR_OK)
      sr_log(SR_LOG_WARN, "release", "job %s printed but not deleted: %s", res->uuid, err);
  }
  if (fd >= 0)
    close(fd); /* the plaintext goes with it */
  free(info_json);
}

/* Tells the cloud a release waits, once per reason and then at least
 * every WAITING_REPORT_EVERY seconds (which keeps its deadline away). */
static void report_waiting(scout_result *res, const char *reason) {
  time_t now = time(NULL);
  if (strcmp(res->reported, reason) == 0 && now - res->reported_at < WAITING_REPORT_EVERY)
    return;
  snprintf(res->reported, sizeof res->reported, "%s", reason);
  res->reported_at = now;
  publish_event(res->releaser, res->release_id, res->uuid, "waiting", reason, NULL);
}

/* A place in line moved up. Told at most every POSITION_REPORT_EVERY
 * seconds: twenty jobs printed at once must not flood the cloud's event
 * limit (event_limit.c), and its place at the front says "printing". */
static void place_moved(printer_place *place, size_t ahead) {
  scout_result *res = (scout_result *)place;
  if (res->reported_at && time(NULL) - res->reported_at < POSITION_REPORT_EVERY)
    return;
  char why[96];
  snprintf(why, sizeof why, "waiting for %zu job%s ahead at this printer", ahead,
           ahead == 1 ? "" : "s");
  report_waiting((scout_result *)place, why);
}

static void release_done(void *arg);

/* Its turn at the printer (loop thread): to the pool; a pool that is full
 * is tried again like a busy printer. */
static void place_start(printer_place *place) {
  scout_result *res = (scout_result *)place;
  scout_releaser *r = res->releaser;
  if (r->stopping)
    return; /* scout_releaser_stop ends it */
  if (res->attempts == 0 && res->reported[0])
    publish_event(r, res->release_id, res->uuid, "printing", NULL, NULL); /* its turn came */
  res->status = SR_OK;
  res->reason[0] = res->transport[0] = '\0';
  if (sr_worker_pool_submit(r->pool, release_work, release_done, res) != SR_OK) {
    ev_timer_set(&res->retry, RETRY_FIRST, 0);
    ev_timer_start(r->loop, &res->retry);
  }
}

static void retry_fired(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  place_start(w->data);
}

/* After a "busy": true if the printer is asked again later (timer armed),
 * false once the deadline has passed (the reason then says so). */
static bool retry_later(scout_result *res) {
  scout_releaser *r = res->releaser;
  ev_tstamp now = ev_time();
  if (!res->busy_since)
    res->busy_since = now;
  ev_tstamp left = r->busy_deadline - (now - res->busy_since);
  if (r->stopping || left <= 0) {
    char last[sizeof res->reason];
    snprintf(last, sizeof last, "%s", res->reason);
    if (r->stopping)
      snprintf(res->reason, sizeof res->reason,
               "the workstation's scout stopped while the printer was busy (%.900s); release the "
               "job again",
               last);
    else
      snprintf(res->reason, sizeof res->reason, "the printer stayed busy for %.0f s: %.900s",
               now - res->busy_since, last);
    return false;
  }
  double wait = RETRY_FIRST;
  for (int i = 0; i < res->attempts && wait < RETRY_MOST; i++)
    wait *= 2;
  if (wait > RETRY_MOST)
    wait = RETRY_MOST;
  unsigned char noise = 0;
  RAND_bytes(&noise, 1);
  wait *= 0.75 + 0.5 * noise / 255.0;
  if (wait > left) /* the last ask comes at the deadline, not past it */
    wait = left;
  res->attempts++;
  char why[sizeof res->reported];
  snprintf(why, sizeof why, "waiting for the printer: %.220s", res->reason);
  report_waiting(res, why);
  ev_timer_set(&res->retry, wait, 0);
  ev_timer_start(r->loop, &res->retry);
  return true;
}

/* A job file removed on a worker (the store may block): a deleted job's,
 * or a fetched copy done with. Made on
 * the loop; the worker alone touches it until removal_done frees it. */
typedef struct removal {
  sr_instance *store;
  char uuid[64];
  char store_key[96];
} removal;

static void removal_work(void *arg) {
  removal *rm = arg;
  char err[512];
  if (sr_store_remove_job_files(rm->store, rm->store_key, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "release", "job %s deleted, its file not: %s", rm->uuid, err);
}

static void removal_done(void *arg) { free(arg); }

/* A job fetched from its cloud copy whose release did not print: the
 * copy is forgotten here (the cloud keeps its own; a new release fetches
 * it again). Its file is removed on the pool, or here once the pool has
 * stopped. */
static void discard_fetched(scout_releaser *r, int job_id, const char *store_key) {
  scout_job_forget(r->fetched, job_id);
  removal *rm = calloc(1, sizeof *rm);
  if (rm) {
    *rm = (removal){.store = r->cache};
    const char *name = strrchr(store_key, '/') ? strrchr(store_key, '/') + 1 : store_key;
    snprintf(rm->uuid, sizeof rm->uuid, "%.*s", (int)strcspn(name, "."), name);
    snprintf(rm->store_key, sizeof rm->store_key, "%s", store_key);
  }
  if (rm && r->stopping) { /* the loop has ended: blocking is no harm now */
    removal_work(rm);
    removal_done(rm);
  } else if (!rm || sr_worker_pool_submit(r->pool, removal_work, removal_done, rm) != SR_OK) {
    sr_log(SR_LOG_WARN, "release",
           "the fetched copy %s stays in the cache until the next start (too busy to remove it "
           "now)",
           store_key);
    free(rm);
  }
}

/* Why the releases that end without their turn end (end_unstarted). */
typedef struct ending {
  scout_releaser *releaser;
  const char *reason;
} ending;

/* A release that will not run (the scout stops, or its printer stayed
 * busy past the deadline for the one ahead): its job is held again and
 * the cloud told at once rather than at its deadline. */
static void end_unstarted(printer_place *place, void *ctx) {
  scout_result *res = (scout_result *)place;
  const ending *why = ctx;
  scout_releaser *r = why->releaser;
  ev_timer_stop(r->loop, &res->retry);
  scout_job job;
  if (res->table == r->fetched) {
    discard_fetched(r, res->job_id, res->store_key);
  } else if (scout_job_get(res->table, res->job_id, &job)) {
    job.state = SCOUT_JOB_HELD;
    job.release_id[0] = '\0';
    scout_job_transition(res->table, &job, SCOUT_JOB_RELEASING);
  }
  publish_event(r, res->release_id, res->uuid, "failed", why->reason, NULL);
  free(res);
}

/* On the loop: apply a finished release to its job and report it; the
 * next release in its printer's line starts. */
static void release_done(void *arg) {
  scout_result *res = arg;
  scout_releaser *r = res->releaser;
  if (res->status == SR_ERR_BUSY && retry_later(res))
    return;
  scout_job job;
  if (res->status != SR_OK && res->table == r->fetched) {
    discard_fetched(r, res->job_id, res->store_key); /* the cloud still has its copy */
  } else if (scout_job_get(res->table, res->job_id, &job)) {
    if (res->status == SR_OK) {
      job.state = SCOUT_JOB_PRINTED; /* release_work removed its file */
      job.completed = time(NULL);
    } else {
      job.state = SCOUT_JOB_HELD; /* a failed release loses nothing */
      job.release_id[0] = '\0';
    }
    scout_job_transition(res->table, &job, SCOUT_JOB_RELEASING); /* only a release moves it */
  }
  publish_event(r, res->release_id, res->uuid, res->status == SR_OK ? "printed" : "failed",
                res->reason, res->transport);
  if (res->status == SR_ERR_BUSY && !r->stopping) {
    /* the ones behind waited at least as long for the same busy printer:
     * they end now, not one deadline after another */
    char reason[sizeof res->reason + 64];
    snprintf(reason, sizeof reason, "%s (the job ahead of it waited that long)", res->reason);
    printer_lines_drain_line(r->lines, res->place.printer, end_unstarted, &(ending){r, reason});
  }
  printer_lines_leave(r->lines, &res->place);
  free(res);
}

/* A copy left in the cache by an earlier run (stopped mid-fetch, or a
 * removal that could not run): removed at start. */
static int remove_leftover(void *ctx, const char *key) {
  scout_releaser *r = ctx;
  char err[512];
  if (sr_store_remove(r->cache, key, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "release", "a fetched copy stays in the cache: %s", err);
  return SR_OK;
}

static bool start_lists_fetch(scout_releaser *r, json_t *cmd);

static void lists_timer_fired(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  if (!start_lists_fetch(w->data, NULL))
    sr_log(SR_LOG_WARN, "printers",
           "cannot fetch the site's printer lists now (busy); asked again later");
}

bool scout_releaser_start(scout_releaser *r) {
  r->pool = sr_worker_pool_new(r->loop, RELEASE_THREADS, RELEASE_QUEUE);
  r->lines = printer_lines_new();
  if (r->cloud) {
    char err[512];
    r->fetched = scout_job_table_new();
    if (sr_store_list(r->cache, FETCHED, remove_leftover, r, err, sizeof err) != SR_OK)
      sr_log(SR_LOG_WARN, "release", "cannot list the cache of fetched copies: %s", err);
  }
  bool started = r->pool != NULL && r->lines != NULL && (!r->cloud || r->fetched);
  if (started && r->book && r->lists_cloud) {
    /* now, then on a cadence: a printer the site stopped signing is
     * dropped here once the newer list comes */
    ev_timer_init(&r->lists_timer, lists_timer_fired, 0.,
                  r->lists_every > 0 ? r->lists_every : 600.);
    r->lists_timer.data = r;
    lists_timer_fired(r->loop, &r->lists_timer, 0);
    ev_timer_again(r->loop, &r->lists_timer);
  }
  return started;
}

static const char *text_member(json_t *o, const char *key) {
  json_t *v = json_object_get(o, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool uuid_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 40)
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

/* Fills the printer and settings of `res` from the command; false with
 * `why` if it may not print, and *unlisted when the printer is not on the
 * signed lists held now (a fetch of the lists may bring it). */
static bool read_command(const scout_releaser *r, json_t *cmd, scout_result *res, char *why,
                         size_t size, bool *unlisted) {
  json_t *printer = json_object_get(cmd, "printer");
  json_t *uris = json_object_get(printer, "uris");
  const char *device = text_member(printer, "device"), *snmp = text_member(printer, "snmp");
  *unlisted = false;
  if (!json_is_array(uris) || json_array_size(uris) == 0 || json_array_size(uris) > MAX_URIS) {
    snprintf(why, size, "the command names no printer URIs");
    return false;
  }
  for (size_t i = 0; i < json_array_size(uris); i++) {
    json_t *u = json_array_get(uris, i);
    if (!json_is_string(u) || json_string_length(u) >= sizeof res->uris[0]) {
      snprintf(why, size, "printer URI %zu is not text", i);
      return false;
    }
    sr_printer_verdict verdict =
        sr_printer_allowed(r->printers, r->book, device, json_string_value(u), snmp, why, size);
    if (verdict != SR_PRINTER_ALLOWED) {
      *unlisted = verdict == SR_PRINTER_UNLISTED;
      return false;
    }
    snprintf(res->uris[res->n_uris++], sizeof res->uris[0], "%s", json_string_value(u));
  }
  snprintf(res->snmp, sizeof res->snmp, "%s", snmp ? snmp : "");
  json_t *settings = json_object_get(cmd, "settings");
  json_t *copies = json_object_get(settings, "copies");
  if (copies && (!json_is_integer(copies) || json_integer_value(copies) < 1 ||
                 json_integer_value(copies) > 999)) {
    snprintf(why, size, "copies must be 1 to 999");
    return false;
  }
  res->copies = copies ? (int)json_integer_value(copies) : 0;
  const char *sides = text_member(settings, "sides"), *color = text_member(settings, "color");
  if (sides && strcmp(sides, "one-sided") && strcmp(sides, "two-sided-long-edge") &&
      strcmp(sides, "two-sided-short-edge")) {
    snprintf(why, size, "unknown sides '%.40s'", sides);
    return false;
  }
  if (color && strcmp(color, "color") && strcmp(color, "monochrome") && strcmp(color, "auto")) {
    snprintf(why, size, "unknown color '%.40s'", color);
    return false;
  }
  snprintf(res->sides, sizeof res->sides, "%s", sides ? sides : "");
  snprintf(res->color, sizeof res->color, "%s", color ? color : "");
  return true;
}

/* The cloud deleted (or expired) a held job: its file goes too. */
static void delete_job(scout_releaser *r, const char *uuid) {
  scout_job job;
  if (!scout_job_find_uuid(r->jobs, uuid, &job) || job.state != SCOUT_JOB_HELD)
    return; /* gone already, or being printed (the cloud refuses that) */
  /* canceled first: no release can start on it while its file is removed */
  job.state = SCOUT_JOB_CANCELED;
  job.completed = time(NULL);
  snprintf(job.reason, sizeof job.reason, "deleted through the cloud");
  if (!scout_job_transition(r->jobs, &job, SCOUT_JOB_HELD))
    return; /* canceled at the queue since: its file went there */
  sr_log(SR_LOG_INFO, "release", "job %s deleted through the cloud", uuid);
  removal *rm = calloc(1, sizeof *rm);
  if (rm) {
    *rm = (removal){.store = r->storage};
    snprintf(rm->uuid, sizeof rm->uuid, "%s", uuid);
    snprintf(rm->store_key, sizeof rm->store_key, "%s", job.store_key);
  }
  if (!rm || sr_worker_pool_submit(r->pool, removal_work, removal_done, rm) != SR_OK) {
    sr_log(SR_LOG_WARN, "release",
           "job %s: its file %s stays in the store (too busy to remove it now); the scout "
           "holds it again after a restart, delete it then",
           uuid, job.store_key);
    free(rm);
  }
}

/* Held -> releasing by `release`, unless the queue's Cancel-Job moved the
 * job since it was read (it runs on a connection thread): false then. */
static bool start_releasing(scout_job_table *jobs, scout_job *job, const char *release) {
  job->state = SCOUT_JOB_RELEASING;
  job->processing = time(NULL);
  snprintf(job->release_id, sizeof job->release_id, "%s", release);
  return scout_job_transition(jobs, job, SCOUT_JOB_HELD);
}

/* Takes release `release` of held job `job` (of `table`, its file in
 * `store`) as `cmd` says: into its printer's line. Else reports why not. */
static void take(scout_releaser *r, json_t *cmd, scout_job_table *table, sr_instance *store,
                 scout_job job, const char *release, bool lists_fetched) {
  char why[512] = "";
  bool unlisted = false;
  scout_result *res = calloc(1, sizeof *res);
  const char *uuid = text_member(cmd, "job");
  if (!res) {
    publish_event(r, release, uuid, "failed", "out of memory", NULL);
  } else if (job.state != SCOUT_JOB_HELD) {
    snprintf(why, sizeof why, "the job is not held (%s)",
             job.state == SCOUT_JOB_RELEASING ? "another release is printing it"
             : job.state == SCOUT_JOB_PRINTED ? "already printed"
             : job.state == SCOUT_JOB_EXPIRED ? "expired: not released within its hold time"
                                              : "deleted");
    publish_event(r, release, uuid, "failed", why, NULL);
  } else if (!read_command(r, cmd, res, why, sizeof why, &unlisted)) {
    /* a printer the lists held do not name: the site may have signed it
     * since; asked once, then refused */
    if (!(unlisted && !lists_fetched && start_lists_fetch(r, cmd))) {
      publish_event(r, release, uuid, "failed", why, NULL);
      if (table == r->fetched) /* a copy fetched for a printer refused: of no use here */
        discard_fetched(r, job.id, job.store_key);
    }
  } else if (!start_releasing(table, &job, release)) {
    /* Cancel-Job at the queue came between the check and now */
    publish_event(r, release, uuid, "failed", "the job is not held (deleted)", NULL);
  } else {
    res->releaser = r;
    res->table = table;
    res->store = store;
    res->job_id = job.id;
    snprintf(res->release_id, sizeof res->release_id, "%s", release);
    snprintf(res->uuid, sizeof res->uuid, "%s", uuid);
    snprintf(res->store_key, sizeof res->store_key, "%s", job.store_key);
    publish_event(r, release, uuid, "printing", NULL, NULL);
    /* the printer's line: its URIs name it (the cloud sends a device's
     * URIs alike every time) */
    for (size_t i = 0; i < res->n_uris; i++) {
      size_t used = strlen(res->place.printer);
      snprintf(res->place.printer + used, sizeof res->place.printer - used, "%s%.200s",
               i ? " " : "", res->uris[i]);
    }
    res->place.submitted = job.created;
    res->place.job_id = job.id;
    res->place.start = place_start;
    res->place.moved = place_moved;
    ev_timer_init(&res->retry, retry_fired, 0, 0);
    res->retry.data = res;
    printer_lines_join(r->lines, &res->place);
    res = NULL; /* the line's and the pool's, then release_done's */
  }
  free(res);
}

/* A job's cloud copy on its way into the cache. Made on the loop; the
 * worker alone touches it until fetch_done frees it. */
typedef struct fetch {
  scout_releaser *releaser;
  json_t *cmd; /* the command, taken once the copy is here */
  int job_id;  /* in r->fetched, incoming until then */
  char uuid[64], store_key[96];
  int status;
  char reason[1024];
} fetch;

static int write_to_fd(void *fd_ptr, const void *data, size_t len) {
  return sr_fd_write(fd_ptr, data, len);
}

/* On a worker: GET the copy (ciphertext; nothing is decrypted here) into a
 * memory file, then into the cache. */
static void fetch_work(void *arg) {
  fetch *f = arg;
  scout_releaser *r = f->releaser;
  char path[160], err[768] = "";
  snprintf(path, sizeof path, "/api/v1/scout/jobs/%s/copy", f->uuid);
  int fd = memfd_create("sr-copy", MFD_CLOEXEC), status = 0;
  json_t *reply = NULL;
  f->status = fd < 0 ? SR_ERR_IO
                     : sr_cloud_download(r->cloud, path, write_to_fd, &fd, &status, &reply, err,
                                         sizeof err);
  if (f->status == SR_OK && status != 200) {
    f->status = SR_ERR_PEER;
    snprintf(err, sizeof err, "the cloud answered %d: %s", status,
             sr_cloud_error_message(reply, "no reason given"));
  }
  if (f->status == SR_OK && lseek(fd, 0, SEEK_SET) != 0)
    f->status = SR_ERR_IO;
  if (f->status == SR_OK)
    f->status = sr_store_put(r->cache, f->store_key, sr_fd_read, &fd, err, sizeof err);
  if (f->status != SR_OK)
    snprintf(f->reason, sizeof f->reason, "cannot fetch the job's cloud copy: %s",
             err[0] ? err : sr_status_name(f->status));
  json_decref(reply);
  if (fd >= 0)
    close(fd);
}

static void handle_command(scout_releaser *r, json_t *cmd, bool deadline_checked,
                           bool lists_fetched);

/* On the loop: the copy is in the cache (the job is held in r->fetched
 * now, and the command taken as for a job of this scout's), or not. */
static void fetch_done(void *arg) {
  fetch *f = arg;
  scout_releaser *r = f->releaser;
  const char *release = text_member(f->cmd, "release");
  scout_job job;
  bool here = scout_job_get(r->fetched, f->job_id, &job);
  if (f->status == SR_OK && here && !r->stopping) {
    job.state = SCOUT_JOB_HELD;
    job.release_id[0] = '\0';
    scout_job_transition(r->fetched, &job, SCOUT_JOB_INCOMING);
    handle_command(r, f->cmd, true, false); /* its deadline was met when it came */
  } else {
    if (here)
      discard_fetched(r, f->job_id, f->store_key);
    publish_event(r, release, f->uuid, "failed",
                  r->stopping ? "the scout stopped before it could print; release the job again"
                              : f->reason,
                  NULL);
  }
  json_decref(f->cmd);
  free(f);
}

/* A release of a job this scout does not hold: its cloud copy is fetched
 * first (failover; the cloud chose this scout). The cloud hears "printing"
 * at once, which is the answer it waits for. */
static void start_fetch(scout_releaser *r, json_t *cmd, const char *release, const char *uuid) {
  scout_job job = {.state = SCOUT_JOB_INCOMING, .created = time(NULL), .pages = -1};
  /* a folder of their own: never taken for this scout's own jobs, even in
   * a cache that shares the job store's place */
  snprintf(job.store_key, sizeof job.store_key, FETCHED "%s.srjob", uuid);
  snprintf(job.release_id, sizeof job.release_id, "%s", release);
  fetch *f = calloc(1, sizeof *f);
  scout_job added;
  if (!f || scout_job_add(r->fetched, &job, &added) != SR_OK) {
    publish_event(r, release, uuid, "failed", "out of memory", NULL);
    free(f);
    return;
  }
  *f = (fetch){.releaser = r, .cmd = json_incref(cmd), .job_id = added.id};
  snprintf(f->uuid, sizeof f->uuid, "%s", uuid);
  snprintf(f->store_key, sizeof f->store_key, "%s", job.store_key);
  if (sr_worker_pool_submit(r->pool, fetch_work, fetch_done, f) != SR_OK) {
    scout_job_forget(r->fetched, added.id);
    json_decref(f->cmd);
    free(f);
    publish_event(r, release, uuid, "failed", "the scout is too busy; release the job again", NULL);
    return;
  }
  /* taken: the answer the cloud waits for, then why it takes a while */
  publish_event(r, release, uuid, "printing", NULL, NULL);
  publish_event(r, release, uuid, "waiting", "fetching the job's cloud copy", NULL);
}

static void handle_command(scout_releaser *r, json_t *cmd, bool deadline_checked,
                           bool lists_fetched) {
  const char *release = text_member(cmd, "release"), *uuid = text_member(cmd, "job");
  json_t *deadline = json_object_get(cmd, "deadline");
  if (!json_is_integer(deadline)) {
    /* without one, a scout that wakes up late could print a job the cloud
     * has since given to another deliverer */
    sr_log(SR_LOG_WARN, "release", "%s job %s: ignored a command without a deadline", release,
           uuid);
    return;
  }
  /* its own jobs, else those fetched for others */
  scout_job job;
  scout_job_table *table = r->jobs;
  bool known = scout_job_find_uuid(r->jobs, uuid, &job);
  if (!known && r->fetched && scout_job_find_uuid(r->fetched, uuid, &job)) {
    known = true;
    table = r->fetched;
  }
  /* incoming: a copy being fetched for this very release */
  bool repeated = known && strcmp(job.release_id, release) == 0 &&
                  (job.state == SCOUT_JOB_INCOMING || job.state == SCOUT_JOB_RELEASING ||
                   job.state == SCOUT_JOB_PRINTED);
  int64_t late = (int64_t)time(NULL) - json_integer_value(deadline);
  /* the cloud asks again about a release this scout said it prints, and
   * it is not under way here: the scout stopped while printing it (its job
   * was held again at the restart), or it printed and forgot it. Failed,
   * so that it is held at the cloud too and can be released again, rather
   * than left to time out (docs/scaling.md, "A scout that dies") */
  const char *again = text_member(cmd, "again");
  bool lost = !repeated && again && strcmp(again, "printing") == 0 &&
              (!known || job.state == SCOUT_JOB_HELD) &&
              r->commands_awaiting_lists == 0; /* a release may be waiting for them, held */
  if (lost) {
    sr_log(SR_LOG_WARN, "release", "%s job %s: asked again, and not under way here; failed",
           release, uuid);
    publish_event(r, release, uuid, "failed",
                  "the scout stopped while printing it; release the job again", NULL);
  } else if (!repeated && !deadline_checked && late > 0) {
    /* too late: the cloud has moved on (another deliverer, or failed it);
     * acting now could print twice, answering would only be noise */
    sr_log(SR_LOG_WARN, "release",
           "%s job %s: dropped, received %lld s after its deadline (was this computer asleep, "
           "or is its clock wrong?)",
           release, uuid, (long long)late);
  } else if (repeated) {
    /* the same command again (QoS 1 may repeat it, a restarted cloud
     * asks again): never print twice; say again where it is, as the
     * answer may have been lost */
    publish_event(r, release, uuid, job.state == SCOUT_JOB_PRINTED ? "printed" : "printing", NULL,
                  NULL);
  } else if (!known && r->cloud && !r->stopping) {
    start_fetch(r, cmd, release, uuid);
  } else if (!known) {
    publish_event(r, release, uuid, "failed", "no such job on this scout", NULL);
  } else {
    take(r, cmd, table, table == r->jobs ? r->storage : r->cache, job, release, lists_fetched);
  }
}

/* The site's signed printer lists on their way from the cloud, at start
 * or for a release naming a printer they did not have. Made on the loop;
 * the worker alone touches it until lists_fetch_done frees it. */
typedef struct lists_fetch {
  scout_releaser *releaser;
  json_t *cmd; /* the release waiting for them; NULL at start */
  int status;
  char reason[512];
} lists_fetch;

static void lists_fetch_work(void *arg) {
  lists_fetch *f = arg;
  f->status = sr_printer_book_fetch(f->releaser->book, f->releaser->lists_cloud, f->reason,
                                    sizeof f->reason);
}

static void lists_fetch_done(void *arg) {
  lists_fetch *f = arg;
  scout_releaser *r = f->releaser;
  if (f->status != SR_OK)
    sr_log(SR_LOG_WARN, "printers", "cannot fetch the site's printer lists: %s", f->reason);
  else
    sr_log(SR_LOG_INFO, "printers", "holds the signed printer lists of %zu site%s",
           sr_printer_book_count(r->book), sr_printer_book_count(r->book) == 1 ? "" : "s");
  if (f->cmd)
    r->commands_awaiting_lists--;
  if (f->cmd && r->stopping)
    publish_event(r, text_member(f->cmd, "release"), text_member(f->cmd, "job"), "failed",
                  "the scout stopped before it could print; release the job again", NULL);
  else if (f->cmd) /* its deadline checked again: the fetch took time */
    handle_command(r, f->cmd, false, true);
  json_decref(f->cmd);
  free(f);
}

/* Fetches the lists on the pool, then takes `cmd` (may be NULL) again.
 * False if it cannot (no cloud to ask, the pool full). */
static bool start_lists_fetch(scout_releaser *r, json_t *cmd) {
  lists_fetch *f = r->book && r->lists_cloud && !r->stopping ? calloc(1, sizeof *f) : NULL;
  if (!f)
    return false;
  *f = (lists_fetch){.releaser = r, .cmd = cmd ? json_incref(cmd) : NULL};
  if (sr_worker_pool_submit(r->pool, lists_fetch_work, lists_fetch_done, f) != SR_OK) {
    json_decref(f->cmd);
    free(f);
    return false;
  }
  if (cmd)
    r->commands_awaiting_lists++;
  return true;
}

void scout_releaser_command(scout_releaser *r, const char *payload, size_t len) {
  json_error_t error;
  json_t *cmd = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &error);
  const char *type = text_member(cmd, "type"), *release = text_member(cmd, "release");
  const char *uuid = text_member(cmd, "job");
  if (type && strcmp(type, "delete") == 0 && uuid && uuid_ok(uuid)) {
    delete_job(r, uuid);
  } else if (!cmd || !type || strcmp(type, "release") != 0 || !release || strlen(release) >= 64 ||
             !uuid || !uuid_ok(uuid)) {
    sr_log(SR_LOG_WARN, "release", "ignored a malformed command: %s",
           cmd ? "missing or bad type, release or job" : error.text);
  } else {
    handle_command(r, cmd, false, false);
  }
  json_decref(cmd);
}

void scout_releaser_stop(scout_releaser *r) {
  r->stopping = true; /* no release starts, none is asked again */
  if (r->book && r->lists_cloud)
    ev_timer_stop(r->loop, &r->lists_timer);
  sr_worker_pool_free(r->pool); /* reports what finishes */
  r->pool = NULL;
  if (r->lines)
    printer_lines_drain(r->lines, end_unstarted,
                        &(ending){r, "the workstation's scout stopped before it could print; "
                                     "release the job again"});
  printer_lines_free(r->lines);
  r->lines = NULL;
  scout_job_table_free(r->fetched);
  r->fetched = NULL;
}

bool scout_release_check_command(const scout_releaser *r, const char *payload, size_t len,
                                 char *why, size_t why_size) {
  json_t *cmd = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
  scout_result *res = calloc(1, sizeof *res);
  bool unlisted;
  bool ok = cmd && res && read_command(r, cmd, res, why, why_size, &unlisted);
  free(res);
  json_decref(cmd);
  return ok;
}
