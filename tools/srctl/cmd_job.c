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

int srctl_job_show(const srctl_command *cmd, int argc, char **argv) {
  enum { SECRET_FILE = 256, TENANT, DOCUMENT };
  static const struct option options[] = {{"secret-file", required_argument, NULL, SECRET_FILE},
                                          {"tenant", required_argument, NULL, TENANT},
                                          {"document", required_argument, NULL, DOCUMENT},
                                          {0}};
  const char *secret_file = NULL, *tenant = "default", *document = NULL;
  srctl_parser p;
  srctl_parser_init(&p, cmd, argc, argv, options, NULL);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case SECRET_FILE: secret_file = optarg; break;
    case TENANT: tenant = optarg; break;
    case DOCUMENT: document = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 1, 1))
    return p.status;
  if (!secret_file)
    return srctl_refuse(&p, "--secret-file is required (the job is sealed with the site key)");
  const char *file = argv[optind];
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
