#include "web_intake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "doc_sniff.h"
#include "job_info.h"
#include "jobfile.h"
#include "jobfile_stream.h"
#include "log.h"
#include "page_count.h"

#define THREADS 2
#define PRINT_TO_PDF "print it to PDF first: only PDF, JPEG and PNG documents can be uploaded"

/* One check: made on the loop, the worker's alone until check_done. */
typedef struct check {
  web_intake *w;
  char job[40];
  json_t *verdict; /* what is reported: {pages, format, title} or {refused} */
  int reported;    /* the cloud's HTTP status, 0: not reported */
  char err[768];   /* why it could not be fetched or reported */
} check;

static int to_fd(void *fd_ptr, const void *data, size_t len) {
  return sr_fd_write(fd_ptr, data, len);
}

static json_t *refused(const char *why) { return json_pack("{s:s}", "refused", why); }

/* A refusal of a file that could be opened: its title goes with it, so the
 * user's list names which upload was refused. */
static json_t *refused_titled(const char *why, const char *title) {
  json_t *v = refused(why);
  if (title && *title)
    json_object_set_new(v, "title", json_string(title));
  return v;
}

/* Opens the job file in `cipher` with the site key: the document into
 * `plain`, the job information into *info (caller frees); false (why in
 * `err`) if it is not a whole file made for this site's key. */
static bool open_file(const sr_site_key *key, int cipher, int plain, char **info, char *err,
                      size_t err_size) {
  sr_jobfile_reader *r = NULL;
  int status = sr_jobfile_reader_new(key, to_fd, &plain, &r);
  uint8_t buf[65536];
  off_t at = 0;
  ssize_t n;
  while (status == SR_OK && (n = pread(cipher, buf, sizeof buf, at)) > 0) {
    status = sr_jobfile_reader_feed(r, buf, (size_t)n);
    at += n;
  }
  if (status == SR_OK)
    status = sr_jobfile_reader_finish(r);
  if (status == SR_OK && sr_jobfile_reader_info(r))
    *info = strdup(sr_jobfile_reader_info(r));
  else
    snprintf(err, err_size, "%s",
             r && *sr_jobfile_reader_error(r) ? sr_jobfile_reader_error(r)
                                              : sr_status_name(status));
  sr_jobfile_reader_free(r);
  return status == SR_OK && *info;
}

/* What the document in `plain` (of `size` bytes) with job information
 * `info_json` is: the verdict to report. */
static json_t *judge(const char *info_json, int plain, int64_t size, const char *job) {
  sr_job_info info;
  char why[512];
  if (sr_job_info_from_json(info_json, &info, why, sizeof why) != SR_OK)
    return refused("the upload's job information is unreadable; upload it again");
  /* what the browser says the type is, if it says (either name) */
  json_t *o = json_loads(info_json, 0, NULL);
  const char *declared = json_string_value(json_object_get(o, "format"));
  if (!declared && info.document_format[0])
    declared = info.document_format;
  const char *type = sr_doc_sniff(plain);
  json_t *verdict = NULL;
  if (!type)
    verdict = refused_titled(PRINT_TO_PDF, info.title);
  else if (declared && *declared && strcmp(declared, type) != 0)
    verdict = refused_titled("the document is not of the type it was uploaded as; upload it again",
                             info.title);
  else if (info.size > 0 && info.size != size)
    verdict = refused_titled("the upload is damaged (its size does not match); upload it again",
                             info.title);
  if (!verdict) {
    int64_t pages = sr_page_count(plain, type, why, sizeof why);
    if (pages < 1) {
      sr_log(SR_LOG_INFO, "uploads", "upload %s: pages not counted: %s", job, why);
      verdict = refused_titled(strcmp(type, "application/pdf") == 0
                                   ? "damaged PDF: its pages cannot be read; save it as PDF again"
                                   : "the image cannot be read; upload it again",
                               info.title);
    } else {
      verdict = json_pack("{s:I, s:s, s:s}", "pages", (json_int_t)pages, "format", type, "title",
                          info.title[0] ? info.title : "(untitled)");
    }
  }
  json_decref(o);
  return verdict;
}

