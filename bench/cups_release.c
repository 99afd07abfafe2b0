/*
 * cups_release: a private cupsd, one RAW queue, an in-process TCP sink, and
 * Release-Job timings. See cups_release.h.
 */
#include "cups_release.h"

#include <arpa/inet.h>
#include <cups/cups.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "latency.h"
#include "marker_sink.h"

#define QUEUE "raw1"
#define READY_TIMEOUT_S 10     /* cupsd must answer on its port within this */
#define COMPLETE_TIMEOUT_S 120 /* all jobs must reach the sink within this */
#define STOP_TIMEOUT_S 10      /* SIGTERM grace before SIGKILL */

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t size, const char *fmt,
                                                          ...) {
  if (!err || size == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, size, fmt, ap);
  va_end(ap);
}

/* Appends text to the message already in err, as far as it fits. */
static void append_err(char *err, size_t size, const char *text) {
  if (!err || size == 0)
    return;
  size_t len = strlen(err);
  if (len + 1 < size)
    snprintf(err + len, size - len, "%s", text);
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
    ;
}

/* ---- temporary directory ---------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  remove(path);
  return 0; /* keep going: remove as much as we can */
}

static void remove_tree(const char *dir) {
  if (dir[0])
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int ok = fputs(text, f) >= 0;
  return fclose(f) == 0 && ok ? 0 : -1;
}

/* Whole file in a malloc'd buffer (caller frees); NULL on error. */
static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = n;
  return buf;
}

/* ---- ports -------------------------------------------------------------- */

/* A port free right now; cupsd binds it a moment later (small race, fine
 * for a benchmark: cupsd then fails to start and we say so). */
static int free_port(void) {
  int port = -1;
  int fd = bench_listen_loopback(0, &port);
  if (fd < 0)
    return -1;
  close(fd);
  return port;
}

static int port_answers(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  close(fd);
  return ok;
}

/* ---- private cupsd ------------------------------------------------------ */

typedef struct cupsd_proc {
  char dir[256];
  int port;
  pid_t pid;
} cupsd_proc;

/* The last lines of cupsd's error_log (or of its stdout/stderr when the log
 * is empty) into buf, for error messages. */
static void cupsd_log_tail(const cupsd_proc *c, char *buf, size_t size) {
  static const char *const names[] = {"log/error_log", "cupsd.out"};
  buf[0] = '\0';
  for (size_t i = 0; i < 2 && !buf[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", c->dir, names[i]);
    size_t len;
    char *text = read_all(path, &len);
    if (!text)
      continue;
    size_t keep = size - 1 < 1500 ? size - 1 : 1500;
    size_t from = len > keep ? len - keep : 0;
    if (from > 0) {
      /* start at a line boundary */
      const char *nl = memchr(text + from, '\n', len - from);
      from = nl ? (size_t)(nl - text) + 1 : from;
    }
    snprintf(buf, size, "%.*s", (int)(len - from), text + from);
    free(text);
  }
}

static void cupsd_stop(cupsd_proc *c) {
  if (c->pid > 0) {
    kill(c->pid, SIGTERM);
    int status;
    double deadline = bench_now_s() + STOP_TIMEOUT_S;
    while (waitpid(c->pid, &status, WNOHANG) == 0) {
      if (bench_now_s() > deadline) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, &status, 0);
        break;
      }
      sleep_ms(20);
    }
    c->pid = 0;
  }
  remove_tree(c->dir);
  c->dir[0] = '\0';
}

/* Writes the two configuration files; the policy lets anyone do anything,
 * which is fine on a loopback-only server that lives for one run. */
