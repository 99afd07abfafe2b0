/* srctl's command-line conventions (cli.h): getopt_long per command. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_session.h"

/* The command's usage; an administration command's also names the options
 * every one of them takes (srctl_cloud_options). */
static void print_usage(const srctl_parser *p, FILE *out) {
  fprintf(out, "usage: srctl %s\n", p->cmd->usage);
  if (p->cloud)
    fputs("  also: --cloud https://HOST:PORT, --ca FILE, --token-file FILE (or SR_CLOUD_URL,\n"
          "  SR_CLOUD_CA, SR_TOKEN_FILE), --json for machine-readable output\n",
          out);
}

void srctl_parser_init(srctl_parser *p, const srctl_command *cmd, int argc, char **argv,
                       const struct option *options, struct srctl_cloud *cloud) {
  memset(p, 0, sizeof *p);
  p->cmd = cmd;
  p->argc = argc;
  p->argv = argv;
  p->cloud = cloud;
  size_t n = 0;
  for (; options && options[n].name && n < 24; n++)
    p->options[n] = options[n];
  for (const struct option *o = cloud ? srctl_cloud_options : NULL; o && o->name; o++)
    p->options[n++] = *o;
  p->options[n++] = (struct option){"help", no_argument, NULL, 'h'};
  p->options[n] = (struct option){0};
  if (cloud)
    srctl_cloud_defaults(cloud);
  optind = 0; /* glibc: start afresh on this argv (argv[0] is the verb) */
  opterr = 0; /* we say what is wrong, with the command's usage */
}

int srctl_refuse(srctl_parser *p, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "srctl %s%s%s: ", p->cmd->noun, p->cmd->verb ? " " : "",
          p->cmd->verb ? p->cmd->verb : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  print_usage(p, stderr);
  p->status = SRCTL_EXIT_USAGE;
  return SRCTL_EXIT_USAGE;
}

int srctl_next(srctl_parser *p) {
  int index = -1;
  /* leading ':' tells a missing argument from an unknown option */
  int opt = getopt_long(p->argc, p->argv, ":h", p->options, &index);
  const char *word = p->argv[optind - 1 < p->argc ? optind - 1 : p->argc - 1];
  if (opt == 'h') {
    print_usage(p, stdout);
    p->status = 0;
    return SRCTL_STOP;
  }
  if (opt == '?') {
    srctl_refuse(p, "unknown option '%s'", optopt ? (char[]){'-', (char)optopt, 0} : word);
    return SRCTL_STOP;
  }
  if (opt == ':') {
    srctl_refuse(p, "option '%s' needs a value", word);
    return SRCTL_STOP;
  }
  if (opt >= 0 && p->cloud && srctl_cloud_option(p->cloud, opt, optarg))
    return srctl_next(p);
  return opt;
}

bool srctl_positionals(srctl_parser *p, int min, int max) {
  int n = p->argc - optind;
  if (n < min)
    srctl_refuse(p, "missing argument");
  else if (n > max)
    srctl_refuse(p, "unexpected argument '%s'", p->argv[optind + max]);
  return n >= min && n <= max;
}

bool srctl_number(srctl_parser *p, const char *name, const char *text, long min, long max,
                  long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < min || v > max) {
    srctl_refuse(p, "--%s: expected a whole number from %ld to %ld, got '%s'", name, min, max,
                 text);
    return false;
  }
  *out = v;
  return true;
}

void srctl_print_usages(const srctl_command *table, const char *noun, bool summaries, FILE *out) {
  for (const srctl_command *c = table; c->noun; c++) {
    if (noun && strcmp(c->noun, noun) != 0)
      continue;
    fprintf(out, "  srctl %s\n", c->usage);
    if (summaries)
      fprintf(out, "      %s\n", c->summary);
  }
}

int srctl_dispatch(const srctl_command *table, int argc, char **argv) {
  const char *noun = argv[0], *verb = argc > 1 ? argv[1] : NULL;
  const srctl_command *found = NULL;
  bool known = false;
  for (const srctl_command *c = table; c->noun; c++) {
    if (strcmp(c->noun, noun) != 0)
      continue;
    known = true;
    if (!c->verb) /* a noun alone: everything after it is its own */
      return c->run(c, argc, argv);
    if (verb && strcmp(c->verb, verb) == 0)
      found = c;
  }
  if (found)
    return found->run(found, argc - 1, argv + 1);
  bool help = verb && (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0);
  if (known && !help)
    fprintf(stderr, verb ? "srctl %s: unknown command '%s'\n" : "srctl %s: say what to do\n", noun,
            verb);
  else if (!known)
    fprintf(stderr, "srctl: unknown command '%s'\n", noun);
  FILE *out = help ? stdout : stderr;
  fprintf(out, "usage:\n");
  srctl_print_usages(table, known ? noun : NULL, false, out);
  return help ? 0 : SRCTL_EXIT_USAGE;
}
