/* srctl user set / scout set: the region a user's jobs go to (travellers
 * switch), a site's region, the site a print scout belongs to, whether a
 * print scout may serve others (crowdsource). "none" clears a region or
 * site, so the next in line applies (docs/storage.md). */
#include <stdio.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"

/* "none" is null (no assignment); anything else is sent for the cloud to
 * check against its regions and sites. */
static json_t *value_or_null(const char *text) {
  return strcmp(text, "none") == 0 ? json_null() : json_string(text);
}

int srctl_assign(const srctl_command *cmd, int argc, char **argv) {
  enum { REGION = 256, SITE, SERVE };
  bool scouts = strcmp(cmd->collection, "scouts") == 0;
  static const struct option user_options[] = {{"region", required_argument, NULL, REGION}, {0}};
  static const struct option scout_options[] = {{"region", required_argument, NULL, REGION},
                                                {"site", required_argument, NULL, SITE},
                                                {"serve-others", required_argument, NULL, SERVE},
                                                {0}};
  srctl_parser p;
  srctl_cloud a;
  srctl_parser_init(&p, cmd, argc, argv, scouts ? scout_options : user_options, &a);
  json_t *body = json_object();
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    if (opt == REGION || opt == SITE) {
      json_object_set_new(body, opt == REGION ? "region" : "site", value_or_null(optarg));
      continue;
    }
    if (opt == SERVE && (strcmp(optarg, "yes") == 0 || strcmp(optarg, "no") == 0)) {
      json_object_set_new(body, "serve_others", json_boolean(strcmp(optarg, "yes") == 0));
      continue;
    }
    json_decref(body);
    if (opt == SERVE)
      return srctl_refuse(&p, "--serve-others is yes or no, not '%s'", optarg);
    return p.status;
  }
  if (!srctl_positionals(&p, 1, 1)) {
    json_decref(body);
    return p.status;
  }
  const char *id = argv[optind];
  if (!id[0] || strlen(id) > 64 || strpbrk(id, "/?#% ")) {
    json_decref(body);
    return srctl_refuse(&p, "'%s' is not an id (see `srctl %s list`)", id, cmd->noun);
  }
  if (json_object_size(body) == 0) {
    json_decref(body);
    return srctl_refuse(&p, "nothing to change: give %s",
                        scouts ? "--region, --site or --serve-others" : "--region");
  }
  int rc = srctl_cloud_open(&a, &p);
  char path[160];
  snprintf(path, sizeof path, "/api/v1/%s/%s", cmd->collection, id);
  json_t *reply = rc ? NULL : srctl_cloud_call(&a, "PATCH", path, body, 200, &rc);
  if (reply && a.json) {
    srctl_print_json(reply);
  } else if (reply) {
    const char *region = json_string_value(json_object_get(reply, "region"));
    printf("%s %s: region %s", cmd->noun, id, region ? region : "none (the next in line applies)");
    if (scouts)
      printf(", site %s", json_string_value(json_object_get(reply, "site"))
                              ? json_string_value(json_object_get(reply, "site"))
                              : "none");
    if (scouts)
      printf(", serves others: %s",
             json_integer_value(json_object_get(reply, "serve_others")) ? "allowed" : "no");
    printf("\n");
  }
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
