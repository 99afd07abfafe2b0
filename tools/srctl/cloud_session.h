/*
 * What every administration command shares: the options that say which
 * cloud and which token (--cloud, --ca, --token-file, --json, or the
 * SR_CLOUD_URL, SR_CLOUD_CA and SR_TOKEN_FILE variables), the call to the
 * API with errors that say what to do, and the printing of the answer.
 */
#ifndef SRCTL_CLOUD_SESSION_H
#define SRCTL_CLOUD_SESSION_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "cli.h"

typedef struct srctl_cloud {
  const char *url, *ca, *token_file; /* borrowed from argv or the environment */
  char token[256];
  bool json;
} srctl_cloud;

/* The common options ({0}-terminated), added by srctl_parser_init. */
extern const struct option srctl_cloud_options[];

/* Starts from the environment (SR_CLOUD_URL, SR_CLOUD_CA, SR_TOKEN_FILE). */
void srctl_cloud_defaults(srctl_cloud *a);

/* Stores a common option (`arg` borrowed); false if `opt` is not one. */
bool srctl_cloud_option(srctl_cloud *a, int opt, const char *arg);

/* After parsing: checks the URL (refused through `p`, 64) and reads the
 * token file (1 if it cannot). 0 when the cloud can be called. */
int srctl_cloud_open(srctl_cloud *a, srctl_parser *p);

/* Forgets the token. */
void srctl_cloud_close(srctl_cloud *a);

/* Calls the cloud (`body` may be NULL, stays the caller's); returns the
 * reply (caller decrefs; {} when the answer had no body) with *rc 0, or
 * NULL with *rc 1 after saying on stderr what went wrong and what to do. */
json_t *srctl_cloud_call(srctl_cloud *a, const char *method, const char *path, json_t *body,
                         int expected, int *rc);

void srctl_print_json(json_t *o);

/* Prints each row of reply[key] as "col=value ..." (or the JSON). */
void srctl_print_rows(srctl_cloud *a, json_t *reply, const char *key);

/* srctl NOUN list (and jobs): GET /api/v1/COLLECTION, its rows printed. */
int srctl_list(const srctl_command *cmd, int argc, char **argv);

/* srctl NOUN remove ID: DELETE /api/v1/COLLECTION/ID. */
int srctl_remove(const srctl_command *cmd, int argc, char **argv);

#endif
