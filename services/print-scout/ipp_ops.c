/* IPP operations of the scout's queue (RFC 8011, PWG 5100.14). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipp_attributes.h"
#include "ipp_queue_private.h"
#include "log.h"
#include "sr/abi.h"

#define MAX_LISTED_JOBS 500

void scout_ipp_status(scout_request *r, ipp_status_t status, const char *fmt, ...) {
  ippSetStatusCode(r->response, status);
  if (fmt) {
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    ippAddString(r->response, IPP_TAG_OPERATION, IPP_TAG_TEXT, "status-message", NULL, message);
  }
}

/* True if `name` is not listed yet (and the list exists). */
static bool not_listed_yet(scout_request *r, const char *name) {
  if (!r->unsupported)
    r->unsupported = ippNew();
  return name && r->unsupported && !ippFindAttribute(r->unsupported, name, IPP_TAG_ZERO);
}

void scout_ipp_unsupported_name(scout_request *r, const char *name) {
  if (not_listed_yet(r, name))
    ippAddOutOfBand(r->unsupported, IPP_TAG_UNSUPPORTED_GROUP, IPP_TAG_UNSUPPORTED_VALUE, name);
}

void scout_ipp_unsupported(scout_request *r, ipp_attribute_t *attr) {
  const char *name = ippGetName(attr);
  if (!not_listed_yet(r, name))
    return;
  ipp_attribute_t *copy = ippCopyAttribute(r->unsupported, attr, 0);
  if (copy)
    ippSetGroupTag(r->unsupported, &copy, IPP_TAG_UNSUPPORTED_GROUP);
}

static void unsupported(scout_request *r, ipp_attribute_t *attr) { scout_ipp_unsupported(r, attr); }

static int in_group(void *ctx, ipp_t *dst, ipp_attribute_t *attr) {
  (void)dst;
  return (ippGetGroupTag(attr) == IPP_TAG_OPERATION) == (ctx != NULL);
}

/* Puts the unsupported attributes in their own group after the operation
 * group, where RFC 8011 (4.1.7) has them. */
static void place_unsupported(scout_request *r) {
  if (!r->unsupported)
    return;
  ipp_t *out = ippNew();
  int minor = 0, major = ippGetVersion(r->response, &minor);
  ippSetVersion(out, major, minor);
  ippSetStatusCode(out, ippGetStatusCode(r->response));
  ippSetRequestId(out, ippGetRequestId(r->response));
  ippCopyAttributes(out, r->response, 0, in_group, out);
  ippCopyAttributes(out, r->unsupported, 0, NULL, NULL);
  ippCopyAttributes(out, r->response, 0, in_group, NULL);
  ippDelete(r->response);
  ippDelete(r->unsupported);
  r->response = out;
  r->unsupported = NULL;
}

static int up_time(const scout_queue *q, time_t t) { return (int)(t - q->started) + 1; }

/* What the client says its user is: believed only from a trusted spooler
 * (queue_access.c). NULL if absent. */
static const char *requesting_user(scout_request *r) {
  ipp_attribute_t *a = ippFindAttribute(r->request, "requesting-user-name", IPP_TAG_NAME);
  const char *user = a ? ippGetString(a, 0, NULL) : NULL;
  return user && *user ? user : NULL;
}

/* Refuses a request from a peer the OS could not name; true if refused. */
static bool refuse_unknown(scout_request *r) {
  if (r->who.known)
    return false;
  scout_ipp_status(r, IPP_STATUS_ERROR_NOT_AUTHORIZED,
                   "This queue takes jobs only from accounts on this computer (%s).",
                   r->peer ? r->peer->why : "no peer");
  return true;
}

/* ---- job attributes ---- */

static void job_state(const scout_queue *q, const scout_job *j, ipp_jstate_t *state,
                      const char **reason, const char **message) {
  switch (j->state) {
  case SCOUT_JOB_INCOMING:
    *state = IPP_JSTATE_PENDING, *reason = "job-incoming", *message = "Receiving the document.";
    break;
  case SCOUT_JOB_HELD:
    /* pending keeps CUPS's ipp backend asking (it gives up on pending-held);
     * job-release-wait (PWG 5100.11) is the reason it then shows */
    if (q->options.held_as_pending)
      *state = IPP_JSTATE_PENDING, *reason = "job-release-wait";
    else
      *state = IPP_JSTATE_HELD, *reason = "job-hold-until-specified";
    *message = "Held: release it at any printer.";
    if (j->pin_hash[0]) /* EPX: waits for its PIN too */
      *reason = "job-password-wait", *message = "Held: release it at any printer with its PIN.";
    break;
  case SCOUT_JOB_RELEASING:
    *state = IPP_JSTATE_PROCESSING, *reason = "job-printing", *message = "Printing.";
    break;
  case SCOUT_JOB_PRINTED:
    *state = IPP_JSTATE_COMPLETED, *reason = "job-completed-successfully", *message = "Printed.";
    break;
  case SCOUT_JOB_CANCELED:
    *state = IPP_JSTATE_CANCELED, *reason = "job-canceled-by-user", *message = "Deleted.";
    break;
  case SCOUT_JOB_EXPIRED:
    *state = IPP_JSTATE_CANCELED, *reason = "job-canceled-by-operator",
    *message = "Expired without being released.";
    break;
  default:
    *state = IPP_JSTATE_ABORTED, *reason = "aborted-by-system",
    *message = j->reason[0] ? j->reason : "Could not be stored.";
    break;
  }
}

static int compare_names(void *a, void *b, void *data) {
  (void)data;
  return strcmp(a, b);
}

