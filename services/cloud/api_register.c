/*
 * Registering the user of a print scout (`sr-print-scout register`): the
 * identity providers with a registration flow (email: a mailed code) are
 * asked in order; the first that takes the hint starts it. When the user
 * completes it, the proven identity becomes the scout's user, with the PIN
 * the user chose (hashed at the workstation with the site secret).
 *
 * Registrations in progress live in this process for their few minutes: a
 * scout finishes its registration with the cloud instance that began it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "idp_chain.h"
#include "log.h"

#define MAX_REGISTRATIONS 256

typedef struct registration {
  char id[40];
  char scout[64], tenant[64];
  sr_instance *idp;
  sr_registration reg;
  time_t expires;
} registration;

static registration *registrations[MAX_REGISTRATIONS];

static void registration_free(registration *r) {
  const sr_idp_ops *ops = &sr_instance_ops_of(r->idp)->idp;
  if (r->reg.state && ops->registration_cancel)
    ops->registration_cancel(r->idp->state, &r->reg);
  free(r->reg.verification_uri);
  free(r->reg.verification_uri_complete);
  free(r->reg.user_code);
  free(r->reg.message);
  free(r);
}

void cloud_registrations_sweep(bool all) {
  time_t now = time(NULL);
  for (size_t i = 0; i < MAX_REGISTRATIONS; i++)
    if (registrations[i] && (all || registrations[i]->expires < now)) {
      registration_free(registrations[i]);
      registrations[i] = NULL;
    }
}

static void begin(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp) {
  json_t *body = cloud_api_body(req, resp, (const char *[]){"email", "method", NULL});
  if (!body)
    return;
  char email[SR_ID_MAX];
  const char *given = json_string_value(json_object_get(body, "email"));
  const char *method = json_string_value(json_object_get(body, "method"));
  /* no email: a provider with its own sign-in (OpenID Connect) */
  bool by_email = given || !method || strcmp(method, "oidc") != 0;
  size_t slot = MAX_REGISTRATIONS;
  for (size_t i = 0; i < MAX_REGISTRATIONS && slot == MAX_REGISTRATIONS; i++)
    if (!registrations[i])
      slot = i;
  if (by_email && (!given || sr_email_normalise(given, email, sizeof email) != 0)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "send 'email' (the address to register) or \"method\": \"oidc\"");
  } else if (slot == MAX_REGISTRATIONS) {
    sr_http_reply_error(resp, 503, "busy", "too many registrations in progress; try again soon");
  } else {
    int status = SR_ERR_DEFER;
    registration *r = calloc(1, sizeof *r);
    for (size_t i = 0; r && i < c->n_idps && status == SR_ERR_DEFER; i++) {
      const sr_idp_ops *ops = &sr_instance_ops_of(c->idps[i])->idp;
      if (!ops->registration_begin)
        continue;
      memset(&r->reg, 0, sizeof r->reg);
      r->reg.struct_size = sizeof r->reg;
      r->idp = c->idps[i];
      sr_plugin_clear_error(r->idp->plugin);
      status = ops->registration_begin(r->idp->state, by_email ? email : NULL, &r->reg);
    }
    if (status == SR_OK) {
      snprintf(r->id, sizeof r->id, "g-");
      cloud_random_hex(r->id + 2, 12);
      snprintf(r->scout, sizeof r->scout, "%s", cloud_row_text(scout, "id"));
      snprintf(r->tenant, sizeof r->tenant, "%s", cloud_row_text(scout, "tenant"));
      r->expires = time(NULL) + (r->reg.expires_in > 0 ? r->reg.expires_in : 600);
      registrations[slot] = r;
      json_t *o = json_pack("{s:s, s:s, s:i, s:i}", "registration", r->id, "message",
                            r->reg.message ? r->reg.message : "", "expires_in",
                            (int)r->reg.expires_in, "interval", (int)r->reg.interval);
      if (r->reg.verification_uri)
        json_object_set_new(o, "verification_uri", json_string(r->reg.verification_uri));
      if (r->reg.verification_uri_complete)
        json_object_set_new(o, "verification_uri_complete",
                            json_string(r->reg.verification_uri_complete));
      if (r->reg.user_code)
        json_object_set_new(o, "user_code", json_string(r->reg.user_code));
      sr_http_reply_json(resp, 202, o);
    } else {
      const char *why = r && r->idp ? sr_plugin_last_error(r->idp->plugin) : "";
      if (status == SR_ERR_DEFER)
        sr_http_reply_error(resp, 400, "unsupported", "no registration of this kind is set up");
      else
        sr_http_reply_error(resp, status == SR_ERR_CONNECT ? 502 : 500, "registration_failed", "%s",
                            *why ? why : "the registration could not start");
      if (r && r->idp)
        sr_log(SR_LOG_WARN, "register", "%s", why);
      free(r);
    }
  }
  json_decref(body);
}

