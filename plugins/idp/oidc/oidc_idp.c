/*
 * The `oidc` identity provider: registers a workstation's user with OpenID
 * Connect through the device authorization grant (RFC 8628), as the print
 * scout's setup wizard needs: the user opens a URL on any device, signs in
 * and approves; the cloud polls the token endpoint and checks the ID token
 * (signature against the provider's keys with liboauth2, issuer, audience,
 * expiry). The provider's metadata comes from discovery of the issuer.
 *
 * With `panel_client_id` it also logs users in at a printer's browser by
 * authorization code with PKCE (ABI 1.4): the browser gets the code and
 * the cloud redeems it here with the browser's verifier, then checks the
 * ID token as above and that it carries the browser's nonce. With
 * `console_client_id` the cloud's web console signs in the same way (its
 * credential's `identifier` names that client), and the ID token's
 * `groups` claim (a list of names) becomes the identity's groups, which
 * the cloud maps to console roles (docs/console.md).
 *
 * Configuration:
 *   issuer: https://login.example.com      # exactly as the provider names itself
 *   client_id: securerelease-scout          # a public client with the device grant
 *   panel_client_id: securerelease-panel    # optional: a public client, code + PKCE S256
 *   console_client_id: securerelease-console  # optional: the web console's client, likewise
 *   ca_file: /etc/securerelease/idp-ca.pem  # optional: the provider's CA
 *   scope: openid email profile
 */
#include <curl/curl.h>
#include <sr/idp.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "token_check.h"

typedef struct oidc_idp {
  sr_plugin *self;
  const char *issuer, *client_id, *panel_client_id, *console_client_id, *ca_file, *scope;
} oidc_idp;

typedef struct device_flow {
  char device_code[512];
} device_flow;

static const char *const known_keys[] = {
    "issuer", "client_id", "panel_client_id", "console_client_id", "ca_file", "scope", NULL};

static int read_config(const sr_config_node *config, oidc_idp *out) {
  oidc_idp scratch;
  if (!out)
    out = &scratch;
  memset(out, 0, sizeof *out);
  int status = config ? sr_host->config_only_keys(config, known_keys) : SR_OK;
  if (!config || sr_host->config_string(config, "issuer", NULL, &out->issuer) != SR_OK ||
      sr_host->config_string(config, "client_id", NULL, &out->client_id) != SR_OK ||
      sr_host->config_string(config, "scope", "openid email profile", &out->scope) != SR_OK ||
      (sr_host->config_child(config, "ca_file") &&
       sr_host->config_string(config, "ca_file", NULL, &out->ca_file) != SR_OK) ||
      (sr_host->config_child(config, "panel_client_id") &&
       sr_host->config_string(config, "panel_client_id", NULL, &out->panel_client_id) != SR_OK) ||
      (sr_host->config_child(config, "console_client_id") &&
       sr_host->config_string(config, "console_client_id", NULL, &out->console_client_id) != SR_OK))
    return SR_ERR_CONFIG;
  if (strncmp(out->issuer, "https://", 8) != 0) {
    sr_host->config_error(sr_host->config_child(config, "issuer"),
                          "the issuer must be an https:// URL");
    return SR_ERR_CONFIG;
  }
  return status;
}

static int oidc_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  return read_config(config, NULL);
}

static int oidc_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  oidc_idp *o = sr_host->alloc(sizeof *o);
  if (!o)
    return SR_ERR_NOMEM;
  int status = read_config(config, o);
  if (status != SR_OK) {
    sr_host->free(o);
    return status;
  }
  o->self = self;
  *instance = o;
  return SR_OK;
}

static void oidc_destroy(void *instance) { sr_host->free(instance); }

typedef struct answer {
  char *data;
  size_t len;
} answer;

static size_t collect(char *ptr, size_t size, size_t n, void *ctx) {
  answer *a = ctx;
  size_t len = size * n;
  if (a->len + len > 1024 * 1024)
    return 0;
  char *grown = sr_host->realloc(a->data, a->len + len + 1);
  if (!grown)
    return 0;
  memcpy(grown + a->len, ptr, len);
  a->data = grown;
  a->len += len;
  a->data[a->len] = '\0';
  return len;
}