static bool wanted(cups_array_t *ra, const char *name) {
  return !ra || cupsArrayFind(ra, (void *)name) != NULL;
}

static void add_time(ipp_t *out, cups_array_t *ra, const char *name, const scout_queue *q,
                     time_t t) {
  if (!wanted(ra, name))
    return;
  if (t)
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_INTEGER, name, up_time(q, t));
  else
    ippAddOutOfBand(out, IPP_TAG_JOB, IPP_TAG_NOVALUE, name);
}

static void add_job_attributes(scout_request *r, const scout_job *j, cups_array_t *ra) {
  scout_queue *q = r->queue;
  /* as CUPS's default JobPrivateValues: another user's job shows without
   * its title and owner (the attributes are left out) */
  bool private_ok = scout_may_manage(&r->who, j);
  ipp_t *out = r->response;
  ipp_jstate_t state;
  const char *reason, *message;
  job_state(q, j, &state, &reason, &message);
  char job_uri[300];
  snprintf(job_uri, sizeof job_uri, "%s/%d", q->uri, j->id);
  if (wanted(ra, "job-id"))
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-id", j->id);
  if (wanted(ra, "job-uri"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_URI, "job-uri", NULL, job_uri);
  if (wanted(ra, "job-printer-uri"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_URI, "job-printer-uri", NULL, q->uri);
  if (private_ok && wanted(ra, "job-name"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_NAME, "job-name", NULL, j->name);
  if (private_ok && wanted(ra, "job-originating-user-name"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_NAME, "job-originating-user-name", NULL, j->user);
  if (wanted(ra, "job-state"))
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_ENUM, "job-state", (int)state);
  if (wanted(ra, "job-state-reasons"))
    ippAddString(out, IPP_TAG_JOB, IPP_CONST_TAG(IPP_TAG_KEYWORD), "job-state-reasons", NULL,
                 reason);
  if (wanted(ra, "job-state-message"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_TEXT, "job-state-message", NULL, message);
  if (wanted(ra, "job-printer-up-time"))
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-printer-up-time", up_time(q, time(NULL)));
  add_time(out, ra, "time-at-creation", q, j->created);
  add_time(out, ra, "time-at-processing", q, j->processing);
  add_time(out, ra, "time-at-completed", q, j->completed);
  if (wanted(ra, "copies"))
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies", j->copies);
  if (wanted(ra, "sides"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_KEYWORD, "sides", NULL, j->sides);
  if (wanted(ra, "print-color-mode"))
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL, j->color_mode);
  if (wanted(ra, "document-format") && j->format[0])
    ippAddString(out, IPP_TAG_JOB, IPP_TAG_MIMETYPE, "document-format", NULL, j->format);
  if (wanted(ra, "job-hold-until"))
    ippAddString(out, IPP_TAG_JOB, IPP_CONST_TAG(IPP_TAG_KEYWORD), "job-hold-until", NULL,
                 "indefinite");
  if (wanted(ra, "job-k-octets"))
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-k-octets",
                  (int)((j->size + 1023) / 1024));
  if (wanted(ra, "job-impressions") && j->pages >= 0)
    ippAddInteger(out, IPP_TAG_JOB, IPP_TAG_INTEGER, "job-impressions", (int)j->pages);
}

/* ---- request checks ---- */

/* Operation attributes of a job creation request that the queue reads or
 * that only describe the request. */
static const char *const known_operation[] = {"attributes-charset",
                                              "attributes-natural-language",
                                              "printer-uri",
                                              "requesting-user-name",
                                              "job-name",
                                              "ipp-attribute-fidelity",
                                              "document-name",
                                              "compression",
                                              "document-format",
                                              "document-natural-language",
                                              "job-password",
                                              "job-password-encryption",
                                              NULL};
/* Job template attributes a release honours (media: the size the document
 * was rendered for, which the printer takes from its pages). */
static const char *const honoured_template[] = {
    "copies", "sides", "print-color-mode", "media-col", "job-release-action", NULL};

static bool listed(const char *name, const char *const *list) {
  for (size_t i = 0; name && list[i]; i++)
    if (strcmp(name, list[i]) == 0)
      return true;
  return false;
}

/* Lists in unsupported-attributes what a job creation request asks for but
 * the queue will not do (RFC 8011 4.1.7: never ignored in silence): job
 * template attributes a release does not carry to the printer
 * (print-quality, output-bin, a media not in media-supported, ...; the
 * document is printed as the client rendered it),
 * unknown operation attributes, and a job-hold-until other than
 * "indefinite", since every job waits for its owner at a printer. Returns
 * how many. */
static int report_ignored(scout_request *r) {
  int n = 0;
  for (ipp_attribute_t *a = ippFirstAttribute(r->request); a; a = ippNextAttribute(r->request)) {
    const char *name = ippGetName(a);
    ipp_tag_t group = ippGetGroupTag(a);
    bool ignored = false;
    if (!name)
      continue;
    if (strcmp(name, "job-hold-until") == 0)
      ignored = strcmp(ippGetString(a, 0, NULL) ? ippGetString(a, 0, NULL) : "", "indefinite");
    else if (strcmp(name, "media") == 0 && group == IPP_TAG_JOB)
      ignored = ippGetCount(a) != 1 || !scout_media_supported(ippGetString(a, 0, NULL));
    else if (group == IPP_TAG_OPERATION)
      ignored = !listed(name, known_operation);
    else if (group == IPP_TAG_JOB)
      ignored = !listed(name, honoured_template);
    if (ignored) {
      unsupported(r, a);
      n++;
    }
  }
  return n;
}

/* Checks the job template attributes of a Print-Job/Validate-Job/Create-Job
 * request and fills `job`. False (response set) if something is wrong. */
static bool check_job_attributes(scout_request *r, scout_job *job) {
  ipp_t *req = r->request;
  bool ok = true;
  memset(job, 0, sizeof *job);
  job->copies = 1;
  job->pages = -1;
  snprintf(job->sides, sizeof job->sides, "one-sided");
  snprintf(job->color_mode, sizeof job->color_mode, "auto");
  snprintf(job->user, sizeof job->user, "%s", r->who.name);
  snprintf(job->name, sizeof job->name, "Untitled");

  ipp_attribute_t *a;
  if ((a = ippFindAttribute(req, "compression", IPP_TAG_ZERO))) {
    if (ippGetCount(a) != 1 || ippGetValueTag(a) != IPP_TAG_KEYWORD ||
        ippGetGroupTag(a) != IPP_TAG_OPERATION || strcmp(ippGetString(a, 0, NULL), "none")) {
      scout_ipp_status(r, IPP_STATUS_ERROR_COMPRESSION_NOT_SUPPORTED,
                       "Unsupported compression value.");
      unsupported(r, a);
      return false;
    }
  }
  if ((a = ippFindAttribute(req, "document-format", IPP_TAG_ZERO))) {
    if (ippGetCount(a) != 1 || ippGetValueTag(a) != IPP_TAG_MIMETYPE ||
        ippGetGroupTag(a) != IPP_TAG_OPERATION ||
        !scout_format_supported(ippGetString(a, 0, NULL))) {
      scout_ipp_status(r, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED,
                       "Unsupported document-format.");
      unsupported(r, a);
      return false;
    }
    snprintf(job->format, sizeof job->format, "%s", ippGetString(a, 0, NULL));
  }
  if ((a = ippFindAttribute(req, "job-name", IPP_TAG_ZERO))) {
    if (ippGetCount(a) != 1 ||
        (ippGetValueTag(a) != IPP_TAG_NAME && ippGetValueTag(a) != IPP_TAG_NAMELANG) ||
        ippGetGroupTag(a) != IPP_TAG_OPERATION) {
      unsupported(r, a);
      ok = false;
    } else {
      snprintf(job->name, sizeof job->name, "%s", ippGetString(a, 0, NULL));
    }
  }
  if ((a = ippFindAttribute(req, "copies", IPP_TAG_ZERO))) {
    if (ippGetCount(a) != 1 || ippGetValueTag(a) != IPP_TAG_INTEGER || ippGetInteger(a, 0) < 1 ||
        ippGetInteger(a, 0) > 999) {
      unsupported(r, a);
      ok = false;
    } else {
      job->copies = ippGetInteger(a, 0);
    }
  }
  if ((a = ippFindAttribute(req, "sides", IPP_TAG_ZERO))) {
    const char *v = ippGetString(a, 0, NULL);
    if (ippGetCount(a) != 1 || ippGetValueTag(a) != IPP_TAG_KEYWORD || !v ||
        (strcmp(v, "one-sided") && strcmp(v, "two-sided-long-edge") &&
         strcmp(v, "two-sided-short-edge"))) {
      unsupported(r, a);
      ok = false;
    } else {
      snprintf(job->sides, sizeof job->sides, "%s", v);
    }
  }
  if ((a = ippFindAttribute(req, "print-color-mode", IPP_TAG_ZERO))) {
    const char *v = ippGetString(a, 0, NULL);
    if (ippGetCount(a) != 1 || ippGetValueTag(a) != IPP_TAG_KEYWORD || !v ||
        (strcmp(v, "auto") && strcmp(v, "color") && strcmp(v, "monochrome"))) {
      unsupported(r, a);
      ok = false;
    } else {
      snprintf(job->color_mode, sizeof job->color_mode, "%s", v);
    }
  }
  if ((a = ippFindAttribute(req, "job-priority", IPP_TAG_ZERO)) &&
      (ippGetCount(a) != 1 || ippGetValueTag(a) != IPP_TAG_INTEGER || ippGetInteger(a, 0) < 1 ||
       ippGetInteger(a, 0) > 100)) {
    unsupported(r, a);
    ok = false;
  }
  if ((a = ippFindAttribute(req, "job-hold-until", IPP_TAG_ZERO))) {
    /* every job is held until released at a printer: any valid value is
     * accepted, "indefinite" is what happens (report_ignored says so) */
    if (ippGetCount(a) != 1 ||
        (ippGetValueTag(a) != IPP_TAG_KEYWORD && ippGetValueTag(a) != IPP_TAG_NAME &&
         ippGetValueTag(a) != IPP_TAG_NAMELANG)) {
      unsupported(r, a);
      ok = false;
    }
  }
  ipp_attribute_t *fidelity = ippFindAttribute(req, "ipp-attribute-fidelity", IPP_TAG_ZERO);
  if (fidelity && (ippGetCount(fidelity) != 1 || ippGetValueTag(fidelity) != IPP_TAG_BOOLEAN)) {
    unsupported(r, fidelity);
    ok = false;
  }
  if (!ok) {
    scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "Unsupported attribute values.");
    return false;
  }
  if (!scout_ipp_job_password(r, job))
    return false;
  int ignored = report_ignored(r);
  if (ignored && fidelity && ippGetBoolean(fidelity, 0)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES,
                     "ipp-attribute-fidelity is true and %d attribute(s) cannot be honoured.",
                     ignored);
    return false;
  }
  if (ignored)
    ippSetStatusCode(r->response, IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
  return true;
}

/* The job named by job-id (with printer-uri) or job-uri. */
static bool find_job(scout_request *r, scout_job *job) {
  ipp_attribute_t *a = ippFindAttribute(r->request, "job-id", IPP_TAG_ZERO);
  int id = 0;
  if (a) {
    if (ippGetGroupTag(a) != IPP_TAG_OPERATION || ippGetValueTag(a) != IPP_TAG_INTEGER ||
        ippGetCount(a) != 1) {
      scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "Bad job-id attribute.");
      return false;
    }
    id = ippGetInteger(a, 0);
  } else if ((a = ippFindAttribute(r->request, "job-uri", IPP_TAG_URI))) {
    const char *uri = ippGetString(a, 0, NULL);
    size_t n = strlen(r->queue->uri);
    if (strncmp(uri, r->queue->uri, n) == 0 && uri[n] == '/')
      id = atoi(uri + n + 1);
  } else {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "Missing job-id.");
    return false;
  }
  if (id <= 0 || !scout_job_get(r->queue->jobs, id, job)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_FOUND, "Job #%d does not exist.", id);
    return false;
  }
  return true;
}