static int cupsd_write_config(const cupsd_proc *c, int max_clients) {
  char path[512], text[4096];
  const char *d = c->dir;
  snprintf(text, sizeof text,
           "User lp\nGroup lp\nServerRoot %s\nRequestRoot %s/spool\nTempDir %s/spool/tmp\n"
           "CacheDir %s/cache\nStateDir %s/state\nAccessLog %s/log/access_log\n"
           "ErrorLog %s/log/error_log\nPageLog %s/log/page_log\nPrintcap %s/printcap\n"
           "FileDevice No\nSandboxing Relaxed\n",
           d, d, d, d, d, d, d, d, d);
  snprintf(path, sizeof path, "%s/cups-files.conf", d);
  if (write_text(path, text) != 0)
    return -1;
  snprintf(text, sizeof text,
           "LogLevel warn\nListen 127.0.0.1:%d\nWebInterface No\nBrowsing No\n"
           "DefaultAuthType None\nDefaultShared No\nMaxClients %d\nMaxClientsPerHost %d\n"
           "MaxJobs 0\n"
           "<Location />\n  Order allow,deny\n  Allow localhost\n  Allow 127.0.0.1\n</Location>\n"
           "<Policy default>\n  JobPrivateAccess default\n  JobPrivateValues default\n"
           "  SubscriptionPrivateAccess default\n  SubscriptionPrivateValues default\n"
           "  <Limit All>\n    Order deny,allow\n    Allow all\n  </Limit>\n</Policy>\n",
           c->port, max_clients, max_clients);
  snprintf(path, sizeof path, "%s/cupsd.conf", d);
  return write_text(path, text);
}

/* Starts cupsd in the foreground in a fresh temporary directory and waits
 * until it accepts connections. On failure cupsd is stopped and the
 * directory removed. */
static int cupsd_start(cupsd_proc *c, int max_clients, char *err, size_t err_size) {
  memset(c, 0, sizeof *c);
  /* /tmp rather than $TMPDIR: user lp must be able to reach the spool */
  snprintf(c->dir, sizeof c->dir, "/tmp/cups-release-bench-XXXXXX");
  if (!mkdtemp(c->dir)) {
    set_err(err, err_size, "mkdtemp: %s", strerror(errno));
    c->dir[0] = '\0';
    return -1;
  }
  /* cupsd checks and fixes the modes of its own subdirectories, but the
   * backend (user lp) must be able to walk into the directory, and TempDir
   * and RequestRoot must exist before cupsd reads its configuration. */
  static const char *const subdirs[] = {"spool", "spool/tmp", "cache", "state", "log"};
  char path[512];
  int ok = chmod(c->dir, 0755) == 0;
  for (size_t i = 0; ok && i < sizeof subdirs / sizeof *subdirs; i++) {
    snprintf(path, sizeof path, "%s/%s", c->dir, subdirs[i]);
    ok = mkdir(path, 0755) == 0;
  }
  if (!ok || (c->port = free_port()) < 0 || cupsd_write_config(c, max_clients) != 0) {
    set_err(err, err_size, "preparing %s: %s", c->dir, strerror(errno));
    cupsd_stop(c);
    return -1;
  }

  /* Everything the child needs is built before fork(): other threads may
   * hold locks, so the child only opens, dup2s and execs. */
  char conf[512], files[512], out[512];
  snprintf(conf, sizeof conf, "%s/cupsd.conf", c->dir);
  snprintf(files, sizeof files, "%s/cups-files.conf", c->dir);
  snprintf(out, sizeof out, "%s/cupsd.out", c->dir);
  char *argv[] = {"cupsd", "-f", "-c", conf, "-s", files, NULL};
  c->pid = fork();
  if (c->pid < 0) {
    set_err(err, err_size, "fork: %s", strerror(errno));
    c->pid = 0;
    cupsd_stop(c);
    return -1;
  }
  if (c->pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int log = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
      _exit(126);
    execv("/usr/sbin/cupsd", argv);
    execvp("cupsd", argv);
    _exit(127);
  }

  double deadline = bench_now_s() + READY_TIMEOUT_S;
  for (;;) {
    int status;
    if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
      c->pid = 0;
      char tail[1600];
      cupsd_log_tail(c, tail, sizeof tail);
      set_err(err, err_size, "cupsd exited (status %d) before answering on 127.0.0.1:%d:\n%s",
              WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), c->port, tail);
      cupsd_stop(c);
      return -1;
    }
    if (port_answers(c->port))
      return 0;
    if (bench_now_s() > deadline) {
      char tail[1600];
      cupsd_log_tail(c, tail, sizeof tail);
      set_err(err, err_size, "cupsd did not answer on 127.0.0.1:%d within %d s; error_log:\n%s",
              c->port, READY_TIMEOUT_S, tail);
      cupsd_stop(c);
      return -1;
    }
    sleep_ms(50);
  }
}

