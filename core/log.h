/*
 * Structured logging to stderr, one logfmt line per event:
 *   ts=2026-11-24T21:30:00.123Z level=info comp=loader msg="loaded plugin"
 * Never log secrets or document content.
 */
#ifndef SR_CORE_LOG_H
#define SR_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sr/host.h"

/* Sets the lowest level written (default SR_LOG_INFO, or SR_LOG_LEVEL from
 * the environment at first use). */
void sr_log_set_level(int level);
int sr_log_get_level(void);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int sr_log_level_parse(const char *name);

/* Writes one line if `level` is enabled. `comp` names the component. */
void sr_log(int level, const char *comp, const char *fmt, ...) SR_PRINTF(3, 4);
void sr_logv(int level, const char *comp, const char *fmt, va_list ap) SR_PRINTF(3, 0);

/* The last error lines written (level error), kept in memory for the
 * scouts' health reports. */
#define SR_LOG_RECENT_ERRORS 5
typedef struct sr_log_error {
  int64_t at;        /* Unix time */
  char message[256]; /* "comp: message", cut to fit */
} sr_log_error;

/* Copies up to `max` of the newest errors, oldest first, into out;
 * returns how many. Safe from any thread. */
size_t sr_log_recent_errors(sr_log_error *out, size_t max);

#endif