/* ---- documents ---- */

/* Why a piece of a document could not be taken into memory. */
typedef enum { UPLOAD_OK, UPLOAD_QUEUE_FULL, UPLOAD_ACCOUNT_FULL } upload_room;

/* The entry of q->account_uploads for `account`, or a free one (bytes 0)
 * if it has none; NULL if every entry is taken. The caller holds q->lock. */
static scout_account_upload *account_upload(scout_queue *q, const char *account) {
  scout_account_upload *free_entry = NULL;
  for (int i = 0; i < q->options.max_connections; i++) {
    scout_account_upload *e = &q->account_uploads[i];
    if (e->bytes > 0 && strcmp(e->account, account) == 0)
      return e;
    if (e->bytes == 0 && !free_entry)
      free_entry = e;
  }
  return free_entry;
}

/* Takes `n` bytes from the budget of document bytes in flight (all uploads
 * together: they are held in RAM) and from `account`'s share of it, so
 * that one account cannot take it all. */
static upload_room reserve_upload(scout_queue *q, const char *account, int64_t n) {
  pthread_mutex_lock(&q->lock);
  scout_account_upload *e = account_upload(q, account);
  upload_room room = UPLOAD_OK;
  if (q->upload_bytes + n > q->options.max_upload_memory)
    room = UPLOAD_QUEUE_FULL;
  else if (!e || e->bytes + n > q->options.max_upload_memory_per_account)
    room = UPLOAD_ACCOUNT_FULL;
  if (room == UPLOAD_OK) {
    if (e->bytes == 0)
      snprintf(e->account, sizeof e->account, "%s", account);
    e->bytes += n;
    q->upload_bytes += n;
  }
  pthread_mutex_unlock(&q->lock);
  return room;
}

