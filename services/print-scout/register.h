/* Registering this workstation's user (see register.c). */
#ifndef SCOUT_REGISTER_H
#define SCOUT_REGISTER_H

#include <stddef.h>

#include "service_config.h"

/* sr-print-scout register --email ADDRESS: the cloud mails a code; the
 * user types it here (stdin) and chooses a PIN. SR_OK or `err` says why. */
int scout_register_email(const sr_service_config *cfg, const sr_config *doc, const char *email,
                         char *err, size_t err_size);

#endif
