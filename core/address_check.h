/* Printer addresses: the checks the cloud's API and srctl share. */
#ifndef SR_CORE_ADDRESS_CHECK_H
#define SR_CORE_ADDRESS_CHECK_H

#include <stdbool.h>

/* A printer's SNMP agent: HOST[:PORT], IPv4 or [IPv6] literal[:PORT]. */
bool sr_snmp_address_ok(const char *s);

/* ipps://, ipp:// or socket:// with a host (and optional port and path). */
bool sr_printer_uri_ok(const char *uri);

#endif
