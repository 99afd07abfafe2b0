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
  const char *token;  /* enroll --token TOKEN, or NULL */
  bool enroll;        /* the first argument was "enroll" */
} sr_service_args;

/* Parses argv; `can_enroll` allows the enroll form. False on a usage error. */
bool sr_service_args_parse(int argc, char **argv, bool can_enroll, sr_service_args *out);

/* Loads `path` as a configuration of `kind`, prints every error (with
 * file:line:column) to stderr and sets the log level. On true the caller
 * owns *doc (sr_config_free) and *cfg points into it. */
bool sr_service_config_load(const char *path, int kind, sr_config **doc, sr_service_config *cfg);

#endif
