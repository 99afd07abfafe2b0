/* srctl job show: what a job file holds, for administrators and tests. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "jobfile.h"
#include "site_key.h"
#include "sr/abi.h"

typedef struct output {
  FILE *file;
  unsigned long long bytes;
} output;

static int write_document(void *ctx, const void *p, size_t len) {
  output *o = ctx;
  o->bytes += len;
  return !o->file || fwrite(p, 1, len, o->file) == len ? SR_OK : SR_ERR_IO;
}

int srctl_job(int argc, char **argv) {
  const char *file = NULL, *secret_file = NULL, *tenant = "default", *document = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--secret-file") == 0 && i + 1 < argc)
      secret_file = argv[++i];
    else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc)
      tenant = argv[++i];
    else if (strcmp(argv[i], "--document") == 0 && i + 1 < argc)
      document = argv[++i];
    else if (!file && argv[i][0] != '-')
      file = argv[i];
    else
      file = NULL, argc = 0;
  }
  if (argc < 1 || strcmp(argv[0], "show") != 0 || !file || !secret_file) {
    fprintf(stderr, "usage: srctl job show FILE --secret-file PATH [--tenant ID] "
                    "[--document OUT]\n");
    return SRCTL_EXIT_USAGE;
  }
  char why[512];
  sr_site_key *key = NULL;
  int status = sr_site_key_load(secret_file, tenant, &key, why, sizeof why);
  if (status != SR_OK) {
    fprintf(stderr, "srctl: %s\n", why);
    return 1;
  }
  FILE *in = fopen(file, "rb");
  output out = {document ? fopen(document, "wb") : NULL, 0};
  sr_jobfile_reader *r = NULL;
  if (!in || (document && !out.file) ||
      sr_jobfile_reader_new(key, write_document, &out, &r) != SR_OK) {
    fprintf(stderr, "srctl: cannot open %s\n", !in ? file : document);
    status = SR_ERR_IO;
  } else {
    char buf[65536];
    size_t n;
    while (status == SR_OK && (n = fread(buf, 1, sizeof buf, in)) > 0)
      status = sr_jobfile_reader_feed(r, buf, n);
    if (status == SR_OK)
      status = sr_jobfile_reader_finish(r);
    if (status != SR_OK) {
      fprintf(stderr, "srctl: %s: %s\n", file, sr_jobfile_reader_error(r));
    } else {
      printf("info: %s\n", sr_jobfile_reader_info(r));
      printf("document: %llu bytes%s%s\n", out.bytes, document ? " written to " : "",
             document ? document : "");
    }
  }
  sr_jobfile_reader_free(r);
  if (in)
    fclose(in);
  if (out.file && fclose(out.file) != 0)
    status = SR_ERR_IO;
  if (status != SR_OK && document)
    remove(document); /* never leave part of a document that failed its check */
  sr_site_key_free(key);
  return status == SR_OK ? 0 : 1;
}
