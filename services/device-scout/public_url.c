#include "public_url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

bool site_public_url_check(const char *configured, char *err, size_t err_size) {
  if (!configured || sr_release_base_url_ok(configured))
    return true;
  snprintf(err, err_size,
           "panel.public_url: expected https://HOST[:PORT][/PATH] of at most %d bytes, without "
           "'?', '#' or a final '/' (the URL phones open the release page at), got '%.200s'",
           SR_BASE_URL_MAX, configured);
  return false;
}

static bool wildcard(const char *address) {
  struct in6_addr a6;
  struct in_addr a4;
  if (inet_pton(AF_INET, address, &a4) == 1)
    return a4.s_addr == htonl(INADDR_ANY);
  return inet_pton(AF_INET6, address, &a6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&a6);
}

void site_public_url(const char *configured, const char *address, int port, char *out,
                     size_t out_size) {
  out[0] = '\0';
  if (configured) {
    snprintf(out, out_size, "%s", configured);
    return;
  }
  if (wildcard(address)) {
    sr_log(SR_LOG_WARN, "panel",
           "panel.address %s names no host a phone can open: set panel.public_url (say "
           "https://print.example.com:%d) so that printers' labels and release codes link to "
           "this site; until then they cannot",
           address, port);
    return;
  }
  bool v6 = strchr(address, ':') != NULL;
  snprintf(out, out_size, "https://%s%s%s:%d", v6 ? "[" : "", address, v6 ? "]" : "", port);
}
