/* Writes the job file a browser uploads (docs/storage.md, "Web
 * submissions"): DOCUMENT with job information INFO_JSON, uncompressed as
 * a browser writes it: version 2, to the public submission key of the site
 * of SECRET_FILE (as web/shared/jobfile.js does), on stdout.
 * usage: upload_jobfile SECRET_FILE TENANT INFO_JSON DOCUMENT > FILE */
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>

#include "jobfile.h"
#include "site_key.h"
#include "submit_key.h"
#include "sr/abi.h"

static int to_stdout(void *ctx, const void *buf, size_t len) {
  (void)ctx;
  return fwrite(buf, 1, len, stdout) == len ? SR_OK : SR_ERR_IO;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s SECRET_FILE TENANT INFO_JSON DOCUMENT > FILE\n", argv[0]);
    return 2;
  }
  char why[512];
  sr_site_key *key = NULL;
  sr_jobfile_writer *w = NULL;
  sr_jobfile_options opts = {.compress = false};
  FILE *doc = fopen(argv[4], "rb");
  int status = doc ? sr_site_key_load(argv[1], argv[2], &key, why, sizeof why) : SR_ERR_IO;
  EVP_PKEY *site = NULL;
  unsigned char *spki = NULL;
  int spki_len = 0;
  if (status == SR_OK)
    status = sr_submit_key_derive(key, &site);
  if (status == SR_OK && (spki_len = i2d_PUBKEY(site, &spki)) <= 0)
    status = SR_ERR_INVALID;
  if (status == SR_OK)
    status = sr_jobfile_writer_new_public(spki, (size_t)spki_len, &opts, argv[3], to_stdout, NULL,
                                          &w);
  OPENSSL_free(spki);
  EVP_PKEY_free(site);
  char buf[65536];
  size_t n;
  while (status == SR_OK && (n = fread(buf, 1, sizeof buf, doc)) > 0)
    status = sr_jobfile_writer_write(w, buf, n);
  if (status == SR_OK)
    status = sr_jobfile_writer_finish(w);
  if (status == SR_OK && fflush(stdout) != 0)
    status = SR_ERR_IO;
  if (status != SR_OK)
    fprintf(stderr, "upload_jobfile: %s\n", doc ? sr_status_name(status) : "cannot read DOCUMENT");
  sr_jobfile_writer_free(w);
  sr_site_key_free(key);
  if (doc)
    fclose(doc);
  return status == SR_OK ? 0 : 1;
}
