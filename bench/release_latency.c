/*
 * release-latency-driver: our release path timed per job, end to end. Held
 * jobs go into the print scout's IPP queue; a panel session releases them
 * one request per job through the panel API (sr-device-scout -> cloud ->
 * MQTT -> print scout -> RAW) to an in-process sink standing in for the
 * printer. "C in flight" means C jobs between their release request and
 * their last byte at the sink: a worker releases its next job only once the
 * previous one is complete there.
 *
 * usage: release-latency-driver --panel URL --ca FILE --queue URI --card CARD
 *          --device ID --sink-port P [--jobs N] [--concurrency C]
 *
 * Exit status: 0 all printed and byte-identical, 1 an error (or a document
 * that differs), 2 usage, 3 some releases failed (figures still printed).
 */
#include <cups/cups.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"
#include "marker_sink.h"

#define PRINTED_POLL_S 0.002  /* job-status polls once a job is complete at the sink */
#define PRINTED_POLLERS 8     /* threads asking, each about every 8th job */
#define HELD_POLL_S 0.05      /* while waiting for submitted jobs to show up */
#define HELD_TIMEOUT_S 60     /* submitted jobs must be listed as held within this */
#define JOB_TIMEOUT_S 60      /* a released job must be complete at the sink within this */
#define HTTP_TIMEOUT_MS 30000 /* any one panel request */
#define DOC_MIN_BYTES 4096    /* like cups-release-bench's generated page */

typedef struct options {
  const char *panel, *ca, *queue, *card, *device;
  int sink_port, jobs, concurrency;
} options;

/* One job of the run. t0/acked/printed/reason are under run.mu. */
typedef struct job {
  char id[64]; /* the cloud's id, from the panel's list */
  char *doc;   /* the document submitted, to compare with the sink's copy */
  size_t doc_len;
  double t0;      /* release request about to be sent; 0 before */
  double acked;   /* its answer received; 0 before */
  double printed; /* GET /jobs/ID said "printed"; 0 before */
  atomic_int failed;
  char reason[256];
} job;

typedef struct run {
  const options *o;
  char token[256];
  marker_sink *sink;
  job *jobs;
  int n;
  atomic_int next;      /* the next job index to release */
  atomic_int abort;     /* the sink saw something odd: stop releasing */
  atomic_int releasing; /* workers still releasing */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int ready, go;        /* under mu: workers connect before the first release */
  int failures;         /* under mu */
  char error[512];      /* under mu: a worker's setup failure */
  int polls;            /* job-status requests (under mu) */
  int poll_errors;      /* those that did not come back with 200 */
  char poll_error[256]; /* the last such error */
  double poll_time;     /* seconds spent in job-status requests */
} run;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

static void sleep_s(double s) {
  if (s <= 0)
    return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interrupted)
    ;
}

/* ---- documents ----------------------------------------------------------- */

/* Job `index`'s PostScript page: the marker line right after "%!PS", then
 * text lines (which name the job too, so documents differ beyond the
 * marker) up to DOC_MIN_BYTES. Malloc'd; NULL when out of memory. */
static char *make_document(int index, size_t *len) {
  size_t cap = DOC_MIN_BYTES + 512;
  char *doc = malloc(cap);
  if (!doc)
    return NULL;
  char marker[MARKER_HEAD_MAX];
  marker_line(index, marker, sizeof marker);
  size_t n = (size_t)snprintf(doc, cap,
                              "%%!PS-Adobe-3.0\n%s%%%%Pages: 1\n%%%%EndComments\n"
                              "/Courier findfont 9 scalefont setfont\n",
                              marker);
  for (int line = 0; n < DOC_MIN_BYTES; line++)
    n += (size_t)snprintf(doc + n, cap - n,
                          "36 %d moveto (release-latency job %d line %02d: the quick brown fox) "
                          "show\n",
                          760 - 12 * line, index, line);
  n += (size_t)snprintf(doc + n, cap - n, "showpage\n%%%%EOF\n");
  *len = n;
  return doc;
}

/* ---- IPP submission ------------------------------------------------------ */

static bool loopback_host(const char *host) {
  return !strcmp(host, "127.0.0.1") || !strcasecmp(host, "localhost");
}

