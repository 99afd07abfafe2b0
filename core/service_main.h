/*
 * What every service's main() does first: read its command line
 * (`--config FILE`, and for scouts verbs such as `enroll --config FILE
 * --token TOKEN`), load the file with its schema and say every problem on
 * stderr.
 */
#ifndef SR_CORE_SERVICE_MAIN_H
#define SR_CORE_SERVICE_MAIN_H

#include <stdbool.h>

#include "service_config.h"

typedef struct sr_service_args {
  const char *config; /* --config FILE */
  const char *verb;   /* a first word from the forms ("enroll", ...), or NULL: run */
  const char *token;  /* --token TOKEN (enroll) */
  bool renew;         /* --renew (passcode) */
  const char *email;  /* --email ADDRESS (register) */
  bool enroll;        /* verb is "enroll" */
  bool once;          /* --once (discover) */
  bool json;          /* --json (discover) */
} sr_service_args;

/* One way to call a service: its verb (NULL: run the service) and the
 * options that follow it, as the usage shows them. */
typedef struct sr_service_form {
  const char *verb;
  const char *synopsis; /* "--config FILE --token TOKEN" */
} sr_service_form;

/* Parses argv with getopt_long after the verb, if any (so options come
 * in any order): `forms` ({0}-terminated) are what `program` accepts;
 * --config everywhere, --token with enroll (required), --renew with
 * passcode, --email ADDRESS (checked) with register, --once and --json
 * with discover. Returns -1 to go on
 * with *out filled; otherwise the exit status: 0 after --help/-h (the
 * usage on stdout), 64 after a mistake (said, with the usage, on stderr). */
int sr_service_args_parse(const char *program, const sr_service_form *forms, int argc, char **argv,
                          sr_service_args *out);

/* Loads `path` as a configuration of `kind`, prints every error (with
 * file:line:column) to stderr and sets the log level. On true the caller
 * owns *doc (sr_config_free) and *cfg points into it. */
bool sr_service_config_load(const char *path, int kind, sr_config **doc, sr_service_config *cfg);

#endif
