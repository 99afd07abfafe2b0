/*
 * A document's real type from its first bytes (magic numbers), for what
 * must not trust a declared type: web uploads, whose name and type the
 * browser chose. Only the types a web upload may be are known.
 */
#ifndef SR_CORE_DOC_SNIFF_H
#define SR_CORE_DOC_SNIFF_H

/* The MIME type of the document in `fd` (read at offset 0 with pread):
 * "application/pdf" (%PDF-), "image/jpeg" (FF D8 FF), "image/png" (the
 * PNG signature); NULL for anything else or an unreadable file. Static
 * text. */
const char *sr_doc_sniff(int fd);

#endif