static http_t *cupsd_connect(int port) {
  return httpConnect2("127.0.0.1", port, NULL, AF_INET, HTTP_ENCRYPTION_NEVER, 1, 30000, NULL);
}

/* The RAW queue, accepting and enabled, through CUPS-Add-Modify-Printer
 * (what `lpadmin -p raw1 -E -v ... -m raw` sends). */
static int add_queue(http_t *http, int port, int sink_port, char *err, size_t err_size) {
  char uri[128], device[128];
  snprintf(uri, sizeof uri, "ipp://127.0.0.1:%d/printers/" QUEUE, port);
  snprintf(device, sizeof device, "socket://127.0.0.1:%d", sink_port);
  ipp_t *req = ippNewRequest(IPP_OP_CUPS_ADD_MODIFY_PRINTER);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
  ippAddString(req, IPP_TAG_PRINTER, IPP_TAG_URI, "device-uri", NULL, device);
  ippAddString(req, IPP_TAG_PRINTER, IPP_TAG_NAME, "ppd-name", NULL, "raw");
  ippAddBoolean(req, IPP_TAG_PRINTER, "printer-is-accepting-jobs", 1);
  ippAddInteger(req, IPP_TAG_PRINTER, IPP_TAG_ENUM, "printer-state", IPP_PSTATE_IDLE);
  ipp_t *resp = cupsDoRequest(http, req, "/admin/");
  int ok = resp && ippGetStatusCode(resp) <= IPP_STATUS_OK_CONFLICTING;
  if (!ok)
    set_err(err, err_size, "CUPS-Add-Modify-Printer %s: %s", QUEUE, cupsLastErrorString());
  ippDelete(resp);
  return ok ? 0 : -1;
}

/* Print-Job of marker + document, held; the new job's id in *job_id. */
static int submit_held(http_t *http, int port, int index, const char *doc, size_t doc_len,
                       int *job_id, char *err, size_t err_size) {
  char uri[128], marker[MARKER_HEAD_MAX], title[64];
  snprintf(uri, sizeof uri, "ipp://127.0.0.1:%d/printers/" QUEUE, port);
  size_t marker_len = marker_line(index, marker, sizeof marker);
  snprintf(title, sizeof title, "cups-release-bench %d", index);
  ipp_t *req = ippNewRequest(IPP_OP_PRINT_JOB);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, title);
  ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL, CUPS_FORMAT_RAW);
  ippAddString(req, IPP_TAG_JOB, IPP_TAG_KEYWORD, "job-hold-until", NULL, "indefinite");

  const char *resource = "/printers/" QUEUE;
  http_status_t st = cupsSendRequest(http, req, resource, ippLength(req) + marker_len + doc_len);
  if (st == HTTP_STATUS_CONTINUE)
    st = cupsWriteRequestData(http, marker, marker_len);
  if (st == HTTP_STATUS_CONTINUE && doc_len > 0)
    st = cupsWriteRequestData(http, doc, doc_len);
  ipp_t *resp = st == HTTP_STATUS_CONTINUE ? cupsGetResponse(http, resource) : NULL;
  ippDelete(req);
  ipp_attribute_t *id = resp ? ippFindAttribute(resp, "job-id", IPP_TAG_INTEGER) : NULL;
  ipp_attribute_t *state = resp ? ippFindAttribute(resp, "job-state", IPP_TAG_ENUM) : NULL;
  int rc = -1;
  if (!resp || ippGetStatusCode(resp) > IPP_STATUS_OK_CONFLICTING || !id)
    set_err(err, err_size, "Print-Job %d: %s", index, cupsLastErrorString());
  else if (!state || ippGetInteger(state, 0) != IPP_JSTATE_HELD)
    /* a job that is not held would print before we time its release */
    set_err(err, err_size, "Print-Job %d: job %d is in state %d, not held", index,
            ippGetInteger(id, 0), ippGetInteger(state, 0));
  else {
    *job_id = ippGetInteger(id, 0);
    rc = 0;
  }
  ippDelete(resp);
  return rc;
}

/* ---- release workers ------------------------------------------------------ */

typedef struct releaser {
  int port, jobs;
  const int *job_ids;
  double *sent; /* per index: when its Release-Job was sent */
  atomic_int next;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int ready, go;   /* under mu: every worker connects before the first release */
  char error[256]; /* first failure, under mu */
} releaser;

