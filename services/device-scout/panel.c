#include "panel.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "kiosk.h"
#include "log.h"
#include "reader.h"
#include "route.h"
#include "sr/abi.h"

#define PANEL_PREFIX "/api/v1/panel/"

/* Relays the cloud's answer (status and JSON) to the panel. */
static void relay(sr_http_response *resp, int status, json_t *reply) {
  json_t *retry = json_object_get(json_object_get(reply, "error"), "retry_after");
  if (json_is_integer(retry))
    resp->retry_after = (int)json_integer_value(retry);
  if (status == 204) {
    resp->status = 204;
    json_decref(reply);
  } else {
    sr_http_reply_json(resp, status, reply);
  }
}

void panel_answer_from_cloud(sr_http_response *resp, int status, json_t *reply, const char *err) {
  if (status == 0) {
    sr_log(SR_LOG_ERROR, "panel", "%s", err);
    json_decref(reply);
    sr_http_reply_error(resp, 502, "cloud_unreachable", "the cloud service cannot be reached");
    return;
  }
  /* the cloud refusing this site's certificate is not the user's fault */
  if ((status == 401 || status == 403) &&
      strstr(sr_cloud_error_message(reply, ""), "certificate")) {
    sr_log(SR_LOG_ERROR, "panel", "the cloud refused this site's certificate: %s",
           sr_cloud_error_message(reply, "?"));
    json_decref(reply);
    sr_http_reply_error(resp, 502, "site_not_enrolled", "this site is not enrolled");
    return;
  }
  relay(resp, status, reply);
}

static void forwarded(void *ctx, int status, json_t *reply, const char *err) {
  sr_http_response resp = {0};
  panel_answer_from_cloud(&resp, status, reply, err);
  sr_http_finish(ctx, &resp);
}

void panel_forward(panel *p, sr_http_exchange *x, const char *method, const char *path,
                   json_t *body, const char *bearer) {
  if (sr_cloud_call_async(p->cloud, method, path, body, bearer, forwarded, x) != SR_OK) {
    sr_http_response now = {0};
    sr_http_reply_error(&now, 500, "no_memory", "cannot start the call to the cloud");
    sr_http_finish(x, &now);
  }
}

