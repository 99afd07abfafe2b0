/* srctl device status | history: what the site's monitoring reported
 * about a printer (GET /api/v1/devices/ID/monitor and /history). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"

static bool id_ok(const char *id) { return id[0] && strlen(id) <= 64 && !strpbrk(id, "/?#% &"); }

/* After the options: GET /api/v1/devices/ID/WHAT for the one positional
 * ID. The reply (caller decrefs) with *rc 0, or NULL with *rc the exit
 * status (said on stderr). Closes the session. */
static json_t *device_get(srctl_parser *p, srctl_cloud *a, char **argv, const char *what, int *rc) {
  *rc = 0;
  if (!srctl_positionals(p, 1, 1)) {
    *rc = p->status;
    return NULL;
  }
  const char *id = argv[optind];
  if (!id_ok(id)) {
    *rc = srctl_refuse(p, "'%s' is not a device id (see `srctl device list`)", id);
    return NULL;
  }
  if ((*rc = srctl_cloud_open(a, p)))
    return NULL;
  char path[320];
  snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, what);
  json_t *reply = srctl_cloud_call(a, "GET", path, NULL, 200, rc);
  srctl_cloud_close(a);
  return reply;
}

/* "name (type, color): 42%" lines of a supplies list. */
static void print_supplies(const json_t *supplies) {
  size_t i;
  const json_t *s;
  json_array_foreach(supplies, i, s) {
    const char *color = json_string_value(json_object_get(s, "color"));
    json_t *percent = json_object_get(s, "percent");
    printf("  %s (%s%s%s): ", json_string_value(json_object_get(s, "name")),
           json_string_value(json_object_get(s, "type")), color && *color ? ", " : "",
           color ? color : "");
    if (json_is_integer(percent))
      printf("%lld%%\n", (long long)json_integer_value(percent));
    else
      printf("level unknown\n");
  }
}

static void print_status(const json_t *reply) {
  const json_t *status = json_object_get(reply, "status"),
               *alerts = json_object_get(reply, "alerts"),
               *meters = json_object_get(reply, "meters"),
               *supplies = json_object_get(reply, "supplies"),
               *when = json_object_get(reply, "updated_at");
  printf("device %s\n", json_string_value(json_object_get(reply, "device")));
  if (!json_is_object(status)) {
    printf("status: not reported yet (is a site service with a driver monitoring it?)\n");
  } else {
    printf("status: %s", json_string_value(json_object_get(status, "state")));
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(status, "conditions"), i, c)
        printf("%s%s", i ? ", " : " (", json_string_value(c));
    if (json_array_size(json_object_get(status, "conditions")))
      printf(")");
    const char *message = json_string_value(json_object_get(status, "message"));
    printf("%s%s  [%s]\n", message && *message ? ": " : "", message ? message : "",
           json_string_value(json_object_get(when, "status")));
  }
  if (json_is_array(alerts)) {
    printf("alerts: %s\n", json_array_size(alerts) ? "" : "none");
    size_t i;
    const json_t *a;
    json_array_foreach(alerts, i, a)
        printf("  %s %s (%s): %s\n", json_string_value(json_object_get(a, "severity")),
               json_string_value(json_object_get(a, "reason")),
               json_string_value(json_object_get(a, "group")),
               json_string_value(json_object_get(a, "description")));
  }
  if (json_is_object(meters)) {
    printf("meters:");
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)meters, name, v)
        printf(" %s=%lld", name, (long long)json_integer_value(v));
    printf("\n");
  }
  if (json_is_array(supplies)) {
    printf("supplies:%s\n", json_array_size(supplies) ? "" : " none");
    print_supplies(supplies);
  }
}

int srctl_device_status(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_cloud a;
  srctl_parser_init(&p, cmd, argc, argv, NULL, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1)
    if (opt == SRCTL_STOP)
      return p.status;
  int rc;
  json_t *reply = device_get(&p, &a, argv, "monitor", &rc);
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply)
    print_status(reply);
  json_decref(reply);
  return rc;
}

int srctl_device_history(const srctl_command *cmd, int argc, char **argv) {
  enum { KIND = 256, SINCE };
  static const struct option options[] = {
      {"kind", required_argument, NULL, KIND}, {"since", required_argument, NULL, SINCE}, {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *kind = NULL, *since = NULL;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case KIND:
      kind = optarg;
      if (strcmp(kind, "status") && strcmp(kind, "alerts") && strcmp(kind, "meters") &&
          strcmp(kind, "supplies"))
        return srctl_refuse(&p, "--kind: expected status, alerts, meters or supplies, got '%s'",
                            kind);
      break;
    case SINCE:
      since = optarg;
      if (!*since || strspn(since, "0123456789-T:Z") != strlen(since)) /* the cloud checks more */
        return srctl_refuse(&p,
                            "--since: expected a Unix time or YYYY-MM-DD[THH:MM:SSZ], got "
                            "'%s'",
                            since);
      break;
    default: return p.status;
    }
  }
  char query[160];
  snprintf(query, sizeof query, "history?since=%s%s%s", since ? since : "0", kind ? "&kind=" : "",
           kind ? kind : "");
  int rc;
  json_t *reply = device_get(&p, &a, argv, query, &rc);
  if (reply && a.json) {
    srctl_print_json(reply);
  } else if (reply) {
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(reply, "history"), i, row) {
      char *value = json_dumps(json_object_get(row, "value"), JSON_COMPACT | JSON_ENCODE_ANY);
      printf("%s  %-8s  %s\n", json_string_value(json_object_get(row, "at")),
             json_string_value(json_object_get(row, "kind")), value ? value : "?");
      free(value);
    }
    if (!json_array_size(json_object_get(reply, "history")))
      printf("(no changes recorded)\n");
    if (json_is_true(json_object_get(reply, "truncated")))
      printf("(more: ask again with --since the last time shown)\n");
  }
  json_decref(reply);
  return rc;
}
