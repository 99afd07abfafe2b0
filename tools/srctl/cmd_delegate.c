/* srctl delegate add: let a colleague release a user's jobs. */
#include <stdio.h>

#include "cloud_session.h"
#include "commands.h"
#include "idhash.h"
#include "sr/abi.h"

int srctl_delegate_add(const srctl_command *cmd, int argc, char **argv) {
  enum { FROM = 256, TO, UNTIL };
  static const struct option options[] = {{"from", required_argument, NULL, FROM},
                                          {"to", required_argument, NULL, TO},
                                          {"until", required_argument, NULL, UNTIL},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *from = NULL, *to = NULL, *until = NULL;
  char mail[SR_ID_MAX];
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case FROM: from = optarg; break;
    case TO: to = optarg; break;
    case UNTIL: until = optarg; break; /* the cloud checks the time and says why */
    default: return p.status;
    }
    if ((opt == FROM || opt == TO) && sr_email_normalise(optarg, mail, sizeof mail) != SR_OK)
      return srctl_refuse(&p, "--%s: '%s' is not an email address", opt == FROM ? "from" : "to",
                          optarg);
  }
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  if (!from || !to)
    return srctl_refuse(&p, "--from and --to are required");
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *body = json_pack("{s:s, s:s}", "owner", from, "delegate", to);
  if (until)
    json_object_set_new(body, "until", json_string(until));
  json_t *reply = srctl_cloud_call(&a, "POST", "/api/v1/delegations", body, 201, &rc);
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply)
    printf("%s may release the jobs of %s%s%s (delegation %s)\n", to, from,
           json_object_get(reply, "until") ? " until " : "",
           json_object_get(reply, "until") ? json_string_value(json_object_get(reply, "until"))
                                           : "",
           json_string_value(json_object_get(reply, "id")));
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
