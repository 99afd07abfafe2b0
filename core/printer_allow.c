#include "printer_allow.h"

#include <cups/http.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool sr_printer_uri_host(const char *uri, char *host, size_t host_size) {
  char scheme[32], user[64], resource[256], raw[256];
  int port;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, uri, scheme, sizeof scheme, user, sizeof user, raw,
                      sizeof raw, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      !raw[0])
    return false;
  size_t n = strlen(raw);
  if (raw[0] == '[' && raw[n - 1] == ']')
    snprintf(host, host_size, "%.*s", (int)(n - 2), raw + 1);
  else
    snprintf(host, host_size, "%s", raw);
  return true;
}

bool sr_printer_snmp_host(const char *snmp, char *host, size_t host_size) {
  if (!snmp)
    return false;
  if (strncasecmp(snmp, "udp:", 4) == 0)
    snmp += 4;
  else if (strncasecmp(snmp, "udp6:", 5) == 0)
    snmp += 5;
  const char *end = NULL;
  if (snmp[0] == '[') {
    snmp++;
    end = strchr(snmp, ']');
  } else if (strchr(snmp, ':') == strrchr(snmp, ':')) { /* one colon at most: HOST[:PORT] */
    end = strchr(snmp, ':');
  } /* else a bare IPv6 address, no port */
  size_t n = end ? (size_t)(end - snmp) : strlen(snmp);
  snprintf(host, host_size, "%.*s", (int)n, snmp);
  return n > 0;
}

/* True if `uri`'s host is one of `hosts`. */
static bool host_listed(const char *const *hosts, const char *uri) {
  char host[256];
  if (!sr_printer_uri_host(uri, host, sizeof host))
    return false;
  for (size_t i = 0; hosts[i]; i++)
    if (strcasecmp(host, hosts[i]) == 0)
      return true;
  return false;
}

sr_printer_verdict sr_printer_allowed(const char *const *hosts, sr_printer_book *book,
                                      const char *device, const char *uri, const char *snmp,
                                      char *why, size_t why_size) {
  if (hosts && hosts[0]) {
    if (host_listed(hosts, uri))
      return SR_PRINTER_ALLOWED;
    snprintf(why, why_size,
             "%.200s is not one of this site's printers: its host is not under 'printers:' in "
             "this scout's configuration (add it there, or remove 'printers:' to print to the "
             "printer list the site's device scout signs)",
             uri);
    return SR_PRINTER_REFUSED;
  }
  if (!book) {
    snprintf(why, why_size,
             "this scout has no printer list: run the site's device scout (it signs the "
             "list of the site's printers) or list the printers' hosts under 'printers:'");
    return SR_PRINTER_REFUSED;
  }
  if (!device || !*device) {
    snprintf(why, why_size,
             "the release names no device, so no signed printer list can allow "
             "it (is the cloud older than this scout?)");
    return SR_PRINTER_REFUSED;
  }
  if (sr_printer_book_allows(book, device, uri, snmp))
    return SR_PRINTER_ALLOWED;
  if (sr_printer_book_count(book) == 0)
    snprintf(why, why_size,
             "no printer list signed by the site is held here (none valid from the cloud): "
             "check that the site's device scout runs and has uploaded its list");
  else
    snprintf(why, why_size,
             "device %.64s at %.200s%s%.64s is not on a printer list the site signed (a device "
             "the site's device scout did not find as a printer, or a list altered on the way)",
             device, uri, snmp && *snmp ? ", SNMP " : "", snmp && *snmp ? snmp : "");
  return SR_PRINTER_UNLISTED;
}
