/*
 * Checks a printer's TLS certificate chain, as libcups hands it over
 * (httpCopyCredentials), with OpenSSL: against a CA file and the host name,
 * or against a pinned SHA-256 fingerprint of the printer's certificate.
 */
#ifndef IPP_TLS_VERIFY_H
#define IPP_TLS_VERIFY_H

#include <cups/http.h>
#include <stdbool.h>
#include <stddef.h>

/* Returns true when the chain in `creds` (leaf first, DER) is trusted:
 * issued by a CA in `ca_file` and valid for `host` when ca_file is set,
 * and with a leaf whose SHA-256 is `fingerprint` (hex, ':' allowed) when
 * that is set. Writes why not into `why`. */
bool ipp_tls_verify(cups_array_t *creds, const char *host, const char *ca_file,
                    const char *fingerprint, char *why, size_t why_size);

/* Writes the SHA-256 fingerprint of the leaf certificate as hex pairs
 * joined by ':' (95 characters + NUL); false if there is none. */
bool ipp_tls_fingerprint(cups_array_t *creds, char *out, size_t out_size);

#endif