static void release_upload(scout_queue *q, const char *account, int64_t n) {
  if (n <= 0)
    return;
  pthread_mutex_lock(&q->lock);
  scout_account_upload *e = account_upload(q, account);
  if (e && e->bytes >= n) /* it has one: its reservations made it */
    e->bytes -= n;
  q->upload_bytes -= n;
  pthread_mutex_unlock(&q->lock);
}

/* Whether a document still comes fast enough: each window of
 * upload_rate_window_ms must bring min_upload_rate bytes a second. The
 * pause bound (body_timeout_ms) alone let a byte every few seconds hold a
 * connection for ever; this bounds a trickle to about one window (plus one
 * pause), while an honest slow upload far above the rate goes on. */
typedef struct upload_pace {
  int64_t window_start_ms, window_bytes;
} upload_pace;

static bool upload_pace_ok(const scout_queue *q, upload_pace *p, int64_t now_ms, ssize_t n) {
  p->window_bytes += n;
  int64_t elapsed = now_ms - p->window_start_ms;
  if (elapsed < q->options.upload_rate_window_ms)
    return true;
  if (p->window_bytes * 1000 < (int64_t)q->options.min_upload_rate * elapsed)
    return false;
  p->window_start_ms = now_ms;
  p->window_bytes = 0;
  return true;
}

/* Reads the document from the connection into a memory file and has it
 * stored; updates the job to held or aborted. Only a whole body is stored:
 * one cut off before its Content-Length or its last chunk aborts the job. */