/* GET (form NULL) or POST a form to `url`; the JSON answer, or NULL with
 * the error set through the host. *status gets the HTTP status. */
static json_t *call(oidc_idp *o, const char *url, const char *form, long *status) {
  CURL *h = curl_easy_init();
  answer a = {0};
  json_t *reply = NULL;
  *status = 0;
  if (!h)
    return NULL;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 15L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &a);
  if (o->ca_file)
    curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
  if (form)
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK) {
    sr_host->set_error(o->self, SR_ERR_CONNECT, "%s: %s", url, curl_easy_strerror(rc));
  } else {
    json_error_t error;
    reply = a.data ? json_loads(a.data, 0, &error) : NULL;
    if (!reply)
      sr_host->set_error(o->self, SR_ERR_PEER, "%s: the answer (HTTP %ld) is not JSON", url,
                         *status);
  }
  sr_host->free(a.data);
  return reply;
}

/* The provider's metadata, checked to be the configured issuer's. */
static json_t *discover(oidc_idp *o) {
  char url[1024];
  long status;
  snprintf(url, sizeof url, "%s%s/.well-known/openid-configuration", o->issuer,
           o->issuer[strlen(o->issuer) - 1] == '/' ? "" : "");
  json_t *meta = call(o, url, NULL, &status);
  const char *iss = json_string_value(json_object_get(meta, "issuer"));
  if (meta && (status != 200 || !iss || strcmp(iss, o->issuer) != 0)) {
    sr_host->set_error(o->self, SR_ERR_PEER, "%s: not the metadata of issuer %s", url, o->issuer);
    json_decref(meta);
    return NULL;
  }
  return meta;
}

/* "name=value&..." with each value escaped. */
static char *form(CURL *h, const char *const *pairs) {
  char *out = NULL;
  size_t len = 0;
  for (size_t i = 0; pairs[i]; i += 2) {
    char *v = curl_easy_escape(h, pairs[i + 1], 0);
    size_t need = len + strlen(pairs[i]) + (v ? strlen(v) : 0) + 3;
    char *grown = sr_host->realloc(out, need);
    if (!grown || !v) {
      curl_free(v);
      sr_host->free(grown ? grown : out);
      return NULL;
    }
    out = grown;
    len += (size_t)snprintf(out + len, need - len, "%s%s=%s", i ? "&" : "", pairs[i], v);
    curl_free(v);
  }
  return out;
}

/* The claim `groups` (an array of names; anything else: none) into
 * out->groups, at most 64 names of at most 256 bytes. */
static int copy_groups(json_t *claim, sr_identity *out) {
  size_t n = json_is_array(claim) ? json_array_size(claim) : 0, i;
  if (n > 64)
    n = 64;
  if (!n)
    return SR_OK;
  out->groups = sr_host->alloc(n * sizeof *out->groups);
  if (!out->groups)
    return SR_ERR_NOMEM;
  for (i = 0; i < n; i++) {
    json_t *g = json_array_get(claim, i);
    if (!json_is_string(g) || json_string_length(g) > 256)
      continue;
    if (!(out->groups[out->n_groups] = sr_host->strdup(json_string_value(g))))
      return SR_ERR_NOMEM;
    out->n_groups++;
  }
  return SR_OK;
}

/* Checks `id_token` from the provider of `meta` (its keys, issuer, the
 * audience `client_id`, expiry; and, if `nonce` is not NULL, that its nonce
 * claim is exactly that) and fills *out from its claims (the email only
 * unless email_verified is false): SR_OK,
 * SR_ERR_AUTH (refused, the reason set) or SR_ERR_CONNECT (no keys). */
