/* Registering this workstation's user (see register.c). */
#ifndef SCOUT_REGISTER_H
#define SCOUT_REGISTER_H

#include <stddef.h>

#include "service_config.h"

/* sr-print-scout register --email ADDRESS: the cloud mails a code; the
 * user types it here (stdin) and chooses a PIN. SR_OK or `err` says why. */
int scout_register_email(const sr_service_config *cfg, const sr_config *doc, const char *email,
                         char *err, size_t err_size);

/* sr-print-scout register: OpenID Connect sign-in on any device (URL, code
 * and a QR code here, with a countdown), then a passcode for the panels. */
int scout_register_oidc(const sr_service_config *cfg, const sr_config *doc, char *err,
                        size_t err_size);

#endif
