#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static int min_level = -1; /* -1: not read from the environment yet */

int sr_log_level_parse(const char *name) {
  for (int i = 0; name && i < 4; i++)
    if (strcmp(name, level_names[i]) == 0)
      return i;
  return -1;
}

void sr_log_set_level(int level) { min_level = level; }

int sr_log_get_level(void) {
  if (min_level < 0) {
    int env = sr_log_level_parse(getenv("SR_LOG_LEVEL"));
    min_level = env >= 0 ? env : SR_LOG_INFO;
  }
  return min_level;
}

/* The last error lines, newest last, for the scouts' health reports: a ring
 * written by any thread (errors are rare, so one lock is cheap). */
static struct {
  pthread_mutex_t lock;
  sr_log_error entries[SR_LOG_RECENT_ERRORS];
  size_t next, count;
} recent = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void remember_error(int64_t at, const char *comp, const char *msg) {
  pthread_mutex_lock(&recent.lock);
  sr_log_error *e = &recent.entries[recent.next];
  e->at = at;
  if (snprintf(e->message, sizeof e->message, "%s: %s", comp ? comp : "-", msg) >=
      (int)sizeof e->message)
    memcpy(e->message + sizeof e->message - 4, "...", 4); /* say it was cut */
  recent.next = (recent.next + 1) % SR_LOG_RECENT_ERRORS;
  if (recent.count < SR_LOG_RECENT_ERRORS)
    recent.count++;
  pthread_mutex_unlock(&recent.lock);
}

size_t sr_log_recent_errors(sr_log_error *out, size_t max) {
  pthread_mutex_lock(&recent.lock);
  size_t n = recent.count < max ? recent.count : max;
  /* the newest n, oldest of them first */
  for (size_t i = 0; i < n; i++)
    out[i] = recent.entries[(recent.next + SR_LOG_RECENT_ERRORS - n + i) % SR_LOG_RECENT_ERRORS];
  pthread_mutex_unlock(&recent.lock);
  return n;
}

void sr_logv(int level, const char *comp, const char *fmt, va_list ap) {
  if (level < sr_log_get_level() || level < 0 || level > SR_LOG_ERROR)
    return;
  char msg[1024];
  vsnprintf(msg, sizeof msg, fmt, ap);

  /* Quote the message so a line is always one event: escape quotes,
   * backslashes and control characters. */
  char quoted[sizeof msg * 2];
  size_t q = 0;
  for (const char *p = msg; *p && q < sizeof quoted - 5; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '"' || c == '\\') {
      quoted[q++] = '\\';
      quoted[q++] = (char)c;
    } else if (c == '\n') {
      quoted[q++] = '\\';
      quoted[q++] = 'n';
    } else if (c < 0x20 || c == 0x7f) {
      quoted[q++] = '?';
    } else {
      quoted[q++] = (char)c;
    }
  }
  quoted[q] = '\0';

  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (level == SR_LOG_ERROR)
    remember_error((int64_t)ts.tv_sec, comp, msg);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  fprintf(stderr, "ts=%s.%03ldZ level=%s comp=%s msg=\"%s\"\n", when, ts.tv_nsec / 1000000,
          level_names[level], comp ? comp : "-", quoted);
}

void sr_log(int level, const char *comp, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sr_logv(level, comp, fmt, ap);
  va_end(ap);
}
