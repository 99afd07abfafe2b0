/* srctl reader add: a network card reader bound to a device, and its
 * one-time enrollment token. */
#include <stdio.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"

int srctl_reader_add(const srctl_command *cmd, int argc, char **argv) {
  enum { DEVICE = 256, NAME };
  static const struct option options[] = {
      {"device", required_argument, NULL, DEVICE}, {"name", required_argument, NULL, NAME}, {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *device = NULL, *name = NULL;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case DEVICE: device = optarg; break; /* the cloud checks it is one of the tenant's */
    case NAME: name = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  if (!device)
    return srctl_refuse(&p, "--device is required (the printer the reader is at: srctl device "
                            "list)");
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *body = json_pack("{s:s}", "device", device);
  if (name)
    json_object_set_new(body, "name", json_string(name));
  json_t *reply = srctl_cloud_call(&a, "POST", "/api/v1/readers", body, 201, &rc);
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply)
    printf("reader %s created for device %s\none-time enrollment token (valid %lld s): %s\n"
           "a network card reader sends it once to its site service: POST "
           "/api/v1/panel/readers/enroll\n"
           "a printer's panel app (/panel/%s on the site service): type it on the printer's "
           "screen\n",
           json_string_value(json_object_get(reply, "id")), device,
           (long long)json_integer_value(json_object_get(reply, "expires_in")),
           json_string_value(json_object_get(reply, "enrollment_token")), device);
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
