/*
 * Page counting for the documents a print scout receives, so the panel can
 * show how many pages a held job has. A count is exact or "unknown" (-1),
 * never a guess: PDF through qpdf (no recovery of damaged files), PWG
 * raster through libcups' raster reader, Apple raster (URF) from its
 * header, PostScript from its DSC comments, JPEG and PNG as one page.
 */
#ifndef SR_CORE_PAGE_COUNT_H
#define SR_CORE_PAGE_COUNT_H

#include <stddef.h>
#include <stdint.h>

/* Counts the pages of the document in `fd` (read from offset 0, seekable;
 * the offset is left anywhere) of MIME type `format`. Returns the count, or
 * -1 when it cannot be known; `why` (may be NULL) then says why. */
int64_t sr_page_count(int fd, const char *format, char *why, size_t why_size);

#endif
