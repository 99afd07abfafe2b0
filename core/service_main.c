#include "service_main.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "idhash.h"
#include "log.h"
#include "sr/abi.h"

static void print_usage(const char *program, const sr_service_form *forms, const char *verb,
                        FILE *out) {
  const char *lead = "usage:";
  for (const sr_service_form *f = forms; f->synopsis; f++) {
    if (verb && (!f->verb || strcmp(f->verb, verb) != 0))
      continue;
    fprintf(out, "%s %s%s%s %s\n", lead, program, f->verb ? " " : "", f->verb ? f->verb : "",
            f->synopsis);
    lead = "      ";
  }
}

/* Says what is wrong and shows the usage of the verb; returns 64. */
static int refuse(const char *program, const sr_service_form *forms, const char *verb,
                  const char *what, const char *arg) {
  fprintf(stderr, "%s%s%s: %s%s%s\n", program, verb ? " " : "", verb ? verb : "", what,
          arg ? " " : "", arg ? arg : "");
  print_usage(program, forms, verb, stderr);
  return 64;
}

int sr_service_args_parse(const char *program, const sr_service_form *forms, int argc, char **argv,
                          sr_service_args *out) {
  enum { CONFIG = 256, TOKEN, RENEW, EMAIL, ONCE, JSON };
  static const struct option options[] = {{"config", required_argument, NULL, CONFIG},
                                          {"token", required_argument, NULL, TOKEN},
                                          {"renew", no_argument, NULL, RENEW},
                                          {"email", required_argument, NULL, EMAIL},
                                          {"once", no_argument, NULL, ONCE},
                                          {"json", no_argument, NULL, JSON},
                                          {"help", no_argument, NULL, 'h'},
                                          {0}};
  memset(out, 0, sizeof *out);
  for (const sr_service_form *f = forms; argc > 1 && f->synopsis; f++)
    if (f->verb && strcmp(argv[1], f->verb) == 0)
      out->verb = f->verb;
  out->enroll = out->verb && strcmp(out->verb, "enroll") == 0;
  const char *v = out->verb;
  /* the verb is argv[0] of its own parse: options may come before or
   * after any word but the verb */
  int n = v ? argc - 1 : argc;
  char **args = v ? argv + 1 : argv;
  optind = 0; /* glibc: start afresh */
  opterr = 0; /* we say what is wrong, with the usage */
  int opt;
  char mail[SR_ID_MAX];
  int index = -1;
  while ((opt = getopt_long(n, args, ":h", options, &index)) != -1) {
    /* an option of another verb: named as given, without its value */
    char known[32];
    snprintf(known, sizeof known, "--%s", index >= 0 ? options[index].name : "");
    const char *word = opt == '?' || opt == ':' || index < 0 ? args[optind - 1] : known;
    index = -1;
    bool allowed = opt == CONFIG || opt == 'h' || (opt == TOKEN && out->enroll) ||
                   (opt == RENEW && v && strcmp(v, "passcode") == 0) ||
                   (opt == EMAIL && v && strcmp(v, "register") == 0) ||
                   ((opt == ONCE || opt == JSON) && v && strcmp(v, "discover") == 0);
    if (opt == ':')
      return refuse(program, forms, v, "this option needs a value:", word);
    if (opt == '?' || !allowed)
      return refuse(program, forms, v, "unknown option", word);
    switch (opt) {
    case 'h': print_usage(program, forms, v, stdout); return 0;
    case CONFIG: out->config = optarg; break;
    case TOKEN: out->token = optarg; break;
    case RENEW: out->renew = true; break;
    case ONCE: out->once = true; break;
    case JSON: out->json = true; break;
    case EMAIL:
      if (sr_email_normalise(optarg, mail, sizeof mail) != SR_OK)
        return refuse(program, forms, v, "--email: not an email address:", optarg);
      out->email = optarg;
      break;
    }
  }
  if (optind < n)
    return refuse(program, forms, v, "unexpected argument", args[optind]);
  if (!out->config)
    return refuse(program, forms, v, "--config FILE is required", NULL);
  if (v && strcmp(v, "discover") == 0 && !out->once)
    return refuse(program, forms, v, "--once is required (the service scans on its schedule)",
                  NULL);
  if (out->enroll && !out->token)
    return refuse(program, forms, v, "--token TOKEN is required (from srctl scout enroll)", NULL);
  return -1;
}

bool sr_service_config_load(const char *path, int kind, sr_config **doc, sr_service_config *cfg) {
  *doc = sr_config_load_file(path);
  if (!*doc)
    return false;
  bool ok = sr_service_config_apply(*doc, cfg);
  for (size_t i = 0; i < sr_config_error_count(*doc); i++)
    fprintf(stderr, "%s\n", sr_config_error(*doc, i));
  if (ok && cfg->service != kind) {
    fprintf(stderr, "%s: this is a %s configuration, not a %s one\n", path,
            sr_service_kind_name(cfg->service), sr_service_kind_name(kind));
    ok = false;
  }
  if (ok)
    sr_log_set_level(cfg->log.level);
  return ok;
}
