/*
 * The job file reader (core/jobfile_reader.c) with a fixed site key, as a
 * scout reads a file from its store at release or at start: the store may
 * be a shared disk or a cloud bucket, so every byte is untrusted until it
 * authenticates. Odd-sized inputs are fed in 7-byte slices so that header
 * and chunk boundaries fall mid-slice; even-sized ones at once.
 * Seeds: valid files under the fixed key (jobfile_seeds.c), so mutations
 * reach the chunk framing, not only the header checks.
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "jobfile.h"
#include "sr/abi.h"

FUZZ_INIT((void)fuzz_site_key())

static int count_sink(void *ctx, const void *buf, size_t len) {
  (void)buf;
  *(size_t *)ctx += len;
  return SR_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t plain = 0;
  sr_jobfile_reader *r;
  if (sr_jobfile_reader_new(fuzz_site_key(), count_sink, &plain, &r) != SR_OK)
    abort();
  int status = SR_OK;
  size_t slice = size % 2 ? 7 : size;
  for (size_t off = 0; status == SR_OK && off < size; off += slice)
    status = sr_jobfile_reader_feed(r, data + off, size - off < slice ? size - off : slice);
  if (status == SR_OK)
    status = sr_jobfile_reader_finish(r);
  const char *info = sr_jobfile_reader_info(r);
  if (getenv("FUZZ_DEBUG")) /* what a seed reaches */
    fprintf(stderr, "status %d, %zu bytes, info %s, error '%s'\n", status, plain,
            info ? info : "none", sr_jobfile_reader_error(r));
  sr_jobfile_reader_free(r);
  return 0;
}
