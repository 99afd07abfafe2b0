/*
 * The site's signed printer list (DESIGN: a printer list the cloud cannot
 * forge). The site service (device scout) signs the printers the site
 * accepted; the list travels through the cloud; print scouts verify it
 * and print nowhere else, so a cloud that is compromised cannot aim a
 * release, and the decrypted document, at a host of its own.
 *
 * The list is canonical JSON (compact, keys sorted, ASCII):
 *   {"issued_at":UNIX,"printers":[{"device":ID,"name":NAME,"snmp":"HOST:PORT"|null,
 *    "uris":[URI,...]},...],"site":SCOUT_ID,"tenant":TENANT,"v":1,"version":N}
 * `version` only grows (milliseconds since the epoch when signed): a
 * scout keeps the highest it saw per site and refuses an older one.
 * The envelope the cloud stores and serves is {"list": base64(bytes),
 * "mac": base64(HMAC-SHA256(key, "securerelease printer-list v1\0" ||
 * bytes))} with the key HKDF(site KEK, "securerelease printer-list v1"):
 * only holders of the site secret can make or check it.
 */
#ifndef SR_CORE_PRINTER_LIST_H
#define SR_CORE_PRINTER_LIST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "site_key.h"

#define SR_PRINTER_LIST_KEY_LEN 32

/* The list's MAC key, derived from the site key. SR_OK or an error. */
int sr_printer_list_key(const sr_site_key *site, uint8_t key[SR_PRINTER_LIST_KEY_LEN]);

/* Makes the envelope of a list of `printers` (borrowed: an array of
 * {"device","name","uris":[...],"snmp"}) for `tenant` and `site`, signed
 * with `key`. Returns a new object the caller owns, or NULL with `why`
 * set (a printer without a device id or URIs, out of memory). */
json_t *sr_printer_list_seal(const uint8_t key[SR_PRINTER_LIST_KEY_LEN], const char *tenant,
                             const char *site, int64_t version, int64_t issued_at,
                             const json_t *printers, char *why, size_t why_size);

/* A verified list. */
typedef struct sr_printer_list sr_printer_list;

/* Checks `envelope` (borrowed) with `key` (MAC compared in constant time)
 * and that it is a version 1 list of `tenant`, then reads it. On SR_OK
 * the caller owns *out (sr_printer_list_free). Else `why` says what:
 * SR_ERR_AUTH when the MAC does not match (altered, or signed with another
 * key), SR_ERR_INVALID when it is another tenant's, SR_ERR_CORRUPT when
 * the envelope or a signed list cannot be read. */
int sr_printer_list_open(const uint8_t key[SR_PRINTER_LIST_KEY_LEN], const char *tenant,
                         const json_t *envelope, sr_printer_list **out, char *why, size_t why_size);
void sr_printer_list_free(sr_printer_list *list);

/* The site that signed it, its version, and the envelope it came in
 * (borrowed from the list). */
const char *sr_printer_list_site(const sr_printer_list *list);
int64_t sr_printer_list_version(const sr_printer_list *list);
const json_t *sr_printer_list_envelope(const sr_printer_list *list);

/* True if the list has device `device` with `uri` among its URIs (exact
 * match) and, when `snmp` is not NULL or empty, that same SNMP address. */
bool sr_printer_list_allows(const sr_printer_list *list, const char *device, const char *uri,
                            const char *snmp);

#endif
