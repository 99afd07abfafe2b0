/* Signs a printer list as a site would (core/printer_list.h), for tests
 * that play a site whose clock ran ahead: prints the envelope
 * {"list","mac"} on stdout.
 * usage: printer_list_seal SECRET_FILE TENANT SITE VERSION PRINTERS_JSON */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "printer_list.h"
#include "site_key.h"
#include "sr/abi.h"

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s SECRET_FILE TENANT SITE VERSION PRINTERS_JSON\n", argv[0]);
    return 2;
  }
  char why[512];
  sr_site_key *site = NULL;
  uint8_t key[SR_PRINTER_LIST_KEY_LEN];
  json_t *printers = json_loads(argv[5], 0, NULL);
  if (!json_is_array(printers) ||
      sr_site_key_load(argv[1], argv[2], &site, why, sizeof why) != SR_OK ||
      sr_printer_list_key(site, key) != SR_OK) {
    fprintf(stderr, "printer_list_seal: bad printers or secret\n");
    return 1;
  }
  json_t *envelope = sr_printer_list_seal(key, argv[2], argv[3], strtoll(argv[4], NULL, 10),
                                          (int64_t)time(NULL), printers, why, sizeof why);
  if (!envelope) {
    fprintf(stderr, "printer_list_seal: %s\n", why);
    return 1;
  }
  json_dumpf(envelope, stdout, JSON_COMPACT);
  putchar('\n');
  json_decref(envelope);
  json_decref(printers);
  sr_site_key_free(site);
  return 0;
}
