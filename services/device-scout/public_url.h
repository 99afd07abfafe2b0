/*
 * The base URL of this site's release page (docs/devices.md, "Labels"):
 * what a printer's label encodes as <base>/r/<device>, and the rotating
 * codes' links. panel.public_url when configured (a name the site's phones
 * resolve, a reverse proxy), else https://ADDRESS:PORT of the panel's
 * listener. The site reports it to the cloud with its heartbeats.
 */
#ifndef DEVICE_SCOUT_PUBLIC_URL_H
#define DEVICE_SCOUT_PUBLIC_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "address_check.h"

/* Checks the configured URL (`configured`, NULL when absent); false with
 * err filled if it is malformed. */
bool site_public_url_check(const char *configured, char *err, size_t err_size);

/* The base URL into out (at least SR_BASE_URL_MAX + 1 bytes): `configured`
 * (checked), or https://ADDRESS:PORT of the listener bound to `port`, an
 * IPv6 address in brackets. "" (and a warning logged) when no one could
 * reach the default: a wildcard address (0.0.0.0, ::) names no host. */
void site_public_url(const char *configured, const char *address, int port, char *out,
                     size_t out_size);

#endif
