/* srctl device add: a printer, its addresses checked here as the cloud
 * will, and where it stands (printed on its label). */
#include <stdio.h>
#include <string.h>

#include "address_check.h"
#include "cloud_session.h"
#include "commands.h"

int srctl_device_add(const srctl_command *cmd, int argc, char **argv) {
  enum { URI = 256, SNMP, NAME, LOCATION };
  static const struct option options[] = {{"uri", required_argument, NULL, URI},
                                          {"snmp", required_argument, NULL, SNMP},
                                          {"name", required_argument, NULL, NAME},
                                          {"location", required_argument, NULL, LOCATION},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *snmp = NULL, *name = NULL, *location = NULL;
  json_t *uris = json_array();
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt, rc = -1; /* -1: go on; else the exit status (0 after --help) */
  while (rc < 0 && (opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case URI:
      if (!sr_printer_uri_ok(optarg))
        rc = srctl_refuse(&p,
                          "--uri: expected ipps://, ipp:// or socket://HOST[:PORT][/PATH], "
                          "got '%s'",
                          optarg);
      json_array_append_new(uris, json_string(optarg));
      break;
    case SNMP:
      snmp = optarg;
      /* the port too: srctl's usage has always asked for HOST:PORT */
      if (!sr_snmp_address_ok(optarg) ||
          !strchr(optarg[0] == '[' ? strchr(optarg, ']') : optarg, ':'))
        rc = srctl_refuse(&p,
                          "--snmp: expected HOST:PORT (the printer's SNMP agent, e.g. "
                          "192.0.2.10:161), got '%s'",
                          optarg);
      break;
    case NAME: name = optarg; break;
    case LOCATION: location = optarg; break;
    default: rc = p.status; break;
    }
  }
  if (rc < 0 && !srctl_positionals(&p, 1, 1))
    rc = p.status;
  if (rc < 0 && json_array_size(uris) == 0)
    rc = srctl_refuse(&p, "--uri is required (how to reach the printer)");
  if (rc < 0)
    rc = srctl_cloud_open(&a, &p);
  else if (rc == 0) { /* --help */
    json_decref(uris);
    return 0;
  }
  if (rc) {
    json_decref(uris);
    return rc;
  }
  const char *id = argv[optind];
  json_t *body = json_pack("{s:s, s:o}", "id", id, "uris", uris);
  if (snmp)
    json_object_set_new(body, "snmp", json_string(snmp));
  if (name)
    json_object_set_new(body, "name", json_string(name));
  if (location)
    json_object_set_new(body, "location", json_string(location));
  json_t *reply = srctl_cloud_call(&a, "POST", "/api/v1/devices", body, 201, &rc);
  if (reply)
    printf("device %s added\n", id);
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}

/* srctl device set ID [--name NAME] [--location TEXT|none]: what the
 * printer's label shows (PATCH /api/v1/devices/ID). */
int srctl_device_set(const srctl_command *cmd, int argc, char **argv) {
  enum { NAME = 256, LOCATION };
  static const struct option options[] = {{"name", required_argument, NULL, NAME},
                                          {"location", required_argument, NULL, LOCATION},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  json_t *body = json_object();
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    if (opt == NAME)
      json_object_set_new(body, "name", json_string(optarg));
    else if (opt == LOCATION) /* "none" clears it */
      json_object_set_new(body, "location",
                          strcmp(optarg, "none") == 0 ? json_null() : json_string(optarg));
    else {
      json_decref(body);
      return p.status;
    }
  }
  int rc = -1;
  if (!srctl_positionals(&p, 1, 1))
    rc = p.status;
  else if (json_object_size(body) == 0)
    rc = srctl_refuse(&p, "nothing to change: give --name or --location");
  else if (strlen(argv[optind]) > 64 || strpbrk(argv[optind], "/?#% "))
    rc = srctl_refuse(&p, "'%s' is not a device id (see `srctl device list`)", argv[optind]);
  else
    rc = srctl_cloud_open(&a, &p);
  if (rc) {
    json_decref(body);
    return rc;
  }
  char path[128];
  snprintf(path, sizeof path, "/api/v1/devices/%s", argv[optind]);
  json_t *reply = srctl_cloud_call(&a, "PATCH", path, body, 200, &rc);
  const char *location = json_string_value(json_object_get(reply, "location"));
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply)
    printf("device %s: name %s, location %s\n", argv[optind],
           json_string_value(json_object_get(reply, "name")), location ? location : "none");
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