static void receive_document(scout_request *r, scout_job *job) {
  scout_queue *q = r->queue;
  char reason[256] = "";
  int fd = memfd_create("sr-document", MFD_CLOEXEC);
  int64_t size = 0;
  bool too_big = false, too_slow = false, failed = fd < 0;
  upload_room room = UPLOAD_OK;
  unsigned char buf[65536], head[16];
  size_t head_len = 0;
  ssize_t n = 0;
  upload_pace pace = {.window_start_ms = scout_now_ms()};
  scout_request_progress(r);
  while (!failed && (n = httpRead2(r->http, (char *)buf, sizeof buf)) > 0) {
    scout_request_progress(r);
    if (!upload_pace_ok(q, &pace, scout_now_ms(), n)) {
      too_slow = true;
      break;
    }
    if (head_len < sizeof head) {
      size_t take = sizeof head - head_len < (size_t)n ? sizeof head - head_len : (size_t)n;
      memcpy(head + head_len, buf, take);
      head_len += take;
    }
    if (q->options.max_document > 0 && size + n > q->options.max_document) {
      too_big = true;
      break;
    }
    if ((room = reserve_upload(q, job->user, n)) != UPLOAD_OK)
      break;
    size += n;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(fd, buf + off, (size_t)(n - off));
      if (w <= 0) {
        failed = true;
        break;
      }
      off += w;
    }
  }
  bool busy = room != UPLOAD_OK;
  /* the body ended early: the client closed, timed out, or sent garbage.
   * libcups ends a chunked body at any EOF (as if its last chunk had come)
   * but records the EOF as an error (EPIPE): that is what tells them apart */
  bool cut_off =
      !too_big && !busy && !too_slow && !failed &&
      (n < 0 || httpGetState(r->http) == HTTP_STATE_POST_RECV || httpError(r->http) != 0);
  job->size = size;
  job->receiving = false;
  int status;
  if (too_big || busy || too_slow || failed || cut_off) {
    if (too_slow)
      snprintf(reason, sizeof reason,
               "The document came slower than %d bytes a second; send it again faster.",
               q->options.min_upload_rate);
    else
      snprintf(reason, sizeof reason, "%s",
               too_big                       ? "The document is larger than allowed."
               : room == UPLOAD_QUEUE_FULL   ? "The queue is receiving too much at once."
               : room == UPLOAD_ACCOUNT_FULL ? "This user is sending too much at once."
               : cut_off                     ? "The document was cut off before its end."
                                             : "Could not receive the document.");
    status = SR_ERR_IO;
  } else {
    if (!job->format[0] || strcmp(job->format, "application/octet-stream") == 0) {
      const char *sniffed = scout_format_sniff(head, head_len);
      snprintf(job->format, sizeof job->format, "%s",
               sniffed ? sniffed : "application/octet-stream");
    }
    lseek(fd, 0, SEEK_SET);
    status = q->hooks.store(q->hooks.ctx, job, fd, reason, sizeof reason);
  }
  if (fd >= 0)
    close(fd);
  release_upload(q, job->user, size);
  if (status == SR_OK) {
    job->state = SCOUT_JOB_HELD;
  } else {
    job->state = SCOUT_JOB_ABORTED;
    job->completed = time(NULL);
    snprintf(job->reason, sizeof job->reason, "%s", reason[0] ? reason : "Could not store.");
  }
  if (!scout_job_transition(q->jobs, job, SCOUT_JOB_INCOMING)) {
    /* canceled by its owner during its upload: the cancel stands */
    if (status == SR_OK && q->hooks.discard)
      q->hooks.discard(q->hooks.ctx, job);
    sr_log(SR_LOG_INFO, "queue", "job %d was canceled while its document came: not kept", job->id);
    scout_job_get(q->jobs, job->id, job);
    return;
  }
  if (status != SR_OK)
    sr_log(SR_LOG_WARN, "queue", "job %d aborted: %s", job->id, job->reason);
  else if (q->hooks.held)
    q->hooks.held(q->hooks.ctx, job); /* announced off this thread: the answer does not wait */
  if (busy || cut_off || too_slow)
    r->close_after = true; /* the rest of the body is not worth reading */
  if (too_big)
    scout_ipp_status(r, IPP_STATUS_ERROR_REQUEST_VALUE, "The document is too large.");
  else if (busy)
    scout_ipp_status(r, IPP_STATUS_ERROR_BUSY, "%s Try again later.", job->reason);
  else if (too_slow)
    scout_ipp_status(r, IPP_STATUS_ERROR_TIMEOUT, "%s", job->reason);
  else if (status != SR_OK)
    scout_ipp_status(r, IPP_STATUS_ERROR_INTERNAL, "%s", job->reason);
}

static void respond_job(scout_request *r, const scout_job *job) {
  static const char *const basic[] = {"job-id", "job-uri", "job-state", "job-state-reasons",
                                      "job-state-message"};
  cups_array_t *ra = cupsArrayNew(compare_names, NULL);
  for (size_t i = 0; i < 5; i++)
    cupsArrayAdd(ra, (void *)basic[i]);
  add_job_attributes(r, job, ra);
  cupsArrayDelete(ra);
}

static bool check_last_document(scout_request *r) {
  ipp_attribute_t *a = ippFindAttribute(r->request, "last-document", IPP_TAG_ZERO);
  if (!a || ippGetGroupTag(a) != IPP_TAG_OPERATION || ippGetValueTag(a) != IPP_TAG_BOOLEAN ||
      ippGetCount(a) != 1) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST,
                     a ? "Bad last-document value." : "Missing required last-document.");
    return false;
  }
  return true;
}

/* Checks the request's job attributes and adds an incoming job; false (with
 * the response set) if that is not possible. */
static bool create_job(scout_request *r, scout_job *job, bool with_document) {
  if (refuse_unknown(r) || !check_job_attributes(r, job))
    return false;
  job->state = SCOUT_JOB_INCOMING;
  job->created = time(NULL);
  job->receiving = with_document; /* a Create-Job's job waits, and may expire */
  int max = r->queue->options.max_jobs_per_user;
  int added = scout_job_add_for_user(r->queue->jobs, job, max, job);
  if (added == SR_ERR_EXISTS) {
    /* one account's flood of jobs must not stop the others from printing */
    scout_ipp_status(r, IPP_STATUS_ERROR_TOO_MANY_JOBS,
                     "%.64s already has %d unfinished jobs, the most one user may have.",
                     r->who.name, max);
    sr_log(SR_LOG_WARN, "queue", "job refused: %.64s has %d unfinished jobs", r->who.name, max);
    return false;
  }
  if (added != SR_OK) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BUSY, "Too many jobs.");
    return false;
  }
  if (strcmp(r->who.name, r->who.via) != 0)
    sr_log(SR_LOG_INFO, "queue", "job %d for %.64s, forwarded by the spooler %.64s", job->id,
           r->who.name, r->who.via);
  else
    sr_log(SR_LOG_INFO, "queue", "job %d from the local account %.64s", job->id, r->who.name);
  return true;
}

