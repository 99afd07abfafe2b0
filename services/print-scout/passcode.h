/* The user's passcode for the printer panels (see passcode.c). */
#ifndef SCOUT_PASSCODE_H
#define SCOUT_PASSCODE_H

#include <stddef.h>

#include "service_config.h"

#define SCOUT_PASSCODE_SIZE 10 /* "ABCD-EFGH" and the NUL */

/* Writes a new random passcode "XXXX-XXXX" (about 40 bits). */
void scout_passcode_generate(char out[SCOUT_PASSCODE_SIZE]);

/* Makes a new passcode, registers its keyed hash for this scout's user at
 * the cloud and prints it once. SR_OK or an error described in `err`. */
int scout_passcode_renew(const sr_service_config *cfg, const sr_config *doc, char *err,
                         size_t err_size);

#endif