static void complete(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp) {
  json_t *body =
      cloud_api_body(req, resp, (const char *[]){"registration", "code", "pin_hash", NULL});
  if (!body)
    return;
  const char *id = json_string_value(json_object_get(body, "registration"));
  const char *code = json_string_value(json_object_get(body, "code"));
  const char *pin = json_string_value(json_object_get(body, "pin_hash"));
  size_t slot = MAX_REGISTRATIONS;
  for (size_t i = 0; id && i < MAX_REGISTRATIONS; i++)
    if (registrations[i] && strcmp(registrations[i]->id, id) == 0 &&
        strcmp(registrations[i]->scout, cloud_row_text(scout, "id")) == 0)
      slot = i;
  registration *r = slot < MAX_REGISTRATIONS ? registrations[slot] : NULL;
  sr_identity who = {.struct_size = sizeof who};
  char email[SR_ID_MAX];
  if (!r || r->expires < time(NULL)) {
    sr_http_reply_error(resp, 404, "not_found", "no such registration (it may have expired)");
  } else if (pin && (strlen(pin) != 64 || strspn(pin, "0123456789abcdef") != 64)) {
    sr_http_reply_error(resp, 400, "invalid", "'pin_hash' is 64 lower-case hex digits");
  } else if (!sr_instance_ops_of(r->idp)->idp.registration_complete) {
    /* optional in the ABI: a provider may begin registrations it cannot finish */
    sr_http_reply_error(resp, 501, "unsupported",
                        "identity provider '%s' cannot complete registrations "
                        "(no registration_complete)",
                        r->idp->name);
  } else {
    const sr_idp_ops *ops = &sr_instance_ops_of(r->idp)->idp;
    sr_plugin_clear_error(r->idp->plugin);
    int status = ops->registration_complete(r->idp->state, &r->reg, code, &who);
    if (status == SR_ERR_PENDING) {
      sr_http_reply_json(resp, 202,
                         json_pack("{s:s, s:i}", "state", "pending", "interval",
                                   (int)(r->reg.interval > 0 ? r->reg.interval : 5)));
    } else if (status != SR_OK || !who.email ||
               sr_email_normalise(who.email, email, sizeof email) != 0) {
      const char *why = sr_plugin_last_error(r->idp->plugin);
      sr_http_reply_error(resp, 401, "refused", "%s", *why ? why : "the registration failed");
    } else {
      const char *tenant = r->tenant;
      char user_id[40] = "u-";
      cloud_random_hex(user_id + 2, 8);
      cloud_db_run(c->db,
                   "INSERT INTO users(tenant, id, email, name, pin_hash, subject, created_at) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tenant, email) DO UPDATE SET "
                   "pin_hash = COALESCE(excluded.pin_hash, pin_hash), subject = "
                   "COALESCE(excluded.subject, subject)",
                   "tttttti", tenant, user_id, email, who.name ? who.name : email, pin, who.subject,
                   (int64_t)time(NULL));
      json_t *user =
          cloud_db_row(c->db, "SELECT id, email, name FROM users WHERE tenant = ? AND email = ?",
                       "tt", tenant, email);
      cloud_db_run(c->db, "UPDATE scouts SET user_id = ? WHERE tenant = ? AND id = ?", "ttt",
                   cloud_row_text(user, "id"), tenant, r->scout);
      sr_log(SR_LOG_INFO, "register", "tenant %s: scout %s registered to user %s", tenant, r->scout,
             cloud_row_text(user, "id"));
      sr_http_reply_json(resp, 200, json_pack("{s:s, s:O}", "state", "registered", "user", user));
      json_decref(user);
      registration_free(r);
      registrations[slot] = NULL;
    }
  }
  sr_identity_clear(&who);
  json_decref(body);
}

void cloud_api_register(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp,
                        const char *rest) {
  if (strcmp(req->method, "POST") != 0)
    sr_http_reply_error(resp, 405, "method_not_allowed", "use POST");
  else if (*rest == '\0')
    begin(c, scout, req, resp);
  else if (strcmp(rest, "/complete") == 0)
    complete(c, scout, req, resp);
  else
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
}