/* True if the requester may change `job`; otherwise sets the response. */
static bool may_manage(scout_request *r, const scout_job *job) {
  if (refuse_unknown(r))
    return false;
  if (scout_may_manage(&r->who, job))
    return true;
  scout_ipp_status(r, IPP_STATUS_ERROR_NOT_AUTHORIZED, "Job #%d belongs to another user.", job->id);
  sr_log(SR_LOG_WARN, "queue", "job %d: %.64s (account %.64s) may not change another user's job",
         job->id, r->who.name, r->who.via);
  return false;
}

static void op_print_job(scout_request *r) {
  scout_job job;
  if (!httpGetReady(r->http) && httpGetState(r->http) != HTTP_STATE_POST_RECV) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "No document data.");
    return;
  }
  if (!create_job(r, &job, true))
    return;
  receive_document(r, &job);
  respond_job(r, &job);
}

static void op_validate_job(scout_request *r) {
  scout_job job;
  check_job_attributes(r, &job); /* sets the status: ok, ignored-or-substituted, or refused */
}

static void op_create_job(scout_request *r) {
  scout_job job;
  if (httpGetReady(r->http)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "Unexpected document data.");
    return;
  }
  if (create_job(r, &job, false))
    respond_job(r, &job);
}

/* Operation attributes of a Send-Document request the queue reads or
 * that only describe it; the PIN's are scout_ipp_job_password_late's. */
static const char *const known_send_document[] = {"attributes-charset",
                                                  "attributes-natural-language",
                                                  "printer-uri",
                                                  "job-uri",
                                                  "job-id",
                                                  "requesting-user-name",
                                                  "document-name",
                                                  "compression",
                                                  "document-format",
                                                  "document-natural-language",
                                                  "last-document",
                                                  "job-password",
                                                  "job-password-encryption",
                                                  "job-release-action",
                                                  NULL};

/* Lists what a Send-Document asks for but the queue does not read (RFC
 * 8011 4.1.7: never ignored in silence). Returns how many. */
static int report_ignored_send(scout_request *r) {
  int n = 0;
  for (ipp_attribute_t *a = ippFirstAttribute(r->request); a; a = ippNextAttribute(r->request)) {
    const char *name = ippGetName(a);
    if (name && !(ippGetGroupTag(a) == IPP_TAG_OPERATION && listed(name, known_send_document))) {
      unsupported(r, a);
      n++;
    }
  }
  return n;
}

static void op_send_document(scout_request *r) {
  scout_job job;
  if (!find_job(r, &job) || !may_manage(r, &job))
    return;
  if (job.state != SCOUT_JOB_INCOMING) {
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_POSSIBLE, "Job #%d already has its document.", job.id);
    return;
  }
  if (!check_last_document(r) || !scout_ipp_job_password_late(r, &job))
    return;
  ipp_attribute_t *a = ippFindAttribute(r->request, "document-format", IPP_TAG_ZERO);
  if (a) {
    if (ippGetValueTag(a) != IPP_TAG_MIMETYPE ||
        !scout_format_supported(ippGetString(a, 0, NULL))) {
      scout_ipp_status(r, IPP_STATUS_ERROR_DOCUMENT_FORMAT_NOT_SUPPORTED,
                       "Unsupported document-format.");
      unsupported(r, a);
      return;
    }
    snprintf(job.format, sizeof job.format, "%s", ippGetString(a, 0, NULL));
  }
  if (!ippGetBoolean(ippFindAttribute(r->request, "last-document", IPP_TAG_BOOLEAN), 0)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_MULTIPLE_JOBS_NOT_SUPPORTED, "Only one document per job.");
    return;
  }
  if (!scout_job_begin_receiving(r->queue->jobs, job.id)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_POSSIBLE,
                     "Job #%d no longer waits for a document (it expired, or another "
                     "request is sending it).",
                     job.id);
    return;
  }
  /* before the document: an error while receiving it overrides this */
  if (report_ignored_send(r) > 0 || r->unsupported)
    ippSetStatusCode(r->response, IPP_STATUS_OK_IGNORED_OR_SUBSTITUTED);
  receive_document(r, &job);
  respond_job(r, &job);
}

static void cancel(scout_request *r, scout_job *job) {
  if (!may_manage(r, job))
    return;
  if (scout_job_is_finished(job)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_POSSIBLE, "Job #%d is already finished.", job->id);
    return;
  }
  if (job->state == SCOUT_JOB_RELEASING) {
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_POSSIBLE, "Job #%d is printing.", job->id);
    return;
  }
  bool had_document = job->state == SCOUT_JOB_HELD;
  scout_job_state was = job->state;
  job->state = SCOUT_JOB_CANCELED;
  job->completed = time(NULL);
  if (!scout_job_transition(r->queue->jobs, job, was)) {
    /* a release, its upload's end or the expiry moved it since it was read */
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_POSSIBLE,
                     "Job #%d changed meanwhile (it is printing or finished); look at it again.",
                     job->id);
    return;
  }
  if (had_document && r->queue->hooks.discard)
    r->queue->hooks.discard(r->queue->hooks.ctx, job);
  if (strcmp(r->who.name, job->user) == 0)
    sr_log(SR_LOG_INFO, "queue", "job %d deleted by its owner %.64s", job->id, job->user);
  else
    sr_log(SR_LOG_INFO, "queue", "job %d of %.64s deleted by the administrator %.64s", job->id,
           job->user, r->who.via);
}

