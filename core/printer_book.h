/*
 * The signed printer lists a scout trusts (printer_list.h), one per site
 * of its tenant: each verified with the site key, the highest version seen
 * per site kept, on disk too, so an older list (a replay by the cloud) is
 * refused even after a restart. Releases print only to a device and URI
 * that one of these lists names.
 *
 * Thread-safe: the lists are taken on a worker (fetched from the cloud,
 * saved to disk) and asked on the loop.
 */
#ifndef SR_CORE_PRINTER_BOOK_H
#define SR_CORE_PRINTER_BOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cloud_client.h"
#include "printer_list.h"

typedef struct sr_printer_book sr_printer_book;

/* A book for `tenant` with the lists' key derived from `site`, kept in
 * `path` (copied; NULL: in memory only) and loaded from it now: each saved
 * list is verified again. NULL with `why` set when the file cannot be read
 * or memory is short; the caller owns the book (sr_printer_book_free). */
sr_printer_book *sr_printer_book_new(const sr_site_key *site, const char *tenant, const char *path,
                                     char *why, size_t why_size);
void sr_printer_book_free(sr_printer_book *book);

/* Takes one envelope (borrowed). SR_OK when it is kept (newer than the
 * site's list so far, saved to `path`) or is the version kept already;
 * else the error of sr_printer_list_open, or SR_ERR_EXISTS for an older
 * version than the one kept (a rollback), with `why`. */
int sr_printer_book_take(sr_printer_book *book, const json_t *envelope, char *why, size_t why_size);

/* GETs /api/v1/scout/printer-list with `cloud` and takes each list of the
 * answer; the ones refused are logged. SR_OK when the cloud answered
 * (even with lists refused), else why not in `why`. Blocks: a worker's. */
int sr_printer_book_fetch(sr_printer_book *book, sr_cloud_client *cloud, char *why,
                          size_t why_size);

/* How many sites' lists it holds. */
size_t sr_printer_book_count(sr_printer_book *book);

/* True if a list of the book allows `device` with `uri` (and `snmp`, when
 * given): sr_printer_list_allows. */
bool sr_printer_book_allows(sr_printer_book *book, const char *device, const char *uri,
                            const char *snmp);

#endif
