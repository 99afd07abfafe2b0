/* Printer addresses: the checks the cloud's API and srctl share. */
#ifndef SR_CORE_ADDRESS_CHECK_H
#define SR_CORE_ADDRESS_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* A printer's SNMP agent: HOST[:PORT], IPv4 or [IPv6] literal[:PORT]. */
bool sr_snmp_address_ok(const char *s);

/* ipps://, ipp:// or socket:// with a host (and optional port and path). */
bool sr_printer_uri_ok(const char *uri);

/* A release page's base URL (a site's panel.public_url, srctl's
 * --base-url): https://HOST[:PORT][/PATH] of at most SR_BASE_URL_MAX
 * bytes, the path printable ASCII without spaces, quotes, '?' or '#' and
 * not ending in '/' (the device's "/r/ID" is appended to it). */
#define SR_BASE_URL_MAX 200
bool sr_release_base_url_ok(const char *url);

/* A bare host: an IPv4 or IPv6 address (no brackets) or a host name, as a
 * discovered device's address. */
bool sr_host_ok(const char *s);

/* The host of a printer URI (sr_printer_uri_ok) or of an SNMP agent
 * address (sr_snmp_address_ok), without brackets, into out; false if the
 * text is not such a URI or address, or the host does not fit. */
bool sr_uri_host(const char *uri, char *out, size_t out_size);
bool sr_snmp_host(const char *address, char *out, size_t out_size);

/* True if hosts `a` and `b` (bare, as above) name the same host: equal
 * addresses (however an IPv6 address is written) or names equal but for
 * case. */
bool sr_same_host(const char *a, const char *b);

#endif