void panel_forward_request(panel *p, const sr_http_request *req, const char *method,
                           const char *path, json_t *body, const char *bearer,
                           sr_http_response *resp) {
  sr_http_exchange *x = sr_http_defer(req);
  if (!x) {
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  panel_forward(p, x, method, path, body, bearer);
}

bool panel_card_hash(panel *p, const char *card, char hash[SR_IDHASH_HEX_LEN + 1],
                     sr_http_response *resp) {
  char norm[SR_ID_MAX];
  if (sr_card_normalise(&p->card_rule, card, norm, sizeof norm) != SR_OK) {
    sr_http_reply_error(resp, 400, "invalid", "the card number is not in the reader format");
    return false;
  }
  sr_idhash_hex(p->key, SR_ID_CARD, NULL, norm, hash);
  OPENSSL_cleanse(norm, sizeof norm);
  return true;
}

/* Login: hash the card, the PIN (bound to the email) or the passcode, or
 * check the directory password here; only hashes and the directory's
 * verdict go to the cloud. An OpenID Connect authorization code goes on as
 * it is: the cloud redeems it with its verifier. */
json_t *panel_session_request(panel *p, const sr_http_request *req, json_t *body,
                              sr_http_response *resp) {
#define TEXT(key) json_string_value(json_object_get(body, key))
  const char *device = TEXT("device"), *card = TEXT("card"), *email = TEXT("email");
  const char *pin = TEXT("pin"), *passcode = TEXT("passcode"), *username = TEXT("username");
  const char *password = TEXT("password"), *bind_card = TEXT("bind_card");
  const char *code = TEXT("code"), *panel_credential = TEXT("panel");
  /* OpenID Connect: the browser's authorization code, redeemed by the cloud */
  const char *oidc[] = {TEXT("oidc_code"), TEXT("code_verifier"), TEXT("redirect_uri"),
                        TEXT("nonce")};
#undef TEXT
  char norm[SR_ID_MAX], mail[SR_ID_MAX], hash[SR_IDHASH_HEX_LEN + 1];
  int oidc_given = !!oidc[0] + !!oidc[1] + !!oidc[2] + !!oidc[3];
  int methods = !!card + !!(email || pin) + !!passcode + !!(username || password) + !!oidc_given;
  if (!device || methods != 1 || (email && !pin) || (pin && !email) || (username && !password) ||
      (password && !username) || (card && bind_card) || (oidc_given && oidc_given != 4)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "send \"device\" with one of: \"card\"; \"email\" and \"pin\"; "
                        "\"passcode\"; \"username\" and \"password\"; \"oidc_code\", "
                        "\"code_verifier\", \"redirect_uri\" and \"nonce\" (and \"bind_card\" to "
                        "add an unknown card)");
    return NULL;
  }
  bool ok = false;
  json_t *out = json_pack("{s:s}", "device", device);
  /* presence first: a login that is not at the printer goes no further */
  if (!kiosk_presence(p, device, code, panel_credential, out, resp))
    goto out;
  if (bind_card)
    json_object_set_new(out, "bind_card", json_string(bind_card));
  if (oidc_given) { /* nothing to hash: the code is worth something only with its verifier */
    json_object_set_new(out, "oidc_code", json_string(oidc[0]));
    json_object_set_new(out, "code_verifier", json_string(oidc[1]));
    json_object_set_new(out, "redirect_uri", json_string(oidc[2]));
    json_object_set_new(out, "nonce", json_string(oidc[3]));
  } else if (card) {
    if (!panel_card_hash(p, card, hash, resp))
      goto out;
    json_object_set_new(out, "card_hash", json_string(hash));
  } else if (pin) {
    if (sr_email_normalise(email, mail, sizeof mail) != SR_OK) {
      sr_http_reply_error(resp, 400, "invalid", "'email' is not an email address");
      goto out;
    }
    if (sr_pin_normalise(pin, p->pin_length, norm, sizeof norm) != SR_OK) {
      sr_http_reply_error(resp, 400, "invalid", "the PIN has %d digits", p->pin_length);
      goto out;
    }
    sr_idhash_hex(p->key, SR_ID_PIN, mail, norm, hash);
    json_object_set_new(out, "email", json_string(mail));
    json_object_set_new(out, "pin_hash", json_string(hash));
  } else if (passcode) {
    if (sr_passcode_normalise(passcode, norm, sizeof norm) != SR_OK) {
      sr_http_reply_error(resp, 400, "invalid", "a passcode has letters and digits only");
      goto out;
    }
    sr_idhash_hex(p->key, SR_ID_PASSCODE, NULL, norm, hash);
    json_object_set_new(out, "passcode_hash", json_string(hash));
  } else if (req) {
    /* the directory check blocks: it answers when done, off this loop */
    panel_directory_login(p, req, device, username, password, out, resp);
    goto out;
  } else {
    sr_http_reply_error(resp, 501, "unsupported", "directory logins need a request to answer");
    goto out;
  }
  ok = true;
out:
  memset(norm, 0, sizeof norm);
  if (!ok) {
    json_decref(out);
    out = NULL;
  }
  return out;
}

/* Login: hash the card, the PIN (bound to the email) or the passcode, or
 * check the directory password here; only hashes and the directory's
 * verdict go to the cloud. */
static void create_session(panel *p, const sr_http_request *req, json_t *body,
                           sr_http_response *resp) {
  json_t *out = panel_session_request(p, req, body, resp);
  if (out)
    panel_forward_request(p, req, "POST", "/api/v1/site/panel/sessions", out, NULL, resp);
  json_decref(out);
}

/* A login's body: its fields are all known and all text (a card number
 * sent as a JSON number would lose its leading zeros). */
static bool login_fields_ok(json_t *body, const char *const *fields, sr_http_response *resp) {
  const char *key;
  json_t *v;
  if (!body) {
    sr_http_reply_error(resp, 400, "invalid", "send a JSON body");
    return false;
  }
  json_object_foreach(body, key, v) {
    bool field_known = false;
    for (size_t i = 0; fields[i] && !field_known; i++)
      field_known = strcmp(key, fields[i]) == 0;
    if (!field_known) {
      sr_http_reply_error(resp, 400, "unknown_field", "unknown field '%.64s'", key);
      return false;
    }
    if (!json_is_string(v)) {
      sr_http_reply_error(resp, 400, "invalid", "'%s' must be a string", key);
      return false;
    }
  }
  return true;
}

