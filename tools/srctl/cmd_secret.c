/* srctl secret generate: a new site secret, printed once. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "site_key.h"
#include "sr/abi.h"

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
