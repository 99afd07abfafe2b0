/* Checking an OpenID Connect ID token (see token_check.c). */
#ifndef OIDC_TOKEN_CHECK_H
#define OIDC_TOKEN_CHECK_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

/* Verifies `token`'s signature against the keys of `jwks` (the provider's
 * JWKS document) with liboauth2, then that its issuer is `issuer`, its
 * audience includes `audience`, it has not expired at `now` and was not
 * issued in the future. Returns 0 with *claims (caller decrefs) or -1 with
 * the reason in `why`. */
int oidc_check_id_token(const json_t *jwks, const char *token, const char *issuer,
                        const char *audience, time_t now, json_t **claims, char *why,
                        size_t why_size);

#endif