/* Print-Job of `doc` as "bench-<index>" on an open connection. */
static int submit_job(http_t *http, const char *uri, const char *resource, int index,
                      const char *doc, size_t len, char *err, size_t err_size) {
  char title[32];
  snprintf(title, sizeof title, "bench-%d", index);
  ipp_t *req = ippNewRequest(IPP_OP_PRINT_JOB);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, title);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
               "application/postscript");
  /* cupsSendRequest takes the request; the response is ours */
  http_status_t st = cupsSendRequest(http, req, resource, ippLength(req) + len);
  if (st == HTTP_STATUS_CONTINUE)
    st = cupsWriteRequestData(http, doc, len);
  ipp_t *resp = st == HTTP_STATUS_CONTINUE ? cupsGetResponse(http, resource) : NULL;
  int rc = resp && ippGetStatusCode(resp) <= IPP_STATUS_OK_CONFLICTING ? 0 : -1;
  if (rc != 0)
    snprintf(err, err_size, "Print-Job bench-%d: %s", index, cupsLastErrorString());
  ippDelete(resp);
  return rc;
}

static int submit_all(const options *o, job *jobs, char *err, size_t err_size) {
  char scheme[32], user[64], host[256], resource[256];
  int port;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, o->queue, scheme, sizeof scheme, user, sizeof user, host,
                      sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      strcmp(scheme, "ipp") || !loopback_host(host)) {
    snprintf(err, err_size, "--queue must be ipp://127.0.0.1:PORT/... or ipp://localhost:...: %s",
             o->queue);
    return -1;
  }
  http_t *http =
      httpConnect2(host, port, NULL, AF_UNSPEC, HTTP_ENCRYPTION_NEVER, 1, HTTP_TIMEOUT_MS, NULL);
  if (!http) {
    snprintf(err, err_size, "connecting to the queue %s: %s", o->queue, cupsLastErrorString());
    return -1;
  }
  int rc = 0;
  for (int i = 0; i < o->jobs && rc == 0 && !interrupted; i++)
    rc = submit_job(http, o->queue, resource, i, jobs[i].doc, jobs[i].doc_len, err, err_size);
  httpClose(http);
  if (rc == 0 && interrupted) {
    snprintf(err, err_size, "interrupted");
    rc = -1;
  }
  return rc;
}

/* ---- panel API ------------------------------------------------------------- */

typedef struct panel {
  CURL *curl;
  struct curl_slist *headers;
  const options *o;
  char *body; /* the last reply */
  size_t len, cap;
  int oom;
  char error[CURL_ERROR_SIZE];
} panel;

static size_t on_body(char *data, size_t size, size_t count, void *ctx) {
  panel *p = ctx;
  size_t n = size * count;
  if (p->len + n + 1 > p->cap) {
    size_t cap = p->cap ? p->cap : 16384;
    while (cap < p->len + n + 1)
      cap *= 2;
    char *more = realloc(p->body, cap);
    if (!more) {
      p->oom = 1;
      return 0; /* makes curl fail the transfer */
    }
    p->body = more;
    p->cap = cap;
  }
  memcpy(p->body + p->len, data, n);
  p->len += n;
  p->body[p->len] = '\0';
  return n;
}

/* A keep-alive HTTPS client of the panel API; `token` (may be NULL) goes
 * into every request as the bearer. 0, or -1 when curl cannot start. */
static int panel_open(panel *p, const options *o, const char *token) {
  memset(p, 0, sizeof *p);
  p->o = o;
  if (!(p->curl = curl_easy_init()))
    return -1;
  char auth[320];
  /* no "Expect: 100-continue": the server never sends 100 Continue */
  p->headers = curl_slist_append(NULL, "Expect:");
  p->headers = curl_slist_append(p->headers, "Content-Type: application/json");
  if (token) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    p->headers = curl_slist_append(p->headers, auth);
  }
  curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->headers);
  curl_easy_setopt(p->curl, CURLOPT_CAINFO, o->ca);
  curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, p);
  curl_easy_setopt(p->curl, CURLOPT_ERRORBUFFER, p->error);
  curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L); /* many threads: no SIGALRM timeouts */
  curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, (long)HTTP_TIMEOUT_MS);
  curl_easy_setopt(p->curl, CURLOPT_TCP_NODELAY, 1L);
  /* the server speaks HTTP/1.1 only; say so rather than negotiate */
  curl_easy_setopt(p->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
  return p->headers ? 0 : -1;
}

