/* srctl config check: every error of every file, like `nginx -t`. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "config.h"
#include "loader.h"
#include "service_config.h"
#include "service_plugins.h"

typedef struct check_ctx {
  sr_loader *loader;
  size_t checked;
} check_ctx;

static int check_section(void *ctx, int kind, const sr_config_node *section) {
  check_ctx *c = ctx;
  c->checked++;
  sr_plugin_section_check(c->loader, kind, section, NULL);
  return SR_OK; /* go on: report every section */
}

/* Returns true when `file` is valid; prints its errors otherwise. */
static bool check_file(const char *file) {
  sr_config *doc = sr_config_load_file(file);
  if (!doc) {
    fprintf(stderr, "%s: out of memory\n", file);
    return false;
  }
  sr_service_config cfg;
  check_ctx ctx = {0};
  /* Plugins are checked only when the sections themselves are well-formed
   * enough to name them; schema errors are reported either way. */
  if (sr_service_config_apply(doc, &cfg) || cfg.service >= 0) {
    ctx.loader = sr_loader_new(NULL);
    if (ctx.loader && sr_service_plugin_paths(doc, &cfg, ctx.loader) == SR_OK)
      sr_service_each_plugin(&cfg, check_section, &ctx);
    sr_loader_free(ctx.loader);
  }
  size_t errors = sr_config_error_count(doc);
  for (size_t i = 0; i < errors; i++)
    fprintf(stderr, "%s\n", sr_config_error(doc, i));
  if (errors)
    printf("%s: %zu error%s\n", file, errors, errors == 1 ? "" : "s");
  else
    printf("%s: ok (%s, %zu plugin section%s checked)\n", file, sr_service_kind_name(cfg.service),
           ctx.checked, ctx.checked == 1 ? "" : "s");
  sr_config_free(doc);
  return errors == 0;
}

int srctl_config_check(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_parser_init(&p, cmd, argc, argv, NULL, NULL);
  if (srctl_next(&p) != -1 || !srctl_positionals(&p, 1, argc))
    return p.status;
  bool ok = true;
  for (int i = optind; i < argc; i++)
    ok = check_file(argv[i]) && ok;
  return ok ? 0 : 2;
}
