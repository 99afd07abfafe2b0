/*
 * securerelease plugin SDK: identity provider plugins (OIDC, AD/LDAP, email).
 *
 * Several providers can be configured at once; the host asks each in order.
 * A provider answers SR_OK (it vouches for the user), SR_ERR_AUTH (it owns
 * the credential and refuses it: stop) or SR_ERR_DEFER (not its credential:
 * ask the next one), as mosquitto's auth plugins do.
 */
#ifndef SR_IDP_H
#define SR_IDP_H

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sr_credential_type {
  SR_CRED_CARD = 1,      /* identifier: card number (normalised, keyed hash) */
  SR_CRED_EMAIL_PIN = 2, /* identifier: email; secret: PIN */
  SR_CRED_PASSCODE = 3,  /* secret: the system-generated passcode */
  SR_CRED_PASSWORD = 4,  /* identifier: directory username; secret: password */
  SR_CRED_TOKEN = 5,     /* secret: a bearer token (OIDC access or ID token) */
  /* ---- ABI 1.4 ---- */
  SR_CRED_AUTHORIZATION_CODE = 6, /* secret: an OAuth 2.0 authorization code; code_verifier,
                                     redirect_uri and nonce set (sr_credential, ABI 1.4);
                                     identifier: the client the code was issued to when it is
                                     not the release page's (the cloud's web console), else
                                     NULL */
} sr_credential_type;

/* A credential presented by a user. Owned by the host, valid during the
 * call. `secret` must never be logged, stored or copied beyond the call. */
typedef struct sr_credential {
  uint32_t struct_size; /* set by the host: read only members that fit */
  /* ---- ABI 1.0 ---- */
  int32_t type;           /* sr_credential_type */
  const char *tenant;     /* tenant id */
  const char *device;     /* device the credential was presented at, or NULL */
  const char *identifier; /* see sr_credential_type; may be NULL */
  const char *secret;     /* see sr_credential_type; may be NULL */
  /* ---- ABI 1.4: SR_CRED_AUTHORIZATION_CODE (NULL for the other types) ---- */
  const char *code_verifier; /* the PKCE verifier (RFC 7636) the browser made */
  const char *redirect_uri;  /* where the provider sent the browser with the code */
  const char *nonce;         /* the ID token must carry exactly this nonce */
} sr_credential;

/* Who a user is. The host zeroes it and sets struct_size; the plugin fills
 * members that fit, each string allocated with host->alloc/strdup. The host
 * owns and frees everything filled in, also when the call fails. */
typedef struct sr_identity {
  uint32_t struct_size;
  /* ---- ABI 1.0 ---- */
  char *subject; /* stable id at the provider (OIDC sub, LDAP DN, email) */
  char *name;    /* display name */
  char *email;
  char **groups; /* array of n_groups strings, itself from host->alloc */
  size_t n_groups;
} sr_identity;

/* An interactive registration in progress (device flow, emailed code). The
 * host zeroes it; the plugin fills it in registration_begin(). Strings from
 * host->alloc, owned by the host; `state` is the plugin's until
 * registration_complete() succeeds or registration_cancel() is called. */
typedef struct sr_registration {
  uint32_t struct_size;
  /* ---- ABI 1.0 ---- */
  char *verification_uri;          /* where the user goes, or NULL */
  char *verification_uri_complete; /* same with the code in it, or NULL */
  char *user_code;                 /* code to type there, or NULL */
  char *message;                   /* what to tell the user */
  int32_t interval;                /* seconds between complete() polls */
  int32_t expires_in;              /* seconds */
  void *state;
} sr_registration;

/* How a browser starts an OpenID Connect authorization code flow (with
 * PKCE) with this provider (ABI 1.4). The host zeroes it and sets
 * struct_size; the plugin fills it, strings from host->alloc, owned by the
 * host. */