static void releaser_fail(releaser *r, const char *what, int index) {
  pthread_mutex_lock(&r->mu);
  if (!r->error[0])
    snprintf(r->error, sizeof r->error, "%s (job index %d): %s", what, index,
             cupsLastErrorString());
  pthread_mutex_unlock(&r->mu);
}

/* One worker: its own connection, then Release-Job for the next unreleased
 * index until none is left, so at most one request per worker is in flight. */
static void *release_main(void *arg) {
  releaser *r = arg;
  http_t *http = cupsd_connect(r->port);
  pthread_mutex_lock(&r->mu);
  r->ready++;
  pthread_cond_broadcast(&r->cv);
  while (!r->go)
    pthread_cond_wait(&r->cv, &r->mu);
  pthread_mutex_unlock(&r->mu);
  if (!http) {
    releaser_fail(r, "connecting to cupsd", -1);
    return NULL;
  }
  char uri[128];
  for (int i; (i = atomic_fetch_add(&r->next, 1)) < r->jobs;) {
    snprintf(uri, sizeof uri, "ipp://127.0.0.1:%d/jobs/%d", r->port, r->job_ids[i]);
    ipp_t *req = ippNewRequest(IPP_OP_RELEASE_JOB);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", NULL, uri);
    ippAddString(req, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL, cupsUser());
    r->sent[i] = bench_now_s();
    ipp_t *resp = cupsDoRequest(http, req, "/jobs/");
    if (!resp || ippGetStatusCode(resp) > IPP_STATUS_OK_CONFLICTING)
      releaser_fail(r, "Release-Job", i);
    ippDelete(resp);
  }
  httpClose(http);
  return NULL;
}

/* ---- the run ------------------------------------------------------------------ */

/* Submits, releases and waits for the sink; cupsd and the sink are up. */
static int run_jobs(cupsd_proc *cupsd, marker_sink *s, const char *doc, size_t doc_len, int jobs,
                    int concurrency, cups_release_figures *out, char *err, size_t err_size) {
  int rc = -1;
  int *job_ids = calloc((size_t)jobs, sizeof *job_ids);
  double *sent = calloc((size_t)jobs, sizeof *sent);
  double *first_ms = calloc((size_t)jobs, sizeof *first_ms);
  double *complete_ms = calloc((size_t)jobs, sizeof *complete_ms);
  pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
  http_t *http = cupsd_connect(cupsd->port);
  if (!job_ids || !sent || !first_ms || !complete_ms || !threads) {
    set_err(err, err_size, "out of memory");
    goto done;
  }
  if (!http) {
    set_err(err, err_size, "connecting to cupsd on 127.0.0.1:%d: %s", cupsd->port,
            cupsLastErrorString());
    goto done;
  }
  if (add_queue(http, cupsd->port, marker_sink_port(s), err, err_size) != 0)
    goto done;
  for (int i = 0; i < jobs; i++)
    if (submit_held(http, cupsd->port, i, doc, doc_len, &job_ids[i], err, err_size) != 0)
      goto done;
  httpClose(http);
  http = NULL;

  int early = marker_sink_connections(s);
  if (early) {
    set_err(err, err_size, "%d held job(s) reached the sink before any Release-Job", early);
    goto done;
  }

  releaser r = {.port = cupsd->port, .jobs = jobs, .job_ids = job_ids, .sent = sent};
  atomic_init(&r.next, 0);
  pthread_mutex_init(&r.mu, NULL);
  pthread_cond_init(&r.cv, NULL);
  int started = 0;
  while (started < concurrency && pthread_create(&threads[started], NULL, release_main, &r) == 0)
    started++;
  pthread_mutex_lock(&r.mu);
  while (r.ready < started)
    pthread_cond_wait(&r.cv, &r.mu);
  /* fewer workers than asked would measure something else: release
   * nothing, let them exit */
  if (started < concurrency)
    atomic_store(&r.next, jobs);
  r.go = 1;
  pthread_cond_broadcast(&r.cv);
  pthread_mutex_unlock(&r.mu);
  for (int i = 0; i < started; i++)
    pthread_join(threads[i], NULL);
  pthread_cond_destroy(&r.cv);
  pthread_mutex_destroy(&r.mu);
  if (started < concurrency) {
    set_err(err, err_size, "could start only %d of %d release threads", started, concurrency);
    goto done;
  }
  if (r.error[0]) {
    set_err(err, err_size, "%s", r.error);
    goto done;
  }

  /* Wait for every job at the sink; the deadline counts from the first
   * release, so slow submission does not eat into it. */
  double first_sent = sent[0];
  for (int i = 1; i < jobs; i++)
    first_sent = sent[i] < first_sent ? sent[i] : first_sent;
  int done;
  char problem[160];
  if (marker_sink_wait_all(s, first_sent + COMPLETE_TIMEOUT_S, &done, problem, sizeof problem) !=
      0) {
    char tail[1600];
    cupsd_log_tail(cupsd, tail, sizeof tail);
    if (problem[0])
      set_err(err, err_size, "sink saw %s; ", problem);
    else
      set_err(err, err_size, "only %d of %d jobs reached the sink within %d s; ", done, jobs,
              COMPLETE_TIMEOUT_S);
    append_err(err, err_size, "cupsd error_log:\n");
    append_err(err, err_size, tail);
    goto done;
  }

  /* every job has completed at the sink (waited for above) */
  double last = 0;
  for (int i = 0; i < jobs; i++) {
    char marker[MARKER_HEAD_MAX];
    size_t expect = marker_line(i, marker, sizeof marker) + doc_len;
    marker_sink_job got = {0};
    marker_sink_job_get(s, i, &got);
    if (got.bytes != expect) {
      set_err(err, err_size, "job index %d: sink got %zu bytes, expected %zu", i, got.bytes,
              expect);
      goto done;
    }
    first_ms[i] = (got.first_s - sent[i]) * 1e3;
    complete_ms[i] = (got.complete_s - sent[i]) * 1e3;
    last = got.complete_s > last ? got.complete_s : last;
  }
  out->jobs = jobs;
  out->first_byte = bench_latency_of(first_ms, (size_t)jobs);
  out->complete = bench_latency_of(complete_ms, (size_t)jobs);
  out->wall_s = last - first_sent;
  out->releases_per_s = out->wall_s > 0 ? jobs / out->wall_s : 0;
  rc = 0;
done:
  if (http)
    httpClose(http);
  free(job_ids);
  free(sent);
  free(first_ms);
  free(complete_ms);
  free(threads);
  return rc;
}