static int identity_from_token(oidc_idp *o, json_t *meta, const char *id_token,
                               const char *client_id, const char *nonce, sr_identity *out) {
  const char *jwks_uri = json_string_value(json_object_get(meta, "jwks_uri"));
  long http;
  json_t *jwks = jwks_uri ? call(o, jwks_uri, NULL, &http) : NULL, *claims = NULL;
  char why[300];
  int status;
  if (!jwks) {
    if (!jwks_uri)
      sr_host->set_error(o->self, SR_ERR_PEER, "%s publishes no jwks_uri", o->issuer);
    status = SR_ERR_CONNECT;
  } else if (oidc_check_id_token(jwks, id_token, o->issuer, client_id, time(NULL), &claims, why,
                                 sizeof why) != 0) {
    sr_host->set_error(o->self, SR_ERR_AUTH, "ID token refused: %s", why);
    status = SR_ERR_AUTH;
  } else if (nonce && (!json_is_string(json_object_get(claims, "nonce")) ||
                       strcmp(json_string_value(json_object_get(claims, "nonce")), nonce) != 0)) {
    /* a code injected from another browser's login carries that login's nonce */
    sr_host->set_error(o->self, SR_ERR_AUTH, "ID token refused: its nonce is not this login's");
    status = SR_ERR_AUTH;
  } else {
    out->subject = sr_host->strdup(json_string_value(json_object_get(claims, "sub")));
    /* an address the provider says it has not verified names no one */
    if (!json_is_false(json_object_get(claims, "email_verified")))
      out->email = sr_host->strdup(json_string_value(json_object_get(claims, "email")));
    out->name = sr_host->strdup(json_string_value(json_object_get(claims, "name")));
    status = copy_groups(json_object_get(claims, "groups"), out);
  }
  json_decref(claims);
  json_decref(jwks);
  return status;
}

static int oidc_begin(void *instance, const char *hint, sr_registration *reg) {
  oidc_idp *o = instance;
  if (hint)
    return SR_ERR_DEFER; /* an email to prove: not ours */
  json_t *meta = discover(o), *reply = NULL;
  const char *endpoint = json_string_value(json_object_get(meta, "device_authorization_endpoint"));
  if (!meta)
    return SR_ERR_CONNECT;
  int status = SR_ERR_PEER;
  if (!endpoint) {
    sr_host->set_error(o->self, SR_ERR_PEER, "%s offers no device authorization", o->issuer);
    goto out;
  }
  CURL *h = curl_easy_init();
  char *body =
      h ? form(h, (const char *[]){"client_id", o->client_id, "scope", o->scope, NULL}) : NULL;
  curl_easy_cleanup(h);
  long http;
  reply = body ? call(o, endpoint, body, &http) : NULL;
  sr_host->free(body);
  const char *device_code = json_string_value(json_object_get(reply, "device_code"));
  const char *user_code = json_string_value(json_object_get(reply, "user_code"));
  const char *uri = json_string_value(json_object_get(reply, "verification_uri"));
  if (!reply || http != 200 || !device_code || !user_code || !uri ||
      strlen(device_code) >= sizeof(((device_flow *)0)->device_code)) {
    if (reply)
      sr_host->set_error(o->self, SR_ERR_PEER, "%s refused the device authorization: %s", o->issuer,
                         json_string_value(json_object_get(reply, "error_description"))
                             ? json_string_value(json_object_get(reply, "error_description"))
                             : "no device code");
    status = reply ? SR_ERR_PEER : SR_ERR_CONNECT;
    goto out;
  }
  device_flow *flow = sr_host->alloc(sizeof *flow);
  if (!flow) {
    status = SR_ERR_NOMEM;
    goto out;
  }
  snprintf(flow->device_code, sizeof flow->device_code, "%s", device_code);
  json_t *interval = json_object_get(reply, "interval"),
         *expires = json_object_get(reply, "expires_in");
  reg->verification_uri = sr_host->strdup(uri);
  reg->verification_uri_complete =
      sr_host->strdup(json_string_value(json_object_get(reply, "verification_uri_complete")));
  reg->user_code = sr_host->strdup(user_code);
  char message[600];
  snprintf(message, sizeof message, "Open %s and enter the code %s to sign in.", uri, user_code);
  reg->message = sr_host->strdup(message);
  reg->interval = json_is_integer(interval) ? (int32_t)json_integer_value(interval) : 5;
  reg->expires_in = json_is_integer(expires) ? (int32_t)json_integer_value(expires) : 600;
  reg->state = flow;
  status = SR_OK;
out:
  json_decref(reply);
  json_decref(meta);
  return status;
}

