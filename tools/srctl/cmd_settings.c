/* srctl settings show | set NAME=VALUE...: the tenant's settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"

/* "48h" stays text, "3600" is a number, "[...]" or "{...}" is JSON. */
static json_t *value_of(const char *text) {
  if (text[0] == '[' || text[0] == '{')
    return json_loads(text, 0, NULL);
  char *end;
  long long n = strtoll(text, &end, 10);
  if (*text && !*end)
    return json_integer(n);
  return json_string(text);
}

int srctl_settings(const srctl_command *cmd, int argc, char **argv) {
  bool set = strcmp(cmd->verb, "set") == 0;
  srctl_parser p;
  srctl_cloud a;
  srctl_parser_init(&p, cmd, argc, argv, NULL, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1)
    if (opt == SRCTL_STOP)
      return p.status;
  if (!srctl_positionals(&p, set ? 1 : 0, set ? 64 : 0))
    return p.status;
  json_t *body = set ? json_object() : NULL;
  for (int i = optind; set && i < argc; i++) {
    const char *eq = strchr(argv[i], '=');
    json_t *v = eq && eq > argv[i] ? value_of(eq + 1) : NULL;
    if (!v) {
      json_decref(body);
      return srctl_refuse(&p, "'%s' is not NAME=VALUE (see `srctl settings show` for the names)",
                          argv[i]);
    }
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i]), argv[i]);
    json_object_set_new(body, name, v);
  }
  int rc = srctl_cloud_open(&a, &p);
  if (rc) {
    json_decref(body);
    return rc;
  }
  json_t *reply = srctl_cloud_call(&a, set ? "PATCH" : "GET", "/api/v1/settings", body, 200, &rc);
  json_decref(body);
  if (reply && a.json) {
    srctl_print_json(reply);
  } else if (reply) {
    const char *name;
    json_t *v;
    json_object_foreach(reply, name, v) {
      char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      printf("%s=%s\n", name, text ? text : "?");
      free(text);
    }
  }
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}