static void op_cancel_job(scout_request *r) {
  scout_job job;
  if (find_job(r, &job))
    cancel(r, &job);
}

static bool active_of_user(const scout_job *j, void *ctx) {
  return !scout_job_is_finished(j) && strcmp(j->user, ctx) == 0;
}

static void op_cancel_my_jobs(scout_request *r) {
  if (refuse_unknown(r))
    return;
  scout_job *jobs = malloc(MAX_LISTED_JOBS * sizeof *jobs);
  if (!jobs) {
    scout_ipp_status(r, IPP_STATUS_ERROR_INTERNAL, "Out of memory.");
    return;
  }
  size_t n = scout_job_list(r->queue->jobs, active_of_user, r->who.name, jobs, MAX_LISTED_JOBS);
  for (size_t i = 0; i < n; i++)
    if (jobs[i].state != SCOUT_JOB_RELEASING)
      cancel(r, &jobs[i]);
  free(jobs);
}

static void op_get_job_attributes(scout_request *r) {
  scout_job job;
  if (!find_job(r, &job))
    return;
  cups_array_t *ra = ippCreateRequestedArray(r->request);
  add_job_attributes(r, &job, ra);
  cupsArrayDelete(ra);
}

typedef struct jobs_filter {
  int which; /* 0 not-completed, 1 completed, 2 all */
  const char *user;
} jobs_filter;

static bool jobs_match(const scout_job *j, void *ctx) {
  jobs_filter *f = ctx;
  if (f->user && strcmp(j->user, f->user) != 0)
    return false;
  bool finished = scout_job_is_finished(j);
  return f->which == 2 || (f->which == 1) == finished;
}

static void op_get_jobs(scout_request *r) {
  jobs_filter f = {0, NULL};
  ipp_attribute_t *a;
  if ((a = ippFindAttribute(r->request, "which-jobs", IPP_TAG_ZERO))) {
    const char *which = ippGetValueTag(a) == IPP_TAG_KEYWORD ? ippGetString(a, 0, NULL) : NULL;
    if (which && strcmp(which, "completed") == 0)
      f.which = 1;
    else if (which && strcmp(which, "all") == 0)
      f.which = 2;
    else if (!which || strcmp(which, "not-completed") != 0) {
      scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "Unsupported which-jobs.");
      unsupported(r, a);
      return;
    }
  }
  int limit = MAX_LISTED_JOBS;
  if ((a = ippFindAttribute(r->request, "limit", IPP_TAG_ZERO))) {
    if (ippGetValueTag(a) != IPP_TAG_INTEGER || ippGetInteger(a, 0) < 1) {
      scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "Bad limit.");
      unsupported(r, a);
      return;
    }
    if (ippGetInteger(a, 0) < limit)
      limit = ippGetInteger(a, 0);
  }
  if ((a = ippFindAttribute(r->request, "my-jobs", IPP_TAG_ZERO))) {
    if (ippGetValueTag(a) != IPP_TAG_BOOLEAN) {
      scout_ipp_status(r, IPP_STATUS_ERROR_ATTRIBUTES_OR_VALUES, "Bad my-jobs.");
      unsupported(r, a);
      return;
    }
    if (ippGetBoolean(a, 0))
      f.user = r->who.name; /* "" for an unknown peer: no job */
  }
  scout_job *jobs = malloc((size_t)limit * sizeof *jobs);
  if (!jobs) {
    scout_ipp_status(r, IPP_STATUS_ERROR_INTERNAL, "Out of memory.");
    return;
  }
  size_t n = scout_job_list(r->queue->jobs, jobs_match, &f, jobs, (size_t)limit);
  /* NULL means "all" when requested-attributes is present; without it the
   * default for Get-Jobs is job-id and job-uri only */
  cups_array_t *ra = ippCreateRequestedArray(r->request);
  if (!ra && !ippFindAttribute(r->request, "requested-attributes", IPP_TAG_KEYWORD)) {
    ra = cupsArrayNew(compare_names, NULL);
    cupsArrayAdd(ra, "job-id");
    cupsArrayAdd(ra, "job-uri");
  }
  for (size_t i = 0; i < n; i++) {
    if (i)
      ippAddSeparator(r->response);
    add_job_attributes(r, &jobs[i], ra);
  }
  cupsArrayDelete(ra);
  free(jobs);
}

static void op_get_printer_attributes(scout_request *r) {
  scout_queue *q = r->queue;
  cups_array_t *ra = ippCreateRequestedArray(r->request);
  scout_printer_attributes_copy(r->response, q->attributes, ra);
  int active = scout_job_count_active(q->jobs);
  if (wanted(ra, "printer-state"))
    ippAddInteger(r->response, IPP_TAG_PRINTER, IPP_TAG_ENUM, "printer-state", IPP_PSTATE_IDLE);
  if (wanted(ra, "printer-state-reasons"))
    ippAddString(r->response, IPP_TAG_PRINTER, IPP_CONST_TAG(IPP_TAG_KEYWORD),
                 "printer-state-reasons", NULL, "none");
  if (wanted(ra, "printer-state-message"))
    ippAddString(r->response, IPP_TAG_PRINTER, IPP_TAG_TEXT, "printer-state-message", NULL,
                 "Ready: jobs are held until released at a printer.");
  if (wanted(ra, "printer-is-accepting-jobs"))
    ippAddBoolean(r->response, IPP_TAG_PRINTER, "printer-is-accepting-jobs", 1);
  if (wanted(ra, "printer-up-time"))
    ippAddInteger(r->response, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "printer-up-time",
                  up_time(q, time(NULL)));
  if (wanted(ra, "printer-current-time"))
    ippAddDate(r->response, IPP_TAG_PRINTER, "printer-current-time", ippTimeToDate(time(NULL)));
  if (wanted(ra, "queued-job-count"))
    ippAddInteger(r->response, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "queued-job-count", active);
  if (wanted(ra, "printer-config-change-time"))
    ippAddInteger(r->response, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "printer-config-change-time", 1);
  if (wanted(ra, "printer-state-change-time"))
    ippAddInteger(r->response, IPP_TAG_PRINTER, IPP_TAG_INTEGER, "printer-state-change-time", 1);
  cupsArrayDelete(ra);
}

