/*
 * srctl's command-line conventions, shared by every command: each command
 * is a table row (noun, verb, usage, what it does); its options are parsed
 * with getopt_long after the verb, so options and positionals may come in
 * any order; `--help`/`-h` prints the usage on stdout (exit 0); a mistake
 * is refused with a message and the usage on stderr (exit 64).
 */
#ifndef SRCTL_CLI_H
#define SRCTL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define SRCTL_EXIT_USAGE 64
/* srctl_next's answer when parsing ends early: help shown or a mistake */
#define SRCTL_STOP (-2)

struct srctl_cloud;

typedef struct srctl_command {
  const char *noun;    /* "user" */
  const char *verb;    /* "add"; NULL for a noun alone (submit, jobs) */
  const char *usage;   /* the synopsis after "srctl " */
  const char *summary; /* one line for `srctl --help` */
  /* argv[0] is the verb (or the noun alone); returns the exit status */
  int (*run)(const struct srctl_command *self, int argc, char **argv);
  const char *collection; /* list and remove: /api/v1/COLLECTION */
  const char *done;       /* remove: what the success message says */
} srctl_command;

/* One parse of a command's argv. `cloud` (may be NULL) adds the common
 * options --cloud, --ca, --token-file and --json. */
typedef struct srctl_parser {
  const srctl_command *cmd;
  int argc;
  char **argv;
  struct option options[32];
  struct srctl_cloud *cloud;
  int status; /* the exit status when srctl_next answered SRCTL_STOP */
} srctl_parser;

/* Starts parsing argv (argv[0] is the verb) with the command's own
 * `options` ({0}-terminated, values >= 256) and, when `cloud` is given,
 * the common ones, which srctl_next then stores in *cloud itself. */
void srctl_parser_init(srctl_parser *p, const srctl_command *cmd, int argc, char **argv,
                       const struct option *options, struct srctl_cloud *cloud);

/* The next option's value (its argument in optarg), -1 when the options
 * are done (the positionals are then argv[optind..argc)), or SRCTL_STOP
 * with p->status set after --help (0) or a mistake (64, said on stderr). */
int srctl_next(srctl_parser *p);

/* Checks the number of positionals left: true when it is from `min` to
 * `max`; false with p->status 64 (and the usage on stderr) otherwise. */
bool srctl_positionals(srctl_parser *p, int min, int max);

/* Refuses the command: "srctl NOUN VERB: MESSAGE" and the usage on stderr.
 * Returns SRCTL_EXIT_USAGE (and sets p->status to it). */
int srctl_refuse(srctl_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A whole number from `min` to `max` in `text` (option `name`), or a
 * refusal naming the option (false, p->status 64). */
bool srctl_number(srctl_parser *p, const char *name, const char *text, long min, long max,
                  long *out);

/* Runs the command that argv names (argv[0] is the noun) from `table`
 * (terminated by a row with a NULL noun): `srctl NOUN --help` lists the
 * noun's commands; a missing or unknown verb is refused with them. */
int srctl_dispatch(const srctl_command *table, int argc, char **argv);

/* Prints every usage line of `table` for `noun` (all nouns when NULL). */
void srctl_print_usages(const srctl_command *table, const char *noun, bool summaries, FILE *out);

#endif
