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

/* " (2d 4h)" for a duration in seconds (every number setting but the
 * sizes is one), "" for 0 or less. */
static void duration_words(long long s, char *out, size_t size) {
  static const struct {
    long long seconds;
    char unit;
  } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  size_t n = 0;
  out[0] = '\0';
  for (size_t i = 0; i < 4 && s > 0 && n + 24 < size; i++)
    if (s >= units[i].seconds) {
      n += (size_t)snprintf(out + n, size - n, "%s%lld%c", n ? " " : " (", s / units[i].seconds,
                            units[i].unit);
      s %= units[i].seconds;
    }
  if (n)
    snprintf(out + n, size - n, ")");
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
      char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT), words[80] = "";
      if (json_is_integer(v) && strncmp(name, "upload_", 7) == 0) /* sizes */
        snprintf(words, sizeof words, " (%.1f MiB)", (double)json_integer_value(v) / 1048576);
      else if (json_is_integer(v))
        duration_words(json_integer_value(v), words, sizeof words);
      printf("%s=%s%s\n", name, text ? text : "?", words);
      free(text);
    }
  }
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}
