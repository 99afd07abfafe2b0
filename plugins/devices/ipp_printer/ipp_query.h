/*
 * One Get-Printer-Attributes exchange with libcups, bounded in time: the
 * ipp_printer driver's only network call. Blocking (drivers run on worker
 * threads).
 */
#ifndef IPP_PRINTER_QUERY_H
#define IPP_PRINTER_QUERY_H

#include <cups/cups.h>
#include <sr/plugin.h>

/* Asks the printer at `uri` (ipp:// or ipps://) for the attributes
 * `names[0..n)`. On SR_OK *out is the response, which the caller frees
 * with ippDelete(); else SR_ERR_INVALID (not an IPP URI), SR_ERR_CONNECT,
 * SR_ERR_TIMEOUT or SR_ERR_PEER, with the reason set on `self`.
 * `timeout_ms` bounds the connection and each wait for the printer's
 * answer; libcups adds up to a second of its own (its wait for "100
 * Continue"), so a silent printer costs timeout_ms + ~1 s. */
int ipp_query(sr_plugin *self, const char *uri, int timeout_ms, const char *const *names, int n,
              ipp_t **out);

#endif