/* A call that takes no body got none. */
static bool no_body(const json_t *body, sr_http_response *resp) {
  if (body)
    sr_http_reply_error(resp, 400, "invalid", "this call takes no body");
  return !body;
}

typedef enum panel_caller {
  PANEL_ANYONE,  /* logging in, a reader enrolling */
  PANEL_SESSION, /* a session's bearer token (the cloud checks it) */
  PANEL_READER,  /* a card reader's credential as bearer token (the cloud checks it) */
} panel_caller;

typedef void panel_local(panel *p, const sr_http_request *req, json_t *body,
                         sr_http_response *resp);

typedef struct panel_route {
  sr_route r;
  panel_caller caller;
  panel_local *local;        /* answers here (hashing first); NULL: forwarded to the cloud */
  const char *const *fields; /* accepted body fields; NULL: no body */
} panel_route;

#define FIELDS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define P "/api/v1/panel"
/* "?QUERY" into out, if `query` is plain URL characters and fits; else
 * false and a 400: nothing else is put in the cloud's URL. */
static bool query_forwardable(const char *query, char *out, size_t out_size,
                              sr_http_response *resp) {
  bool ok = strlen(query) < 300;
  for (const char *q = query; *q && ok; q++)
    ok = isalnum((unsigned char)*q) || strchr("-._~%=&+", *q);
  if (!ok || snprintf(out, out_size, "?%s", query) >= (int)out_size) {
    sr_http_reply_error(resp, 400, "invalid", "the query is 'limit' and 'cursor' as the list gave");
    return false;
  }
  return true;
}

/* Everything but the login is forwarded as it is to the cloud's
 * /api/v1/site/panel/...; the cloud checks the bodies of those. */
static const panel_route routes[] = {
    {{"POST", P "/sessions"},
     PANEL_ANYONE,
     create_session,
     FIELDS("device", "card", "email", "pin", "passcode", "username", "password", "bind_card",
            "code", "panel", "oidc_code", "code_verifier", "redirect_uri", "nonce")},
    /* where a browser starts an OpenID Connect login (the cloud's provider) */
    {{"GET", P "/oidc"}, PANEL_ANYONE, NULL, NULL},
    {{"DELETE", P "/sessions/current"}, PANEL_SESSION, NULL, NULL},
    {{"GET", P "/jobs"}, PANEL_SESSION, NULL, NULL},
    {{"GET", P "/jobs/{id}"}, PANEL_SESSION, NULL, NULL},
    {{"DELETE", P "/jobs/{id}"}, PANEL_SESSION, NULL, NULL},
    {{"POST", P "/release"}, PANEL_SESSION, NULL, FIELDS("jobs", "all", "settings", "pin")},
    {{"GET", P "/delegations"}, PANEL_SESSION, NULL, NULL},
    {{"POST", P "/delegations"}, PANEL_SESSION, NULL, FIELDS("delegate", "until")},
    {{"DELETE", P "/delegations/{id}"}, PANEL_SESSION, NULL, NULL},
    /* network card readers (reader.c) */
    {{"POST", P "/readers/enroll"}, PANEL_ANYONE, reader_enroll, FIELDS("token")},
    {{"POST", P "/reader/swipe"}, PANEL_READER, reader_swipe, FIELDS("card")},
    /* the release page and the panel app (kiosk.c) */
    {{"GET", P "/devices/{id}"}, PANEL_ANYONE, kiosk_device_info, NULL},
    {{"GET", P "/kiosk/code"}, PANEL_READER, kiosk_code, NULL},
};
#define N_ROUTES (sizeof routes / sizeof *routes)

/* A release's "pin" (for jobs printed with a job-password) becomes the
 * keyed hash of its SHA-256, as the print scout made it: only that goes to
 * the cloud. False (answered) if the body cannot be forwarded. */
