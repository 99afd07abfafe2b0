/* srctl console link: a one-time sign-in link to the web console
 * (docs/console.md), with the operator's token (--tenant) or a tenant
 * administrator's. */
#include <stdio.h>

#include "cloud_session.h"
#include "commands.h"

int srctl_console_link(const srctl_command *cmd, int argc, char **argv) {
  enum { EMAIL = 256, ROLE, TENANT };
  static const struct option options[] = {{"email", required_argument, NULL, EMAIL},
                                          {"role", required_argument, NULL, ROLE},
                                          {"tenant", required_argument, NULL, TENANT},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *email = NULL, *role = NULL, *tenant = NULL;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case EMAIL: email = optarg; break;
    case ROLE: role = optarg; break;
    case TENANT: tenant = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  if (!email) {
    fprintf(stderr, "srctl: console link needs --email (a user of the tenant)\n");
    return 2;
  }
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *body = json_pack("{s:s}", "email", email);
  if (role)
    json_object_set_new(body, "role", json_string(role));
  if (tenant)
    json_object_set_new(body, "tenant", json_string(tenant));
  json_t *reply = srctl_cloud_call(&a, "POST", "/api/v1/sign-in-links", body, 201, &rc);
  json_decref(body);
  if (reply)
    printf("%s\n", json_string_value(json_object_get(reply, "url")));
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}
