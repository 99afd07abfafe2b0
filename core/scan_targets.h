/*
 * What a discovery scan covers: the configured targets (single addresses,
 * ranges "A-B", CIDR blocks, host names; IPv4 and IPv6) minus the
 * exclusions. Ranges are kept as ranges and walked with a cursor, so a
 * /16 costs no memory per address. An excluded address is skipped by the
 * cursor itself: the engine never sees it, so it never gets a packet.
 */
#ifndef SR_SCAN_TARGETS_H
#define SR_SCAN_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"

/* The largest target the scan accepts (a /8 of IPv4, a /104 of IPv6). */
#define SCAN_MAX_RANGE_SIZE (1u << 24)

typedef struct scan_address {
  int family; /* AF_INET or AF_INET6 */
  uint8_t bytes[16];
} scan_address;

typedef struct scan_range {
  scan_address first, last; /* inclusive, same family */
} scan_range;

typedef enum scan_parse_result {
  SCAN_PARSE_RANGE = 0, /* *out filled */
  SCAN_PARSE_HOST = 1,  /* a host name: resolve it */
  SCAN_PARSE_ERROR = 2, /* err says what is wrong */
} scan_parse_result;

/* Reads one target: "10.0.0.5", "10.0.0.5-10.0.0.40", "10.0.0.0/22",
 * "fd00::1", "fd00::/120", "fd00::1-fd00::9", or a host name. */
scan_parse_result scan_target_parse(const char *text, scan_range *out, char *err, size_t err_size);

typedef struct scan_targets {
  scan_range *include, *exclude;
  size_t n_include, n_exclude;
  char **hosts; /* names to resolve, then scan_targets_add_resolved() */
  size_t n_hosts;
} scan_targets;

/* Fills `t` from the configuration's text lists (either may be NULL);
 * every malformed item is an error in the document at its file:line:column.
 * Returns false when one was found. The caller frees `t` either way. */
bool scan_targets_from_config(const sr_config_node *targets, const sr_config_node *exclude,
                              scan_targets *t);
/* Adds one range; false when out of memory. */
bool scan_targets_add(scan_targets *t, const scan_range *r, bool excluded);
void scan_targets_free(scan_targets *t);

/* Resolves the host names (blocking: call it off the loop) and adds their
 * addresses. A name that does not resolve is named in `err` (the others
 * are still added); returns false then. */
bool scan_targets_resolve(scan_targets *t, char *err, size_t err_size);

bool scan_address_excluded(const scan_targets *t, const scan_address *a);

/* Walks every address of the targets once, in order, skipping exclusions
 * (an address in two targets is visited twice: targets rarely overlap). */
typedef struct scan_cursor {
  const scan_targets *t;
  size_t range;
  scan_address next;
  bool started;
} scan_cursor;

void scan_cursor_init(scan_cursor *c, const scan_targets *t);
/* The next address to scan, or false at the end. */
bool scan_cursor_next(scan_cursor *c, scan_address *out);

/* Addresses the cursor will visit (exclusions subtracted). */
uint64_t scan_targets_count(const scan_targets *t);

/* Text form of an address ("10.0.0.5", "fd00::1"). */
void scan_address_format(const scan_address *a, char *buf, size_t size);
/* The socket address of `a` at `port`; returns its length. */
socklen_t scan_address_sockaddr(const scan_address *a, int port, struct sockaddr_storage *out);

#endif
