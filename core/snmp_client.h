/*
 * A blocking SNMP client (net-snmp, single-session API: one session per
 * object, safe to use from several threads) for reading printers. Values
 * come back as text, as sr_device_target documents: integers in decimal,
 * OIDs dotted, octet strings as-is when printable, else "hex:" + hex pairs.
 */
#ifndef SR_CORE_SNMP_CLIENT_H
#define SR_CORE_SNMP_CLIENT_H

#include <stddef.h>

#include "sr/device.h"

typedef struct sr_snmp_options {
  int version;           /* 0: v1, 1: v2c */
  const char *community; /* NULL: "public" */
  int timeout_ms;        /* per attempt; 0: 1000 */
  int retries;
} sr_snmp_options;

typedef struct sr_snmp sr_snmp;

/* Sets net-snmp up once per process (numeric OIDs, no files read or
 * written); every user of the library calls it first. Thread-safe. */
void sr_snmp_init(void);

/* Opens a session to `address` ("HOST" or "HOST:PORT", UDP 161 by
 * default). Nothing is sent yet. On SR_OK the caller owns *out. */
int sr_snmp_open(const char *address, const sr_snmp_options *options, sr_snmp **out, char *err,
                 size_t err_size);
void sr_snmp_close(sr_snmp *s);

/* Reads one OID ("1.3.6.1.2.1.1.1.0", a leading '.' is fine). SR_OK,
 * SR_ERR_NOT_FOUND (no such object), SR_ERR_TIMEOUT (no answer) or
 * SR_ERR_PEER; sr_snmp_error() says more. */
int sr_snmp_get(sr_snmp *s, const char *oid, char *value, size_t value_size);

/* Calls fn for every variable under `oid` (GETNEXT walk). */
int sr_snmp_walk(sr_snmp *s, const char *oid, sr_snmp_walk_fn fn, void *fctx);

/* The last failure, naming the agent. Owned by s. */
const char *sr_snmp_error(const sr_snmp *s);

/* Decodes a response PDU (the BER bytes after a v1/v2c message's
 * community) and calls fn with each variable's OID and value in the text
 * form above, as sr_snmp_get and sr_snmp_walk give them. For
 * tests/fuzz/fuzz_snmp.c: the agent's bytes are untrusted. SR_ERR_PEER if
 * they do not parse. */
int sr_snmp_decode(const unsigned char *pdu_bytes, size_t len, sr_snmp_walk_fn fn, void *fctx);

/* A variable's value (net-snmp's netsnmp_variable_list) in the text form
 * above. */
struct variable_list;
void sr_snmp_value_text(const struct variable_list *v, char *out, size_t size);

/* Fills a device target whose SNMP calls go through `s`. */
void sr_snmp_target(sr_snmp *s, sr_device_target *target);

#endif
