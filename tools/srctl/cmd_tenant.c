/* srctl tenant create: a tenant and its administrator token (operator). */
#include <stdio.h>
#include <sys/stat.h>

#include "cloud_session.h"
#include "commands.h"

int srctl_tenant_create(const srctl_command *cmd, int argc, char **argv) {
  enum { NAME = 256, TOKEN_OUT };
  static const struct option options[] = {{"name", required_argument, NULL, NAME},
                                          {"token-out", required_argument, NULL, TOKEN_OUT},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *name = NULL, *out = NULL;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case NAME: name = optarg; break;
    case TOKEN_OUT: out = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 1, 1))
    return p.status;
  const char *id = argv[optind];
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *body = json_pack("{s:s}", "id", id);
  if (name)
    json_object_set_new(body, "name", json_string(name));
  json_t *reply = srctl_cloud_call(&a, "POST", "/api/v1/tenants", body, 201, &rc);
  json_decref(body);
  if (reply && out) {
    FILE *f = fopen(out, "wx");
    if (!f || fprintf(f, "%s\n", json_string_value(json_object_get(reply, "admin_token"))) < 0) {
      fprintf(stderr, "srctl: %s: cannot write the token (does it exist already?)\n", out);
      rc = 1;
    }
    if (f) {
      fchmod(fileno(f), 0600);
      fclose(f);
    }
    if (!rc)
      printf("tenant %s created; its administrator token is in %s\n", id, out);
  } else if (reply) {
    printf("tenant %s created\nadministrator token (shown once): %s\n", id,
           json_string_value(json_object_get(reply, "admin_token")));
  }
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}
