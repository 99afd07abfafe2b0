/* srctl scout enroll: a scout's one-time enrollment token. */
#include <stdio.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"
#include "idhash.h"
#include "sr/abi.h"

int srctl_scout_enroll(const srctl_command *cmd, int argc, char **argv) {
  enum { KIND = 256, NAME, USER, DIRECTORY, REGION, SITE };
  static const struct option options[] = {{"kind", required_argument, NULL, KIND},
                                          {"name", required_argument, NULL, NAME},
                                          {"user", required_argument, NULL, USER},
                                          {"directory", no_argument, NULL, DIRECTORY},
                                          {"region", required_argument, NULL, REGION},
                                          {"site", required_argument, NULL, SITE},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *kind = NULL, *name = NULL, *user = NULL, *region = NULL, *site = NULL;
  bool directory = false;
  char mail[SR_ID_MAX];
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case KIND:
      kind = optarg;
      if (strcmp(kind, "print") != 0 && strcmp(kind, "site") != 0)
        return srctl_refuse(&p, "--kind: expected print or site, got '%s'", kind);
      break;
    case NAME: name = optarg; break;
    case USER:
      user = optarg;
      if (sr_email_normalise(user, mail, sizeof mail) != SR_OK)
        return srctl_refuse(&p, "--user: '%s' is not an email address", user);
      break;
    case DIRECTORY: directory = true; break; /* print: logins name owners; site: may vouch */
    case REGION: region = optarg; break;     /* checked by the cloud against its regions */
    case SITE: site = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  if (!kind)
    return srctl_refuse(&p, "--kind is required (print or site)");
  if (region && strcmp(kind, "site") != 0)
    return srctl_refuse(&p, "--region is a site's (a print scout's jobs go by their user's or "
                            "its site's region)");
  if (site && strcmp(kind, "print") != 0)
    return srctl_refuse(&p, "--site is for a print scout (the site it prints at)");
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *body = json_pack("{s:s}", "kind", kind);
  if (name)
    json_object_set_new(body, "name", json_string(name));
  if (user)
    json_object_set_new(body, "user", json_string(user));
  if (directory)
    json_object_set_new(body, "directory", json_true());
  if (region)
    json_object_set_new(body, "region", json_string(region));
  if (site)
    json_object_set_new(body, "site", json_string(site));
  json_t *reply = srctl_cloud_call(&a, "POST", "/api/v1/scouts", body, 201, &rc);
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply)
    printf("scout %s created\none-time enrollment token (valid %lld s): %s\n"
           "on that machine: sr-%s-scout enroll --config FILE --token TOKEN\n",
           json_string_value(json_object_get(reply, "id")),
           (long long)json_integer_value(json_object_get(reply, "expires_in")),
           json_string_value(json_object_get(reply, "enrollment_token")),
           strcmp(kind, "site") == 0 ? "device" : "print");
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
