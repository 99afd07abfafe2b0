/*
 * Where a release may print (DESIGN: the cloud chooses the printer, and
 * must not be able to choose a host of its own and receive the decrypted
 * document). Two sources, in this order:
 *   - the static `printers:` list of hosts in the scout's configuration,
 *     for sites without a device scout: when set, it alone decides;
 *   - else the site's signed printer lists (printer_book.h): the device
 *     and each of its URIs (and SNMP address) must be on one.
 * Without either, nothing prints.
 */
#ifndef SR_CORE_PRINTER_ALLOW_H
#define SR_CORE_PRINTER_ALLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "printer_book.h"

typedef enum sr_printer_verdict {
  SR_PRINTER_ALLOWED,
  SR_PRINTER_UNLISTED, /* not on the signed lists held now: a newer list may have it */
  SR_PRINTER_REFUSED,  /* not allowed, and no list to fetch would change that */
} sr_printer_verdict;

/* Whether device `device` (may be NULL) may be sent to at `uri`, its SNMP
 * agent at `snmp` (may be NULL or ""). `hosts` (NULL-terminated, may be
 * NULL or empty) is the static list; `book` (may be NULL) the signed
 * lists. Anything but SR_PRINTER_ALLOWED comes with `why`, saying what an
 * administrator can do. */
sr_printer_verdict sr_printer_allowed(const char *const *hosts, sr_printer_book *book,
                                      const char *device, const char *uri, const char *snmp,
                                      char *why, size_t why_size);

/* The host of a printer URI ("ipps://HOST:631/...", "socket://[V6]:9100"),
 * without brackets, into `host`; false if `uri` is not a URI. */
bool sr_printer_uri_host(const char *uri, char *host, size_t host_size);

/* The host of an SNMP address ("HOST", "HOST:PORT", "[V6]:PORT",
 * "udp:HOST:PORT"), without brackets, into `host`; false if empty. */
bool sr_printer_snmp_host(const char *snmp, char *host, size_t host_size);

#endif