static int oidc_complete(void *instance, sr_registration *reg, const char *response,
                         sr_identity *out) {
  (void)response;
  oidc_idp *o = instance;
  device_flow *flow = reg->state;
  if (!flow)
    return SR_ERR_INVALID;
  json_t *meta = discover(o), *reply = NULL;
  if (!meta)
    return SR_ERR_CONNECT;
  const char *token_endpoint = json_string_value(json_object_get(meta, "token_endpoint"));
  int status = SR_ERR_PEER;
  CURL *h = curl_easy_init();
  char *body =
      h ? form(h,
               (const char *[]){"grant_type", "urn:ietf:params:oauth:grant-type:device_code",
                                "device_code", flow->device_code, "client_id", o->client_id, NULL})
        : NULL;
  curl_easy_cleanup(h);
  long http;
  reply = body && token_endpoint ? call(o, token_endpoint, body, &http) : NULL;
  sr_host->free(body);
  const char *error = json_string_value(json_object_get(reply, "error"));
  const char *id_token = json_string_value(json_object_get(reply, "id_token"));
  if (!reply) {
    status = SR_ERR_CONNECT;
  } else if (error && (!strcmp(error, "authorization_pending") || !strcmp(error, "slow_down"))) {
    status = SR_ERR_PENDING; /* the user has not approved yet */
  } else if (error || !id_token) {
    sr_host->set_error(o->self, SR_ERR_AUTH, "the sign-in did not complete: %s",
                       error ? error : "no ID token");
    status = SR_ERR_AUTH;
  } else {
    status = identity_from_token(o, meta, id_token, o->client_id, NULL, out);
  }
  if (status == SR_OK || status == SR_ERR_AUTH) { /* the flow is over */
    memset(flow, 0, sizeof *flow);
    sr_host->free(flow);
    reg->state = NULL;
  }
  json_decref(reply);
  json_decref(meta);
  return status;
}

/* A browser's login at a printer: redeems the authorization code at the
 * token endpoint (the provider checks the PKCE verifier against the
 * challenge, the redirect URI, that the code is this client's and unused)
 * and checks the ID token with the browser's nonce. */
static int oidc_authenticate(void *instance, const sr_credential *cred, sr_identity *out) {
  oidc_idp *o = instance;
  if (cred->type != SR_CRED_AUTHORIZATION_CODE || !SR_HAS_MEMBER(cred, nonce))
    return SR_ERR_DEFER;
  /* the client the browser authorized: the console's when it names it,
   * else the release page's */
  const char *client =
      cred->identifier
          ? (o->console_client_id && strcmp(cred->identifier, o->console_client_id) == 0
                 ? o->console_client_id
                 : NULL)
          : o->panel_client_id;
  if (!client)
    return SR_ERR_DEFER;
  if (!cred->secret || !cred->code_verifier || !cred->redirect_uri || !cred->nonce) {
    sr_host->set_error(o->self, SR_ERR_AUTH,
                       "a code login needs the code, its verifier, redirect URI and nonce");
    return SR_ERR_AUTH;
  }
  json_t *meta = discover(o), *reply = NULL;
  if (!meta)
    return SR_ERR_CONNECT;
  const char *token_endpoint = json_string_value(json_object_get(meta, "token_endpoint"));
  CURL *h = curl_easy_init();
  char *body =
      h ? form(h, (const char *[]){"grant_type", "authorization_code", "code", cred->secret,
                                   "redirect_uri", cred->redirect_uri, "client_id", client,
                                   "code_verifier", cred->code_verifier, NULL})
        : NULL;
  curl_easy_cleanup(h);
  long http;
  reply = body && token_endpoint ? call(o, token_endpoint, body, &http) : NULL;
  if (body) /* it holds the code and the verifier */
    memset(body, 0, strlen(body));
  sr_host->free(body);
  const char *error = json_string_value(json_object_get(reply, "error"));
  const char *id_token = json_string_value(json_object_get(reply, "id_token"));
  int status;
  if (!reply) {
    if (!token_endpoint)
      sr_host->set_error(o->self, SR_ERR_PEER, "%s publishes no token_endpoint", o->issuer);
    status = SR_ERR_CONNECT;
  } else if (error || !id_token) {
    const char *said = json_string_value(json_object_get(reply, "error_description"));
    sr_host->set_error(o->self, SR_ERR_AUTH, "%s refused the code: %s%s%s", o->issuer,
                       error ? error : "no ID token", said ? ": " : "", said ? said : "");
    status = SR_ERR_AUTH;
  } else {
    status = identity_from_token(o, meta, id_token, client, cred->nonce, out);
  }
  json_decref(reply);
  json_decref(meta);
  return status;
}

