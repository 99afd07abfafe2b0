/*
 * Asking the configured identity providers in order, as mosquitto asks its
 * auth plugins: the first that handles a credential decides (SR_OK vouches,
 * SR_ERR_AUTH refuses); SR_ERR_DEFER passes it on to the next.
 */
#ifndef SR_CORE_IDP_CHAIN_H
#define SR_CORE_IDP_CHAIN_H

#include <stddef.h>

#include "instance.h"
#include "sr/idp.h"

/* Returns SR_OK with *out filled (free with sr_identity_clear), SR_ERR_AUTH
 * (refused), SR_ERR_DEFER (no provider handles it) or SR_ERR_CONNECT (the
 * provider that would decide is unreachable; `err` names it). */
int sr_idp_authenticate(sr_instance *const *idps, size_t n, const sr_credential *cred,
                        sr_identity *out, char *err, size_t err_size);

/* Asks the providers in order who `username` is; the first that knows
 * answers. SR_OK with *out (free with sr_identity_clear), SR_ERR_NOT_FOUND,
 * or SR_ERR_CONNECT with `err` naming the provider. */
int sr_idp_lookup(sr_instance *const *idps, size_t n, const char *username, sr_identity *out,
                  char *err, size_t err_size);

/* Frees what a provider filled into *id (host allocator) and zeroes it. */
void sr_identity_clear(sr_identity *id);

#endif