/* On a worker: fetch, open, judge, report. */
static void check_work(void *arg) {
  check *k = arg;
  web_intake *w = k->w;
  char path[160], err[512] = "";
  int cipher = memfd_create("sr-upload", MFD_CLOEXEC);
  int plain = memfd_create("sr-upload-doc", MFD_CLOEXEC);
  int status = 0;
  json_t *reply = NULL;
  char *info = NULL;
  snprintf(path, sizeof path, "/api/v1/scout/jobs/%s/copy", k->job);
  int fetched = cipher < 0 || plain < 0 ? SR_ERR_IO
                                        : sr_cloud_download(w->cloud, path, to_fd, &cipher, &status,
                                                            &reply, err, sizeof err);
  if (fetched != SR_OK || status != 200) {
    snprintf(k->err, sizeof k->err, "cannot fetch the upload: %s",
             fetched != SR_OK ? err : sr_cloud_error_message(reply, "no reason given"));
    goto out;
  }
  if (!open_file(w->key, cipher, plain, &info, err, sizeof err)) {
    sr_log(SR_LOG_WARN, "uploads", "upload %s: cannot be opened: %s", k->job, err);
    k->verdict = refused("the upload cannot be opened with this site's key (damaged, or "
                         "encrypted for another site); upload it again");
  } else {
    off_t size = lseek(plain, 0, SEEK_END);
    k->verdict = judge(info, plain, size > 0 ? (int64_t)size : 0, k->job);
  }
  json_decref(reply);
  reply = NULL;
  snprintf(path, sizeof path, "/api/v1/site/uploads/%s/checked", k->job);
  if (sr_cloud_call(w->cloud, "POST", path, k->verdict, NULL, &k->reported, &reply, err,
                    sizeof err) != SR_OK) {
    k->reported = 0;
    snprintf(k->err, sizeof k->err, "cannot report the check: %s", err);
  } else if (k->reported != 200) {
    snprintf(k->err, sizeof k->err, "the cloud refused the report (%d): %s", k->reported,
             sr_cloud_error_message(reply, "no reason given"));
  }
out:
  free(info);
  json_decref(reply);
  if (cipher >= 0)
    close(cipher);
  if (plain >= 0)
    close(plain);
}

static void check_done(void *arg) {
  check *k = arg;
  const char *why = json_string_value(json_object_get(k->verdict, "refused"));
  if (k->reported == 200)
    sr_log(SR_LOG_INFO, "uploads", "upload %s: %s%s", k->job, why ? "refused: " : "checked",
           why ? why : "");
  else /* the cloud asks again */
    sr_log(SR_LOG_WARN, "uploads", "upload %s: %s", k->job, k->err);
  for (size_t i = 0; i < WEB_INTAKE_AT_ONCE; i++)
    if (strcmp(k->w->busy[i], k->job) == 0)
      k->w->busy[i][0] = '\0';
  json_decref(k->verdict);
  free(k);
}

static bool job_id_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n < 40 && strspn(s, "0123456789abcdef") == n;
}

void web_intake_command(void *ctx, const char *type, json_t *cmd) {
  web_intake *w = ctx;
  const char *job = json_string_value(json_object_get(cmd, "job"));
  if (strcmp(type, "check") != 0 || !job_id_ok(job) || !w->pool) {
    sr_log(SR_LOG_WARN, "uploads", "ignored a command of type '%.32s'", type);
    return;
  }
  size_t free_slot = WEB_INTAKE_AT_ONCE;
  for (size_t i = 0; i < WEB_INTAKE_AT_ONCE; i++) {
    if (strcmp(w->busy[i], job) == 0)
      return; /* asked again while it is being checked */
    if (!w->busy[i][0] && free_slot == WEB_INTAKE_AT_ONCE)
      free_slot = i;
  }
  check *k = free_slot < WEB_INTAKE_AT_ONCE ? calloc(1, sizeof *k) : NULL;
  if (!k) {
    sr_log(SR_LOG_WARN, "uploads", "upload %s: too many checks at once; the cloud asks again", job);
    return;
  }
  k->w = w;
  snprintf(k->job, sizeof k->job, "%s", job);
  if (sr_worker_pool_submit(w->pool, check_work, check_done, k) != SR_OK) {
    sr_log(SR_LOG_WARN, "uploads", "upload %s: too busy; the cloud asks again", job);
    free(k);
    return;
  }
  snprintf(w->busy[free_slot], sizeof w->busy[free_slot], "%s", job);
  sr_log(SR_LOG_INFO, "uploads", "upload %s: checking", job);
}

bool web_intake_start(web_intake *w, struct ev_loop *loop, sr_cloud_client *cloud,
                      const sr_site_key *key) {
  *w = (web_intake){.cloud = cloud, .key = key};
  w->pool = sr_worker_pool_new(loop, THREADS, WEB_INTAKE_AT_ONCE);
  return w->pool != NULL;
}

void web_intake_stop(web_intake *w) {
  sr_worker_pool_free(w->pool); /* the checks in progress finish and report */
  w->pool = NULL;
}
