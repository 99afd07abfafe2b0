/*
 * The printer attributes of the scout's IPP Everywhere queue: what it
 * accepts and how clients (CUPS `-m everywhere`, macOS, Windows, ipptool)
 * should talk to it. Built once and shared by every connection thread, so
 * only ever read, and copied into a response with
 * scout_printer_attributes_copy; per-request values (state, up-time, job
 * count) are added by the caller.
 */
#ifndef SCOUT_IPP_ATTRIBUTES_H
#define SCOUT_IPP_ATTRIBUTES_H

#include <cups/cups.h>
#include <stdbool.h>

/* Document formats the queue takes, NULL-terminated. */
extern const char *const scout_document_formats[];

/* Returns a new attribute set for the queue at `uri` named `name`, with its
 * status page at `more_info`; PIN jobs (job-password) with pin_min_length
 * to pin_max_length digits, none if pin_max_length is 0. The caller owns
 * it (ippDelete). */
ipp_t *scout_printer_attributes(const char *uri, const char *name, const char *uuid,
                                const char *more_info, int pin_min_length, int pin_max_length);

/* True if `name` is one of media-supported. */
bool scout_media_supported(const char *name);

/* Copies the attributes of `attributes` named in `requested` (NULL: all)
 * into `response`, sharing no collection with it. ippCopyAttributes would
 * share collection values: libcups counts their users without a lock, and
 * ippWrite keeps its place in a collection inside the collection itself, so
 * two threads writing responses that hold the same collection at once
 * interleave and send a body shorter or longer than its Content-Length (a
 * client then waits for bytes that never come: issue 9). Both messages stay
 * the caller's; `attributes` is only read. */
void scout_printer_attributes_copy(ipp_t *response, ipp_t *attributes, cups_array_t *requested);

/* True if `format` is one of scout_document_formats. */
bool scout_format_supported(const char *format);

/* The format of a document from its first bytes, or NULL if unknown. */
const char *scout_format_sniff(const unsigned char *head, size_t len);

#endif