static void panel_close(panel *p) {
  if (p->curl)
    curl_easy_cleanup(p->curl);
  curl_slist_free_all(p->headers);
  free(p->body);
  memset(p, 0, sizeof *p);
}

/* GET `path` (post_body NULL) or POST post_body to it. Returns the HTTP
 * status, or 0 when no answer came (p->error says why); *reply (if asked)
 * is the parsed JSON body or NULL, for the caller to decref. */
static long panel_call(panel *p, const char *path, const char *post_body, json_t **reply) {
  char url[1024];
  snprintf(url, sizeof url, "%s%s", p->o->panel, path);
  curl_easy_setopt(p->curl, CURLOPT_URL, url);
  if (post_body) {
    curl_easy_setopt(p->curl, CURLOPT_POSTFIELDS, post_body);
    curl_easy_setopt(p->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(post_body));
  } else {
    curl_easy_setopt(p->curl, CURLOPT_HTTPGET, 1L);
  }
  p->len = 0;
  p->oom = 0;
  p->error[0] = '\0';
  if (reply)
    *reply = NULL;
  CURLcode rc = curl_easy_perform(p->curl);
  if (rc != CURLE_OK) {
    if (!p->error[0])
      snprintf(p->error, sizeof p->error, "%s", p->oom ? "out of memory" : curl_easy_strerror(rc));
    return 0;
  }
  long status = 0;
  curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
  if (reply && p->len)
    *reply = json_loadb(p->body, p->len, 0, NULL);
  return status;
}

/* The server's error message in `reply`, else the raw body, else curl's. */
static const char *panel_why(const panel *p, json_t *reply) {
  const char *msg = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
  return msg ? msg : p->len ? p->body : p->error[0] ? p->error : "no answer";
}

static int login(run *r, char *err, size_t err_size) {
  panel p;
  if (panel_open(&p, r->o, NULL) != 0) {
    snprintf(err, err_size, "curl does not start");
    return -1;
  }
  json_t *body = json_pack("{s:s, s:s}", "device", r->o->device, "card", r->o->card);
  char *text = json_dumps(body, JSON_COMPACT);
  json_t *reply = NULL;
  long st = text ? panel_call(&p, "/api/v1/panel/sessions", text, &reply) : 0;
  const char *token = json_string_value(json_object_get(reply, "session"));
  int rc = -1;
  if (st != 201 || !token || strlen(token) >= sizeof r->token)
    snprintf(err, err_size, "logging in at %s (device %s): HTTP %ld: %.300s", r->o->panel,
             r->o->device, st, panel_why(&p, reply));
  else {
    snprintf(r->token, sizeof r->token, "%s", token);
    rc = 0;
  }
  json_decref(reply);
  free(text);
  json_decref(body);
  panel_close(&p);
  return rc;
}

/* The index N of a job titled "bench-N", or -1. */
static int bench_index(const char *title, int n) {
  int index, used = 0;
  if (!title || sscanf(title, "bench-%d%n", &index, &used) != 1 || title[used] != '\0' ||
      index < 0 || index >= n)
    return -1;
  return index;
}

/* Polls the job list until every submitted job is listed as held, and
 * files their ids. */
