#include "service_main.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

bool sr_service_args_parse(int argc, char **argv, const char *const *verbs, sr_service_args *out) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; verbs && verbs[i] && argc > 1; i++)
    if (strcmp(argv[1], verbs[i]) == 0)
      out->verb = verbs[i];
  out->enroll = out->verb && strcmp(out->verb, "enroll") == 0;
  for (int i = out->verb ? 2 : 1; i < argc; i++) {
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
      out->config = argv[++i];
    else if (out->enroll && strcmp(argv[i], "--token") == 0 && i + 1 < argc)
      out->token = argv[++i];
    else if (out->verb && !out->enroll && strcmp(argv[i], "--renew") == 0)
      out->renew = true;
    else if (out->verb && !out->enroll && strcmp(argv[i], "--email") == 0 && i + 1 < argc)
      out->email = argv[++i];
    else
      return false;
  }
  return out->config && (!out->enroll || out->token);
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
