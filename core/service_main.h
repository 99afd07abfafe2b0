/*
 * What every service's main() does first: read `--config FILE` (and, for
 * scouts, `enroll --config FILE --token TOKEN`), load the file with its
 * schema and say every problem on stderr.
 */
#ifndef SR_CORE_SERVICE_MAIN_H
#define SR_CORE_SERVICE_MAIN_H

#include <stdbool.h>

#include "service_config.h"

typedef struct sr_service_args {
  const char *config; /* --config FILE */
  const char *verb;   /* a first word from `verbs` ("enroll", ...), or NULL: run */
  const char *token;  /* --token TOKEN (enroll) */
  bool renew;         /* --renew (passcode) */
  const char *email;  /* --email ADDRESS (register) */
  bool enroll;        /* verb is "enroll" */
} sr_service_args;

/* Parses argv: [VERB] --config FILE [--token T] [--renew] [--email E], VERB one of
 * `verbs` (NULL-terminated, may be NULL). "enroll" needs --token. False on
 * a usage error. */
bool sr_service_args_parse(int argc, char **argv, const char *const *verbs, sr_service_args *out);

/* Loads `path` as a configuration of `kind`, prints every error (with
 * file:line:column) to stderr and sets the log level. On true the caller
 * owns *doc (sr_config_free) and *cfg points into it. */
bool sr_service_config_load(const char *path, int kind, sr_config **doc, sr_service_config *cfg);

#endif