static int wait_held(run *r, char *err, size_t err_size) {
  panel p;
  if (panel_open(&p, r->o, r->token) != 0) {
    snprintf(err, err_size, "curl does not start");
    return -1;
  }
  double deadline = bench_now_s() + HELD_TIMEOUT_S;
  int held = 0, rc = -1;
  while (!interrupted) {
    /* the list comes a page at a time: every page, each poll */
    char path[400] = "/api/v1/panel/jobs?limit=200";
    bool more = true;
    while (more) {
      json_t *reply = NULL;
      long st = panel_call(&p, path, NULL, &reply);
      if (st != 200) {
        snprintf(err, err_size, "listing jobs: HTTP %ld: %.300s", st, panel_why(&p, reply));
        json_decref(reply);
        goto out;
      }
      size_t i;
      json_t *j;
      bool only_ours = true; /* newest first: past a job not ours come older ones (seeded) */
      json_array_foreach(json_object_get(reply, "jobs"), i, j) {
        int index = bench_index(json_string_value(json_object_get(j, "title")), r->n);
        const char *id = json_string_value(json_object_get(j, "id"));
        const char *state = json_string_value(json_object_get(j, "state"));
        only_ours = only_ours && index >= 0;
        if (index < 0 || !id || !state || strcmp(state, "held"))
          continue;
        /* ids go into URLs and JSON as they are: keep to plain characters */
        if (strlen(id) >= sizeof r->jobs[index].id ||
            strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                strlen(id)) {
          snprintf(err, err_size, "job bench-%d has an unexpected id '%.80s'", index, id);
          json_decref(reply);
          goto out;
        }
        snprintf(r->jobs[index].id, sizeof r->jobs[index].id, "%s", id);
      }
      /* the cursor is digits, a dot and an id's plain characters */
      const char *next = json_string_value(json_object_get(reply, "next_cursor"));
      more = only_ours && next && strlen(next) < 300 &&
             strspn(next, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
                 strlen(next);
      if (more)
        snprintf(path, sizeof path, "/api/v1/panel/jobs?limit=200&cursor=%s", next);
      json_decref(reply);
    }
    held = 0;
    for (int k = 0; k < r->n; k++)
      held += r->jobs[k].id[0] != '\0';
    if (held == r->n) {
      rc = 0;
      break;
    }
    if (bench_now_s() > deadline) {
      snprintf(err, err_size, "only %d of %d submitted jobs were listed as held within %d s", held,
               r->n, HELD_TIMEOUT_S);
      break;
    }
    sleep_s(HELD_POLL_S);
  }
  if (rc != 0 && !err[0])
    snprintf(err, err_size, "interrupted");
out:
  panel_close(&p);
  return rc;
}

/* ---- releasing ------------------------------------------------------------- */

/* Files job i as failed (once; a job already printed stays printed) and
 * wakes its worker. */
static void job_fail(run *r, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void job_fail(run *r, int i, const char *fmt, ...) {
  job *j = &r->jobs[i];
  pthread_mutex_lock(&r->mu);
  if (!atomic_load(&j->failed) && j->printed == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->reason, sizeof j->reason, fmt, ap);
    va_end(ap);
    r->failures++;
    atomic_store(&j->failed, 1);
  }
  pthread_mutex_unlock(&r->mu);
  marker_sink_wake(r->sink);
}

static void worker_note(run *r, const char *what, const char *why) {
  pthread_mutex_lock(&r->mu);
  if (!r->error[0])
    snprintf(r->error, sizeof r->error, "%s: %.300s", what, why);
  pthread_mutex_unlock(&r->mu);
}

/* ---- printed ------------------------------------------------------------------- */

/* Asks GET /jobs/ID once: true when the job is printed (the time the answer
 * came back is its printed time) or held again (failed, with the reason). */
static bool check_printed(run *r, panel *p, int i) {
  char path[128];
  snprintf(path, sizeof path, "/api/v1/panel/jobs/%s", r->jobs[i].id);
  double sent = bench_now_s();
  json_t *reply = NULL;
  long st = panel_call(p, path, NULL, &reply);
  double seen = bench_now_s();
  const char *state = json_string_value(json_object_get(reply, "state"));
  const char *reason = json_string_value(json_object_get(reply, "reason"));
  bool done = true;
  pthread_mutex_lock(&r->mu);
  r->polls++;
  r->poll_time += seen - sent;
  if (st == 200 && state && !strcmp(state, "printed")) {
    if (!atomic_load(&r->jobs[i].failed))
      r->jobs[i].printed = seen;
  } else if (st == 200 && state && !strcmp(state, "held")) {
    pthread_mutex_unlock(&r->mu);
    job_fail(r, i, "back to held: %.200s", reason ? reason : "no reason given");
    pthread_mutex_lock(&r->mu);
  } else {
    if (st != 200) {
      r->poll_errors++;
      snprintf(r->poll_error, sizeof r->poll_error, "HTTP %ld: %.200s", st, panel_why(p, reply));
    }
    done = false;
  }
  pthread_mutex_unlock(&r->mu);
  json_decref(reply);
  return done;
}

/* Every PRINTED_POLL_S: asks about each of its jobs that is complete at the
 * sink and not yet known printed. Only those few are asked about, so the polls
 * stay cheap and do not load the services under test. */
typedef struct poller_arg {
  run *r;
  int first; /* this poller asks about jobs first, first + PRINTED_POLLERS, ... */
} poller_arg;

static void *printed_main(void *arg) {
  run *r = ((poller_arg *)arg)->r;
  int first = ((poller_arg *)arg)->first;
  panel p;
  if (panel_open(&p, r->o, r->token) != 0) {
    worker_note(r, "the printed poller", "cannot start");
    return NULL;
  }
  double settle = 0;
  while (!interrupted && !atomic_load(&r->abort)) {
    double tick = bench_now_s();
    int open = 0;
    for (int i = first; i < r->n; i += PRINTED_POLLERS) {
      marker_sink_job mj;
      pthread_mutex_lock(&r->mu);
      bool waiting =
          r->jobs[i].t0 > 0 && r->jobs[i].printed == 0 && !atomic_load(&r->jobs[i].failed);
      pthread_mutex_unlock(&r->mu);
      if (!waiting)
        continue;
      open++;
      if (marker_sink_job_get(r->sink, i, &mj) && check_printed(r, &p, i))
        open--;
    }
    if (atomic_load(&r->releasing) == 0) {
      if (open == 0)
        break;
      settle = settle > 0 ? settle : bench_now_s() + JOB_TIMEOUT_S;
      if (bench_now_s() > settle)
        break;
    }
    sleep_s(tick + PRINTED_POLL_S - bench_now_s());
  }
  panel_close(&p);
  return NULL;
}

/* Releases one job and reads the answer; false if it failed right away. */
static bool release_one(run *r, panel *p, int i) {
  job *j = &r->jobs[i];
  char body[128];
  snprintf(body, sizeof body, "{\"jobs\":[\"%s\"]}", j->id);
  json_t *reply = NULL;
  double t0 = bench_now_s();
  pthread_mutex_lock(&r->mu);
  j->t0 = t0;
  pthread_mutex_unlock(&r->mu);
  long st = panel_call(p, "/api/v1/panel/release", body, &reply);
  double acked = bench_now_s();
  pthread_mutex_lock(&r->mu);
  j->acked = acked;
  pthread_mutex_unlock(&r->mu);
  json_t *first = json_array_get(json_object_get(reply, "releases"), 0);
  const char *state = json_string_value(json_object_get(first, "state"));
  const char *reason = json_string_value(json_object_get(first, "reason"));
  bool ok = false;
  if (st != 202 || !state)
    job_fail(r, i, "release request: HTTP %ld: %.200s", st, panel_why(p, reply));
  else if (strcmp(state, "releasing") && strcmp(state, "printing") && strcmp(state, "printed"))
    job_fail(r, i, "release answered '%s': %.200s", state, reason ? reason : "no reason");
  else
    ok = true;
  json_decref(reply);
  return ok;
}

static void *worker_main(void *arg) {
  run *r = arg;
  panel p;
  const char *why = NULL;
  char path[128];
  snprintf(path, sizeof path, "/api/v1/panel/jobs/%s", r->jobs[0].id);
  if (panel_open(&p, r->o, r->token) != 0)
    why = "curl does not start";
  /* TLS handshake and keep-alive connection before the clock starts */
  else if (panel_call(&p, path, NULL, NULL) != 200)
    why = p.error[0] ? p.error : p.len ? p.body : "no 200";
  pthread_mutex_lock(&r->mu);
  r->ready++;
  pthread_cond_broadcast(&r->cv);
  while (!r->go)
    pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
  if (why)
    worker_note(r, "a release worker's first request", why);
  for (int i; !why && !atomic_load(&r->abort) && !interrupted &&
              (i = atomic_fetch_add(&r->next, 1)) < r->n;) {
    if (!release_one(r, &p, i))
      continue;
    job *j = &r->jobs[i];
    pthread_mutex_lock(&r->mu);
    double t0 = j->t0;
    pthread_mutex_unlock(&r->mu);
    int w = marker_sink_wait_job(r->sink, i, t0 + JOB_TIMEOUT_S, &j->failed);
    if (w < 0) {
      atomic_store(&r->abort, 1); /* the sink's problem is reported by main */
      break;
    }
    if (w == 0 && !atomic_load(&j->failed))
      job_fail(r, i, "not complete at the sink within %d s of its release", JOB_TIMEOUT_S);
  }
  atomic_fetch_sub(&r->releasing, 1);
  panel_close(&p);
  return NULL;
}

/* ---- the run ----------------------------------------------------------------------- */

static int release_all(run *r, char *err, size_t err_size) {
  int c = r->o->concurrency < r->n ? r->o->concurrency : r->n;
  pthread_t *threads = calloc((size_t)c, sizeof *threads);
  if (!threads) {
    snprintf(err, err_size, "out of memory");
    return -1;
  }
  atomic_store(&r->releasing, c);
  int started = 0;
  while (started < c && pthread_create(&threads[started], NULL, worker_main, r) == 0)
    started++;
  pthread_mutex_lock(&r->mu);
  while (r->ready < started)
    pthread_cond_wait(&r->cv, &r->mu);
  bool ok = started == c && !r->error[0];
  if (!ok) /* fewer workers than asked would measure something else */
    atomic_store(&r->next, r->n);
  pthread_mutex_unlock(&r->mu);
  atomic_fetch_sub(&r->releasing, c - started);
  pthread_t pollers[PRINTED_POLLERS];
  poller_arg poller_args[PRINTED_POLLERS];
  int n_pollers = 0;
  while (ok && n_pollers < PRINTED_POLLERS) {
    poller_args[n_pollers] = (poller_arg){r, n_pollers};
    if (pthread_create(&pollers[n_pollers], NULL, printed_main, &poller_args[n_pollers]) != 0)
      break;
    n_pollers++;
  }
  bool polling = n_pollers == PRINTED_POLLERS;
  if (ok && !polling)
    atomic_store(&r->next, r->n);
  pthread_mutex_lock(&r->mu);
  r->go = 1;
  pthread_cond_broadcast(&r->cv);
  pthread_mutex_unlock(&r->mu);
  for (int i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  for (int k = 0; k < n_pollers; k++)
    pthread_join(pollers[k], NULL);
  free(threads);
  if (started < c)
    snprintf(err, err_size, "could start only %d of %d release threads", started, c);
  else if (ok && !polling)
    snprintf(err, err_size, "cannot start the printed poller thread");
  else if (r->error[0])
    snprintf(err, err_size, "%s", r->error);
  else if (interrupted)
    snprintf(err, err_size, "interrupted");
  else
    return 0;
  return -1;
}

static void print_latency(const char *name, bench_latency l, const char *end) {
  printf("%s p50 %.1f ms p95 %.1f ms p99 %.1f ms max %.1f ms%s", name, l.p50_ms, l.p95_ms, l.p99_ms,
         l.max_ms, end);
}

/* Checks every document at the sink and prints the figures; the exit
 * status. */
static int report(run *r) {
  size_t n = (size_t)r->n;
  double *first = calloc(n, sizeof *first), *complete = calloc(n, sizeof *complete);
  double *printed = calloc(n, sizeof *printed), *answer = calloc(n, sizeof *answer);
  if (!first || !complete || !printed || !answer) {
    fprintf(stderr, "release-latency-driver: out of memory\n");
    free(first), free(complete), free(printed), free(answer);
    return 1;
  }
  size_t n_first = 0, n_printed = 0, n_answer = 0;
  int identical = 0, bad = 0, failures = 0;
  double start = 0, last = 0;
  for (int i = 0; i < r->n; i++) {
    job *j = &r->jobs[i];
    /* every thread has been joined: no lock needed from here */
    if (j->t0 > 0)
      start = start == 0 || j->t0 < start ? j->t0 : start;
    if (j->acked > 0)
      answer[n_answer++] = (j->acked - j->t0) * 1e3;
    if (atomic_load(&j->failed)) {
      failures++;
      fprintf(stderr, "release-latency-driver: bench-%d (job %s) failed: %s\n", i, j->id,
              j->reason);
    } else if (j->printed > 0) {
      printed[n_printed++] = (j->printed - j->t0) * 1e3;
    } else if (j->t0 > 0) {
      failures++;
      fprintf(stderr, "release-latency-driver: bench-%d (job %s) never seen printed\n", i, j->id);
    }
    marker_sink_job got;
    if (!marker_sink_job_get(r->sink, i, &got)) {
      if (!atomic_load(&j->failed)) {
        bad++;
        fprintf(stderr, "release-latency-driver: bench-%d never arrived complete at the sink\n", i);
      }
      continue;
    }
    if (got.bytes != j->doc_len || !got.data || memcmp(got.data, j->doc, j->doc_len) != 0) {
      bad++;
      size_t at = 0;
      while (got.data && at < got.bytes && at < j->doc_len && got.data[at] == j->doc[at])
        at++;
      fprintf(stderr,
              "release-latency-driver: bench-%d DIFFERS at the sink: %zu bytes, submitted %zu, "
              "first difference at byte %zu\n",
              i, got.bytes, j->doc_len, at);
      continue;
    }
    identical++;
    first[n_first] = (got.first_s - j->t0) * 1e3;
    complete[n_first++] = (got.complete_s - j->t0) * 1e3;
    last = got.complete_s > last ? got.complete_s : last;
  }
  double wall = last > start ? last - start : 0;
  int in_flight = r->o->concurrency < r->n ? r->o->concurrency : r->n;
  printf("release-latency: %d held jobs (about %zu-byte PostScript each) from %s, released one per "
         "request at device %s through %s, RAW to a sink on 127.0.0.1:%d\n",
         r->n, r->jobs[0].doc_len, r->o->queue, r->o->device, r->o->panel,
         marker_sink_port(r->sink));
  printf("ours: ");
  print_latency("first byte", bench_latency_of(first, n_first), "; ");
  print_latency("printed", bench_latency_of(printed, n_printed), "; ");
  /* bench_latency_of sorted `first` and `complete` separately: fine, only
   * their distributions are reported */
  print_latency("complete", bench_latency_of(complete, n_first), "; ");
  printf("%.1f releases/s (%zu jobs, %d in flight); failures %d\n",
         wall > 0 ? (double)n_first / wall : 0, n_first, in_flight, failures);
  print_latency("release request answered", bench_latency_of(answer, n_answer), "\n");
  printf("wall %.3f s from the first release request to the last document complete at the sink; "
         "%d of %d documents byte-identical at the sink\n",
         wall, identical, r->n);
  printf("printed: %d job-status requests, %.1f ms each on average (asked every %.0f ms once "
         "a job is complete at the sink; printed = when the answer said so)\n",
         r->polls, r->polls ? r->poll_time / r->polls * 1e3 : 0, PRINTED_POLL_S * 1e3);
  if (r->poll_errors)
    printf("printed: %d job-status requests failed, the last with %s\n", r->poll_errors,
           r->poll_error);
  free(first), free(complete), free(printed), free(answer);
  if (bad) {
    fprintf(stderr,
            "release-latency-driver: FAILED: %d document(s) missing or not "
            "byte-identical at the sink\n",
            bad);
    return 1;
  }
  return failures ? 3 : 0;
}

static void usage(FILE *f) {
  fprintf(f, "usage: release-latency-driver --panel URL --ca FILE --queue URI --card CARD\n"
             "         --device ID --sink-port P [--jobs N] [--concurrency C]\n");
}

static int parse_count(const char *s, int min, int max, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || errno || v < min || v > max)
    return -1;
  *out = (int)v;
  return 0;
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){.jobs = 200, .concurrency = 50};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v)
      return -1;
    i++;
    if (!strcmp(a, "--panel"))
      o->panel = v;
    else if (!strcmp(a, "--ca"))
      o->ca = v;
    else if (!strcmp(a, "--queue"))
      o->queue = v;
    else if (!strcmp(a, "--card"))
      o->card = v;
    else if (!strcmp(a, "--device"))
      o->device = v;
    else if (!strcmp(a, "--sink-port")) {
      if (parse_count(v, 1, 65535, &o->sink_port) != 0)
        return -1;
    } else if (!strcmp(a, "--jobs")) {
      if (parse_count(v, 1, 100000, &o->jobs) != 0)
        return -1;
    } else if (!strcmp(a, "--concurrency")) {
      if (parse_count(v, 1, 1000, &o->concurrency) != 0)
        return -1;
    } else
      return -1;
  }
  return o->panel && o->ca && o->queue && o->card && o->device && o->sink_port ? 0 : -1;
}