typedef struct sr_authorization {
  uint32_t struct_size;
  /* ---- ABI 1.4 ---- */
  char *authorization_endpoint; /* the provider's, as its metadata names it */
  char *client_id;              /* the public client the browser authorizes */
  char *scope;                  /* space-separated, with "openid" */
} sr_authorization;

/*
 * Execution (sr/plugin.h): every operation may block (a directory bind,
 * an SMTP exchange, an OpenID provider); the host
 * calls them on a worker thread, never the event loop's, one at a time per
 * instance unless the plugin declares SR_PLUGIN_THREAD_SAFE. The host sets
 * no timeout: bound your own I/O and return SR_ERR_TIMEOUT.
 * registration_cancel runs on the worker pool too (at shutdown, once the
 * pool has stopped, on the cloud's main thread): free the state, briefly.
 */
typedef struct sr_idp_ops {
  sr_instance_ops base;
  /* ---- ABI 1.0 ---- */

  /* Optional. Checks `cred`: SR_OK fills *out; SR_ERR_AUTH refuses;
   * SR_ERR_DEFER passes it on; SR_ERR_CONNECT if the provider is down
   * (SR_ERR_TIMEOUT if it did not answer in time). Only SR_ERR_DEFER asks
   * the next provider. The reason of an SR_ERR_AUTH is shown to no one
   * (the user learns only "refused"). */
  int (*authenticate)(void *instance, const sr_credential *cred, sr_identity *out);
  /* Optional. Finds a user by subject, email or username: SR_OK fills
   * *out; SR_ERR_NOT_FOUND if there is no such user; SR_ERR_CONNECT if the
   * provider is down. Every status but SR_OK asks the next provider (so
   * SR_ERR_DEFER chains too); when none knows the user the host reports
   * SR_ERR_CONNECT if one said so, else SR_ERR_NOT_FOUND. */
  int (*lookup_user)(void *instance, const char *query, sr_identity *out);
  /* Optional. Starts registering a user; `hint` is what the user gave
   * (e.g. an email address) or NULL. */
  int (*registration_begin)(void *instance, const char *hint, sr_registration *reg);
  /* Optional. Finishes a registration: `response` is what the user typed
   * (e.g. the mailed code) or NULL to poll. SR_ERR_PENDING: poll again
   * after reg->interval seconds. SR_OK fills *out and frees reg->state. */
  int (*registration_complete)(void *instance, sr_registration *reg, const char *response,
                               sr_identity *out);
  /* Optional. Abandons a registration and frees reg->state. Called on the
   * cloud's event-loop thread: must not block. */
  void (*registration_cancel)(void *instance, sr_registration *reg);
  /* ---- ABI 1.4 ---- */
  /* Optional. Fills *out for a browser login by authorization code
   * (authenticate() then takes SR_CRED_AUTHORIZATION_CODE). May block (the
   * provider's discovery). SR_ERR_UNSUPPORTED, without network, when this
   * instance is not set up for browser logins; SR_ERR_CONNECT if the
   * provider is down. */
  int (*authorization_info)(void *instance, sr_authorization *out);
  /* ---- ABI 1.5 ---- */
  /* Optional, both or neither: a registration in progress outlives the
   * cloud instance that began it. registration_save writes reg->state as
   * text (from host->alloc, *out) and frees reg->state: the registration
   * is that text until registration_restore rebuilds reg->state from it,
   * in this or another process, with an instance of the same plugin and
   * configuration (the other members of *reg are the host's). The text
   * may hold secrets (a mailed code, a device code): the host stores it
   * sealed with its master key. Neither may block. SR_OK; any other status
   * leaves reg->state as it was (save) or NULL (restore). Without them,
   * the registration lives in the memory of the instance that began it. */
  int (*registration_save)(void *instance, sr_registration *reg, char **out);
  int (*registration_restore)(void *instance, const char *saved, sr_registration *reg);
} sr_idp_ops;

#ifdef __cplusplus
}
#endif

#endif
