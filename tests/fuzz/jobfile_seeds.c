/*
 * Writes seed job files for fuzz_jobfile under its fixed site key:
 *   jobfile_seeds DIR
 * A few shapes: empty document, several small chunks, compressed and not;
 * format version 2 (sealed for the key's public submission key) too.
 * The seeds in tests/fuzz/corpus/jobfile/ came from here; run it again if
 * the file format changes.
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "jobfile.h"
#include "sr/abi.h"
#include "submit_key.h"

typedef struct file_sink {
  FILE *f;
} file_sink;

static int to_file(void *ctx, const void *buf, size_t len) {
  return fwrite(buf, 1, len, ((file_sink *)ctx)->f) == len ? SR_OK : SR_ERR_IO;
}

static int write_seed(const char *dir, const char *name, const sr_jobfile_options *opts,
                      const char *info, size_t doc_len, bool v2) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  file_sink sink = {fopen(path, "wb")};
  if (!sink.f)
    return 1;
  sr_jobfile_writer *w = NULL;
  int status;
  if (v2) {
    EVP_PKEY *priv = NULL;
    uint8_t spki[SR_SUBMIT_SPKI_MAX];
    size_t spki_len = 0;
    if ((status = sr_submit_key_derive(fuzz_site_key(), &priv)) == SR_OK)
      spki_len = sr_submit_key_spki(priv, spki, sizeof spki);
    EVP_PKEY_free(priv);
    if (status == SR_OK)
      status = sr_jobfile_writer_new_public(spki, spki_len, opts, info, to_file, &sink, &w);
  } else {
    status = sr_jobfile_writer_new(fuzz_site_key(), opts, info, to_file, &sink, &w);
  }
  for (size_t i = 0; status == SR_OK && i < doc_len; i++) {
    char c = (char)('A' + i % 26);
    status = sr_jobfile_writer_write(w, &c, 1);
  }
  if (status == SR_OK)
    status = sr_jobfile_writer_finish(w);
  sr_jobfile_writer_free(w);
  return fclose(sink.f) != 0 || status != SR_OK;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const char *info = "{\"title\":\"seed\",\"pages\":1,\"copies\":1}";
  sr_jobfile_options plain = {.chunk_size = SR_JOBFILE_MIN_CHUNK, .compress = false};
  sr_jobfile_options packed = {.chunk_size = SR_JOBFILE_MIN_CHUNK, .compress = true};
  int bad = write_seed(argv[1], "empty", &plain, "{}", 0, false);
  bad |= write_seed(argv[1], "three-chunks", &plain, info, 3 * SR_JOBFILE_MIN_CHUNK - 100, false);
  bad |= write_seed(argv[1], "compressed", &packed, info, 5000, false);
  bad |= write_seed(argv[1], "v2-empty", &plain, "{}", 0, true);
  bad |= write_seed(argv[1], "v2-three-chunks", &plain, info, 3 * SR_JOBFILE_MIN_CHUNK - 100, true);
  return bad;
}