int cups_release_run(const char *document, int jobs, int concurrency, cups_release_figures *out,
                     char *err, size_t err_size) {
  set_err(err, err_size, "%s", "");
  memset(out, 0, sizeof *out);
  if (jobs < 1 || concurrency < 1) {
    set_err(err, err_size, "jobs and concurrency must be at least 1");
    return -1;
  }
  if (concurrency > jobs)
    concurrency = jobs; /* more workers than jobs would only idle */
  size_t doc_len;
  char *doc = read_all(document, &doc_len);
  if (!doc) {
    set_err(err, err_size, "reading %s: %s", document, strerror(errno));
    return -1;
  }

  /* cupsd first, so it is forked before the sink thread exists and
   * inherits nothing of ours (all our descriptors are close-on-exec anyway) */
  cupsd_proc cupsd;
  marker_sink *s = NULL;
  int rc = -1;
  /* room for the workers, the submitting connection and cupsd's own */
  if (cupsd_start(&cupsd, concurrency + 16, err, err_size) != 0) {
    free(doc);
    return -1;
  }
  if (!(s = marker_sink_start(0, jobs, false)))
    set_err(err, err_size, "starting the sink: %s", strerror(errno));
  else
    rc = run_jobs(&cupsd, s, doc, doc_len, jobs, concurrency, out, err, err_size);
  if (rc != 0 && err && err_size > 0 && !strstr(err, "error_log")) {
    /* most failures past this point are cupsd refusing something: its
     * log says why */
    char tail[1600];
    cupsd_log_tail(&cupsd, tail, sizeof tail);
    append_err(err, err_size, "\ncupsd error_log:\n");
    append_err(err, err_size, tail);
  }
  /* cupsd before the sink: a backend still connected would otherwise see
   * its peer vanish and cupsd could stop the queue while we shut down */
  cupsd_stop(&cupsd);
  marker_sink_stop(s);
  free(doc);
  return rc;
}