/* ---- dispatch ---- */

/* RFC 8011 section 4.1 checks common to every request; false (response
 * set) if the request is malformed. */
static bool check_request(scout_request *r) {
  ipp_t *req = r->request;
  int minor = 0, major = ippGetVersion(req, &minor);
  if (major < 1 || major > 2) {
    scout_ipp_status(r, IPP_STATUS_ERROR_VERSION_NOT_SUPPORTED, "Bad request version number %d.%d.",
                     major, minor);
    return false;
  }
  if (ippGetRequestId(req) <= 0) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "Bad request-id %d.", ippGetRequestId(req));
    return false;
  }
  ipp_attribute_t *charset = ippFirstAttribute(req);
  if (!charset || !ippGetName(charset)) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "No attributes in request.");
    return false;
  }
  /* attributes must come grouped, operation attributes first */
  ipp_tag_t group = ippGetGroupTag(charset);
  for (ipp_attribute_t *a = charset; a; a = ippNextAttribute(req)) {
    if (ippGetGroupTag(a) < group && ippGetGroupTag(a) != IPP_TAG_ZERO) {
      scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "Attribute groups are out of order.");
      return false;
    }
    group = ippGetGroupTag(a);
  }
  charset = ippFirstAttribute(req);
  ipp_attribute_t *language = ippNextAttribute(req);
  if (strcmp(ippGetName(charset), "attributes-charset") != 0 ||
      ippGetValueTag(charset) != IPP_TAG_CHARSET || ippGetGroupTag(charset) != IPP_TAG_OPERATION ||
      !language || !ippGetName(language) ||
      strcmp(ippGetName(language), "attributes-natural-language") != 0 ||
      ippGetValueTag(language) != IPP_TAG_LANGUAGE ||
      ippGetGroupTag(language) != IPP_TAG_OPERATION) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST,
                     "attributes-charset and attributes-natural-language must come first.");
    return false;
  }
  const char *cs = ippGetString(charset, 0, NULL);
  if (strcasecmp(cs, "utf-8") != 0 && strcasecmp(cs, "us-ascii") != 0) {
    scout_ipp_status(r, IPP_STATUS_ERROR_CHARSET, "Unsupported character set \"%s\".", cs);
    unsupported(r, charset);
    return false;
  }
  ipp_attribute_t *uri = ippFindAttribute(req, "printer-uri", IPP_TAG_URI);
  if (!uri)
    uri = ippFindAttribute(req, "job-uri", IPP_TAG_URI);
  if (!uri || ippGetGroupTag(uri) != IPP_TAG_OPERATION) {
    scout_ipp_status(r, IPP_STATUS_ERROR_BAD_REQUEST, "Missing printer-uri or job-uri.");
    return false;
  }
  char scheme[32], user[64], host[256], resource[256];
  int port;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, ippGetString(uri, 0, NULL), scheme, sizeof scheme, user,
                      sizeof user, host, sizeof host, &port, resource,
                      sizeof resource) < HTTP_URI_STATUS_OK ||
      strncmp(resource, SCOUT_QUEUE_RESOURCE, strlen(SCOUT_QUEUE_RESOURCE)) != 0) {
    scout_ipp_status(r, IPP_STATUS_ERROR_NOT_FOUND, "\"%s\" is not this queue.",
                     ippGetString(uri, 0, NULL));
    return false;
  }
  return true;
}

void scout_ipp_dispatch(scout_request *r) {
  ippSetStatusCode(r->response, IPP_STATUS_OK);
  if (!check_request(r)) {
    place_unsupported(r);
    return;
  }
  scout_peer unknown = {.why = "no connection"};
  scout_requester_of(r->peer ? r->peer : &unknown, requesting_user(r), &r->who);
  ipp_op_t op = ippGetOperation(r->request);
  switch (op) {
  case IPP_OP_PRINT_JOB: op_print_job(r); break;
  case IPP_OP_VALIDATE_JOB: op_validate_job(r); break;
  case IPP_OP_CREATE_JOB: op_create_job(r); break;
  case IPP_OP_SEND_DOCUMENT: op_send_document(r); break;
  case IPP_OP_CANCEL_JOB: op_cancel_job(r); break;
  case IPP_OP_CANCEL_MY_JOBS: op_cancel_my_jobs(r); break;
  case IPP_OP_GET_JOB_ATTRIBUTES: op_get_job_attributes(r); break;
  case IPP_OP_GET_JOBS: op_get_jobs(r); break;
  case IPP_OP_GET_PRINTER_ATTRIBUTES: op_get_printer_attributes(r); break;
  case IPP_OP_IDENTIFY_PRINTER: break; /* nothing to blink: the queue is virtual */
  default:
    scout_ipp_status(r, IPP_STATUS_ERROR_OPERATION_NOT_SUPPORTED, "Operation %s not supported.",
                     ippOpString(op));
    break;
  }
  place_unsupported(r);
}
