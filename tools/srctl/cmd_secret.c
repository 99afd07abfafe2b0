/* srctl secret generate: a new site secret, printed once; srctl secret
 * key: the public submission key derived from it. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "site_key.h"
#include "sr/abi.h"
#include "submit_key.h"

int srctl_secret_generate(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_parser_init(&p, cmd, argc, argv, NULL, NULL);
  if (srctl_next(&p) != -1 || !srctl_positionals(&p, 0, 0))
    return p.status;
  uint8_t secret[SR_SITE_SECRET_LEN];
  if (sr_site_secret_generate(secret) != SR_OK) {
    fprintf(stderr, "srctl: the random generator failed\n");
    return 1;
  }
  char text[SR_SITE_SECRET_TEXT_LEN + 1];
  sr_site_secret_encode(secret, text);
  printf("%s\n", text);
  fprintf(stderr, "Keep this site secret safe: it is shown once and the cloud never stores it.\n");
  OPENSSL_cleanse(secret, sizeof secret);
  OPENSSL_cleanse(text, sizeof text);
  return 0;
}

/* srctl secret key: the site's public submission key, what browsers seal
 * uploads with (the cloud publishes the same from the site's heartbeat). */
int srctl_secret_key(const srctl_command *cmd, int argc, char **argv) {
  enum { SECRET_FILE = 256, TENANT };
  static const struct option options[] = {{"secret-file", required_argument, NULL, SECRET_FILE},
                                          {"tenant", required_argument, NULL, TENANT},
                                          {0}};
  const char *secret_file = NULL, *tenant = "default";
  srctl_parser p;
  srctl_parser_init(&p, cmd, argc, argv, options, NULL);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case SECRET_FILE: secret_file = optarg; break;
    case TENANT: tenant = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  if (!secret_file)
    return srctl_refuse(&p, "--secret-file is required (the key is derived from the site secret)");
  char why[512], spki[SR_SUBMIT_SPKI_B64_MAX], fingerprint[SR_SUBMIT_FINGERPRINT_LEN];
  sr_site_key *key = NULL;
  if (sr_site_key_load(secret_file, tenant, &key, why, sizeof why) != SR_OK) {
    fprintf(stderr, "srctl: %s\n", why);
    return 1;
  }
  int status = sr_submit_key_public(key, spki, sizeof spki, fingerprint);
  sr_site_key_free(key);
  if (status != SR_OK) {
    fprintf(stderr, "srctl: cannot derive the submission key (%s)\n", sr_status_name(status));
    return 1;
  }
  printf("spki: %s\nfingerprint: %s\n", spki, fingerprint);
  return 0;
}
