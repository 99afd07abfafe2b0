/*
 * Checks of the addresses an administrator gives for a printer: the cloud
 * stores them and hands them to scouts in release commands, and srctl
 * refuses a malformed one before it leaves the machine.
 */
#include "address_check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A host name (letters, digits, '-', '.', each label 1-63 characters) or
 * an IPv4 literal; IPv6 literals come in brackets and are checked apart. */
static bool host_name_ok(const char *s, size_t n) {
  if (n == 0 || n > 253)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '.') {
      if (label == 0)
        return false;
      label = 0;
    } else if (isalnum(ch) || ch == '-') {
      if (++label > 63 || (label == 1 && ch == '-'))
        return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

static bool ipv6_literal_ok(const char *s, size_t n) {
  return n >= 2 && n <= 45 && strspn(s, "0123456789abcdefABCDEF:.") == n && memchr(s, ':', n);
}

static bool port_ok(const char *s, size_t n) {
  if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
    return false;
  long port = strtol(s, NULL, 10);
  return port >= 1 && port <= 65535;
}

/* HOST, HOST:PORT, [V6] or [V6]:PORT, the whole of [s, s+n). */
static bool host_port_ok(const char *s, size_t n) {
  const char *colon;
  if (n && s[0] == '[') {
    const char *close = memchr(s, ']', n);
    if (!close || !ipv6_literal_ok(s + 1, (size_t)(close - s - 1)))
      return false;
    size_t rest = n - (size_t)(close - s) - 1;
    return rest == 0 || (close[1] == ':' && port_ok(close + 2, rest - 1));
  }
  colon = memchr(s, ':', n);
  if (!colon)
    return host_name_ok(s, n);
  return host_name_ok(s, (size_t)(colon - s)) && port_ok(colon + 1, n - (size_t)(colon - s) - 1);
}

bool sr_snmp_address_ok(const char *s) { return s && host_port_ok(s, strlen(s)); }

bool sr_printer_uri_ok(const char *uri) {
  static const char *const schemes[] = {"ipps://", "ipp://", "socket://"};
  size_t len = uri ? strlen(uri) : 0;
  if (len == 0 || len >= 500)
    return false;
  for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++) {
    size_t k = strlen(schemes[i]);
    if (strncmp(uri, schemes[i], k) != 0)
      continue;
    const char *host = uri + k, *path = strchr(host, '/');
    size_t host_len = path ? (size_t)(path - host) : strlen(host);
    /* the path: printable ASCII without spaces, quotes or backslashes */
    for (const char *p = path; p && *p; p++)
      if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
        return false;
    return host_port_ok(host, host_len);
  }
  return false;
}

bool sr_release_base_url_ok(const char *url) {
  static const char scheme[] = "https://";
  size_t len = url ? strlen(url) : 0;
  if (len <= strlen(scheme) || len > SR_BASE_URL_MAX || strncmp(url, scheme, strlen(scheme)) != 0 ||
      url[len - 1] == '/')
    return false;
  const char *host = url + strlen(scheme), *path = strchr(host, '/');
  for (const char *p = path; p && *p; p++)
    if (*p <= ' ' || *p > '~' || strchr("\"\\?#<>`", *p))
      return false;
  return host_port_ok(host, path ? (size_t)(path - host) : strlen(host));
}

bool sr_host_ok(const char *s) {
  unsigned char addr[16];
  return s && (inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1 ||
               host_name_ok(s, strlen(s)));
}

/* The host of HOST[:PORT] or [V6][:PORT], the whole of `s`, into out. */
static bool copy_host(const char *s, size_t n, char *out, size_t out_size) {
  if (!host_port_ok(s, n))
    return false;
  const char *host = s;
  size_t len;
  if (s[0] == '[') {
    host = s + 1;
    len = (size_t)((const char *)memchr(s, ']', n) - host);
  } else {
    const char *colon = memchr(s, ':', n);
    len = colon ? (size_t)(colon - s) : n;
  }
  if (len >= out_size)
    return false;
  memcpy(out, host, len);
  out[len] = '\0';
  return true;
}

bool sr_uri_host(const char *uri, char *out, size_t out_size) {
  if (!sr_printer_uri_ok(uri))
    return false;
  const char *host = strstr(uri, "://") + 3, *path = strchr(host, '/');
  return copy_host(host, path ? (size_t)(path - host) : strlen(host), out, out_size);
}

bool sr_snmp_host(const char *address, char *out, size_t out_size) {
  return sr_snmp_address_ok(address) && copy_host(address, strlen(address), out, out_size);
}

bool sr_same_host(const char *a, const char *b) {
  unsigned char x[16], y[16];
  if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
    return memcmp(x, y, sizeof x) == 0;
  return strcasecmp(a, b) == 0;
}