/* Only loopback traffic: the panel URL must name this machine. */
static bool panel_is_loopback(const char *url) {
  char scheme[16], user[64], host[256], resource[256];
  int port;
  return httpSeparateURI(HTTP_URI_CODING_ALL, url, scheme, sizeof scheme, user, sizeof user, host,
                         sizeof host, &port, resource, sizeof resource) >= HTTP_URI_STATUS_OK &&
         !strcmp(scheme, "https") && loopback_host(host) &&
         (!resource[0] || !strcmp(resource, "/"));
}

int main(int argc, char **argv) {
  options o;
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    usage(stdout);
    return 0;
  }
  if (parse_args(argc, argv, &o) != 0) {
    usage(stderr);
    return 2;
  }
  if (!panel_is_loopback(o.panel)) {
    fprintf(stderr, "release-latency-driver: --panel must be https://localhost:PORT or "
                    "https://127.0.0.1:PORT\n");
    return 2;
  }
  /* a peer that goes away must give an error, not kill us */
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "release-latency-driver: curl_global_init failed\n");
    return 1;
  }

  run r = {.o = &o, .n = o.jobs};
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  int rc = 1;
  char err[1024] = "";
  r.jobs = calloc((size_t)o.jobs, sizeof *r.jobs);
  for (int i = 0; r.jobs && i < o.jobs; i++)
    if (!(r.jobs[i].doc = make_document(i, &r.jobs[i].doc_len)))
      snprintf(err, sizeof err, "out of memory");
  if (!r.jobs || err[0]) {
    fprintf(stderr, "release-latency-driver: out of memory\n");
    goto out;
  }
  /* the printer is listening before anything can be released to it */
  if (!(r.sink = marker_sink_start(o.sink_port, o.jobs, true))) {
    fprintf(stderr, "release-latency-driver: sink on 127.0.0.1:%d: %s\n", o.sink_port,
            strerror(errno));
    goto out;
  }
  if (submit_all(&o, r.jobs, err, sizeof err) != 0 || login(&r, err, sizeof err) != 0 ||
      wait_held(&r, err, sizeof err) != 0) {
    fprintf(stderr, "release-latency-driver: %s\n", err);
    goto out;
  }
  int early = marker_sink_connections(r.sink);
  if (early) {
    fprintf(stderr,
            "release-latency-driver: %d connection(s) reached the sink before any release\n",
            early);
    goto out;
  }
  if (release_all(&r, err, sizeof err) != 0) {
    fprintf(stderr, "release-latency-driver: %s\n", err);
    goto out;
  }
  int done;
  char problem[160];
  /* every outcome is known by now; this only fetches the sink's problem */
  if (marker_sink_wait_all(r.sink, bench_now_s(), &done, problem, sizeof problem) != 0 &&
      problem[0]) {
    fprintf(stderr, "release-latency-driver: FAILED: the sink saw %s\n", problem);
    goto out;
  }
  rc = report(&r);
out:
  marker_sink_stop(r.sink);
  for (int i = 0; r.jobs && i < o.jobs; i++)
    free(r.jobs[i].doc);
  free(r.jobs);
  pthread_cond_destroy(&r.cv);
  pthread_mutex_destroy(&r.mu);
  curl_global_cleanup();
  return rc;
}
