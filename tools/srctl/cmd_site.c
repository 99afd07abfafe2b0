/* srctl site keys: each site's public submission key fingerprint, as the
 * cloud publishes it (what a browser seals uploads for); compare with
 * `srctl secret key` or the site's log line "submission key SHA256:...". */
#include <stdio.h>

#include "cloud_session.h"
#include "commands.h"

int srctl_site_keys(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_cloud a;
  srctl_parser_init(&p, cmd, argc, argv, NULL, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1)
    if (opt == SRCTL_STOP)
      return p.status;
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *reply = srctl_cloud_call(&a, "GET", "/api/v1/sites/submission-keys", NULL, 200, &rc);
  if (reply && a.json) {
    srctl_print_json(reply);
  } else if (reply) {
    size_t i;
    json_t *row;
    json_array_foreach(json_object_get(reply, "sites"), i, row) {
      const char *fp = json_string_value(json_object_get(row, "fingerprint"));
      printf("%s  %s  %s%s\n", json_string_value(json_object_get(row, "site")),
             json_string_value(json_object_get(row, "name")),
             fp ? fp : "(no key yet: the site has not sent a heartbeat with one)",
             json_integer_value(json_object_get(row, "online")) ? "" : "  (offline)");
    }
    if (json_array_size(json_object_get(reply, "sites")) == 0)
      printf("(no sites)\n");
  }
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}