static bool hash_release_pin(panel *p, json_t *body, sr_http_response *resp) {
  if (json_object_get(body, "pin_hash")) { /* only this service makes one */
    sr_http_reply_error(resp, 400, "unknown_field", "unknown field 'pin_hash' (send \"pin\")");
    return false;
  }
  json_t *pin = json_object_get(body, "pin");
  if (!pin)
    return true;
  uint8_t digest[SR_IDHASH_LEN];
  char hash[SR_IDHASH_HEX_LEN + 1];
  if (!json_is_string(pin) ||
      sr_job_pin_digest(json_string_value(pin), json_string_length(pin), 1, 255, digest) != SR_OK) {
    sr_http_reply_error(resp, 400, "invalid", "'pin' is the job's PIN: digits, as text");
    return false;
  }
  int status = sr_job_pin_hash_hex(p->key, digest, hash);
  OPENSSL_cleanse(digest, sizeof digest);
  json_object_del(body, "pin");
  if (status != SR_OK) {
    sr_http_reply_error(resp, 500, "no_memory", "cannot hash the PIN");
    return false;
  }
  json_object_set_new(body, "pin_hash", json_string(hash));
  return true;
}

bool panel_body(const sr_http_request *req, bool login, json_t **out, sr_http_response *resp) {
  json_t *body = NULL;
  *out = NULL;
  if (req->body_len) {
    json_error_t error;
    body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &error);
    if (!json_is_object(body)) {
      sr_http_reply_error(resp, 400, "bad_json", "the body is not a JSON object: %s",
                          body ? "wrong type" : error.text);
      json_decref(body);
      return false;
    }
  }
  if (login && !login_fields_ok(body, routes[0].fields, resp)) { /* routes[0]: the login */
    json_decref(body);
    return false;
  }
  *out = body;
  return true;
}

json_t *panel_routes_json(void) {
  static const char *const callers[] = {"anyone", "panel_session", "reader"};
  json_t *list = json_array();
  for (size_t i = 0; i < N_ROUTES; i++) {
    json_t *fields = json_array();
    for (size_t f = 0; routes[i].fields && routes[i].fields[f]; f++)
      json_array_append_new(fields, json_string(routes[i].fields[f]));
    json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "method", routes[i].r.method,
                                          "path", routes[i].r.pattern, "caller",
                                          callers[routes[i].caller], "fields", fields));
  }
  return list;
}

void panel_handle(void *ctx, const sr_http_request *req, sr_http_response *resp) {
  panel *p = ctx;
  char id[128];
  long i = sr_route_find(routes, N_ROUTES, sizeof *routes, req->method, req->path, id, sizeof id,
                         resp->allow, sizeof resp->allow);
  if (i < 0 && !resp->allow[0]) {
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
    return;
  }
  if (i < 0) {
    sr_http_reply_error(resp, 405, "method_not_allowed", "%s is not allowed on %.200s (only %s)",
                        req->method, req->path, resp->allow);
    return;
  }
  const panel_route *r = &routes[i];
  if (r->caller == PANEL_SESSION && !req->bearer) {
    sr_http_reply_error(resp, 401, "unauthenticated", "log in first (POST /sessions)");
    return;
  }
  if (r->caller == PANEL_READER && !req->bearer) {
    sr_http_reply_error(resp, 401, "reader_unknown",
                        "send the reader's credential as \"Authorization: Bearer\"");
    return;
  }
  json_t *body = NULL;
  if (!panel_body(req, false, &body, resp))
    return;
  if (r->local) { /* its fields are all known and all text, or it takes no body */
    if (r->fields ? login_fields_ok(body, r->fields, resp) : no_body(body, resp))
      r->local(p, req, body, resp);
  } else {
    if (strcmp(r->r.pattern, P "/release") == 0 && !hash_release_pin(p, body, resp)) {
      json_decref(body);
      return;
    }
    /* the path matched a route, so it is plain characters and an id; the
     * job list's query (limit, cursor) goes with it, the cloud checks it */
    char path[600];
    int n = snprintf(path, sizeof path, "/api/v1/site/panel/%s", req->path + strlen(PANEL_PREFIX));
    if (strcmp(r->r.pattern, P "/jobs") == 0 && *req->query &&
        !query_forwardable(req->query, path + n, sizeof path - (size_t)n, resp)) {
      json_decref(body);
      return;
    }
    panel_forward_request(p, req, req->method, path, body, req->bearer, resp);
  }
  json_decref(body);
}
