/* Which hosts the site vouches for (site_vouch.h). */
#include "site_vouch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_file.h"
#include "log.h"
#include "printer_allow.h"
#include "sr/abi.h"

json_t *site_vouched_hosts(const char *discovery_path, const char *const *static_hosts,
                           const char *component) {
  json_t *hosts = json_array();
  for (size_t i = 0; static_hosts && static_hosts[i]; i++)
    json_array_append_new(hosts, json_string(static_hosts[i]));
  json_t *doc = NULL;
  char why[512];
  int status = discovery_path && discovery_path[0]
                   ? sr_json_file_read(discovery_path, &doc, why, sizeof why)
                   : SR_ERR_NOT_FOUND;
  if (status != SR_OK && status != SR_ERR_NOT_FOUND)
    sr_log(SR_LOG_WARN, component, "%s: the site vouches for none of the printers it names", why);
  json_t *devices = json_object_get(doc, "devices"), *d;
  size_t i;
  json_array_foreach(devices, i, d) {
    const char *kind = json_string_value(json_object_get(d, "kind"));
    json_t *address = json_object_get(d, "address");
    if (kind && strcmp(kind, "printer") == 0 && json_is_string(address))
      json_array_append(hosts, address);
  }
  json_decref(doc);
  return hosts;
}

static bool vouched(const json_t *hosts, const char *host) {
  size_t i;
  json_t *h;
  json_array_foreach(hosts, i, h) {
    if (strcasecmp(json_string_value(h), host) == 0)
      return true;
  }
  return false;
}

char *site_why_not_vouched(const json_t *hosts, const json_t *device) {
  const json_t *uris = json_object_get(device, "uris"), *u;
  const char *id = json_string_value(json_object_get(device, "id"));
  const char *snmp = json_string_value(json_object_get(device, "snmp"));
  char host[256], *why = NULL;
  size_t i;
  if (json_array_size(uris) == 0 &&
      asprintf(&why, "device %s has no URIs", id ? id : "(no id)") < 0)
    return strdup("out of memory");
  json_array_foreach(uris, i, u) {
    const char *uri = json_string_value(u);
    if (!uri || !sr_printer_uri_host(uri, host, sizeof host)) {
      if (asprintf(&why, "device %s: '%s' is not a URI", id, uri ? uri : "?") < 0)
        why = NULL;
      return why ? why : strdup("out of memory");
    }
    if (!vouched(hosts, host)) {
      if (asprintf(&why,
                   "device %s: host %s (%s) is neither a printer this site found "
                   "(discovery.json) nor in its printers:",
                   id, host, uri) < 0)
        why = NULL;
      return why ? why : strdup("out of memory");
    }
  }
  if (snmp && (!sr_printer_snmp_host(snmp, host, sizeof host) || !vouched(hosts, host))) {
    if (asprintf(&why,
                 "device %s: SNMP address %s is neither a printer this site found "
                 "(discovery.json) nor in its printers:",
                 id, snmp) < 0)
      why = NULL;
    return why ? why : strdup("out of memory");
  }
  return why;
}