/* What the browser needs to ask the provider for a code. */
static int oidc_authorization_info(void *instance, sr_authorization *out) {
  oidc_idp *o = instance;
  if (!o->panel_client_id && !o->console_client_id)
    return SR_ERR_UNSUPPORTED;
  json_t *meta = discover(o);
  if (!meta)
    return SR_ERR_CONNECT;
  const char *endpoint = json_string_value(json_object_get(meta, "authorization_endpoint"));
  json_t *methods = json_object_get(meta, "code_challenge_methods_supported"), *m;
  bool s256 = !methods; /* a provider that does not say may still do it */
  size_t i;
  json_array_foreach(methods, i, m) s256 =
      s256 || (json_is_string(m) && !strcmp(json_string_value(m), "S256"));
  int status = SR_ERR_PEER;
  if (!endpoint || strncmp(endpoint, "https://", 8) != 0)
    sr_host->set_error(o->self, SR_ERR_PEER, "%s names no https authorization_endpoint", o->issuer);
  else if (!s256)
    sr_host->set_error(o->self, SR_ERR_PEER, "%s does not offer PKCE with S256", o->issuer);
  else if (!(out->authorization_endpoint = sr_host->strdup(endpoint)) ||
           /* the release page's client; the console names its own */
           !(out->client_id =
                 sr_host->strdup(o->panel_client_id ? o->panel_client_id : o->console_client_id)) ||
           !(out->scope = sr_host->strdup(o->scope)))
    status = SR_ERR_NOMEM;
  else
    status = SR_OK;
  json_decref(meta);
  return status;
}

static void oidc_cancel(void *instance, sr_registration *reg) {
  (void)instance;
  sr_host->free(reg->state);
  reg->state = NULL;
}

/* ABI 1.5: the registration as text, "v1 DEVICE_CODE", kept sealed by the
 * cloud between steps (the device code is a bearer secret until used). */
static int oidc_save(void *instance, sr_registration *reg, char **out) {
  (void)instance;
  device_flow *flow = reg->state;
  if (!flow)
    return SR_ERR_INVALID;
  size_t n = strlen(flow->device_code) + 4;
  if (!(*out = sr_host->alloc(n)))
    return SR_ERR_NOMEM;
  snprintf(*out, n, "v1 %s", flow->device_code);
  memset(flow, 0, sizeof *flow);
  sr_host->free(flow);
  reg->state = NULL;
  return SR_OK;
}

static int oidc_restore(void *instance, const char *saved, sr_registration *reg) {
  (void)instance;
  reg->state = NULL;
  if (strncmp(saved, "v1 ", 3) != 0 || !saved[3] ||
      strlen(saved + 3) >= sizeof(((device_flow *)0)->device_code))
    return SR_ERR_INVALID;
  device_flow *flow = sr_host->alloc(sizeof *flow);
  if (!flow)
    return SR_ERR_NOMEM;
  snprintf(flow->device_code, sizeof flow->device_code, "%s", saved + 3);
  reg->state = flow;
  return SR_OK;
}

static const sr_idp_ops oidc_ops = {
    .base = {.check_config = oidc_check_config, .create = oidc_create, .destroy = oidc_destroy},
    .registration_begin = oidc_begin,
    .registration_complete = oidc_complete,
    .registration_cancel = oidc_cancel,
    .registration_save = oidc_save,
    .registration_restore = oidc_restore,
    .authenticate = oidc_authenticate,
    .authorization_info = oidc_authorization_info,
};

/* Instances hold only their configuration; each call has its own libcurl
 * handle and each registration its own state. */
SR_PLUGIN_DECLARE_FLAGS(
    SR_PLUGIN_IDP, "oidc", "1.1.0",
    "OpenID Connect: device authorization grant, and browser logins by authorization code with "
    "PKCE; ID tokens checked with liboauth2",
    oidc_ops, 0, SR_PLUGIN_THREAD_SAFE)
