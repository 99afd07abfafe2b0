#include "panel.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
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

/* Turns the cloud's answer (or why none came) into the panel's. */
static void answer_from_cloud(sr_http_response *resp, int status, json_t *reply, const char *err) {
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
  answer_from_cloud(&resp, status, reply, err);
  sr_http_finish(ctx, &resp);
}

/* Sends the request on to the cloud; the answer follows when it comes, so
 * the panel API serves other panels meanwhile. */
static void forward(panel *p, const sr_http_request *req, const char *method, const char *path,
                    json_t *body, const char *bearer, sr_http_response *resp) {
  sr_http_exchange *x = sr_http_defer(req);
  if (!x) {
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  if (sr_cloud_call_async(p->cloud, method, path, body, bearer, forwarded, x) != SR_OK) {
    sr_http_response now = {0};
    sr_http_reply_error(&now, 500, "no_memory", "cannot start the call to the cloud");
    sr_http_finish(x, &now);
  }
}

json_t *panel_session_request(panel *p, json_t *body, sr_http_response *resp) {
#define TEXT(key) json_string_value(json_object_get(body, key))
  const char *device = TEXT("device"), *card = TEXT("card"), *email = TEXT("email");
  const char *pin = TEXT("pin"), *passcode = TEXT("passcode"), *username = TEXT("username");
  const char *password = TEXT("password"), *bind_card = TEXT("bind_card");
#undef TEXT
  char norm[SR_ID_MAX], mail[SR_ID_MAX], hash[SR_IDHASH_HEX_LEN + 1];
  int methods = !!card + !!(email || pin) + !!passcode + !!(username || password);
  if (!device || methods != 1 || (email && !pin) || (pin && !email) || (username && !password) ||
      (password && !username) || (card && bind_card)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "send \"device\" with one of: \"card\"; \"email\" and \"pin\"; "
                        "\"passcode\"; \"username\" and \"password\" (and \"bind_card\" to add "
                        "an unknown card)");
    return NULL;
  }
  json_t *out = json_pack("{s:s}", "device", device);
  if (bind_card)
    json_object_set_new(out, "bind_card", json_string(bind_card));
  bool ok = false;
  if (card) {
    if (sr_card_normalise(&p->card_rule, card, norm, sizeof norm) != SR_OK) {
      sr_http_reply_error(resp, 400, "invalid", "the card number is not in the reader format");
      goto out;
    }
    sr_idhash_hex(p->key, SR_ID_CARD, NULL, norm, hash);
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
  } else if (!panel_directory_login(p, device, username, password, out, resp)) {
    goto out; /* the directory cannot be asked: answered already */
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
  json_t *out = panel_session_request(p, body, resp);
  if (out)
    forward(p, req, "POST", "/api/v1/site/panel/sessions", out, NULL, resp);
  json_decref(out);
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
  if (login) {
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
      static const char *const fields[] = {"device",   "card",     "email",     "pin", "passcode",
                                           "username", "password", "bind_card", NULL};
      bool field_known = false;
      for (size_t i = 0; fields[i] && !field_known; i++)
        field_known = strcmp(key, fields[i]) == 0;
      if (!field_known) {
        sr_http_reply_error(resp, 400, "unknown_field", "unknown field '%.64s'", key);
        json_decref(body);
        return false;
      }
      if (!json_is_string(v)) { /* a card number sent as a JSON number, say */
        sr_http_reply_error(resp, 400, "invalid", "'%s' must be a string", key);
        json_decref(body);
        return false;
      }
    }
    if (!body) {
      sr_http_reply_error(resp, 400, "invalid", "send a JSON body");
      return false;
    }
  }
  *out = body;
  return true;
}

void panel_handle(void *ctx, const sr_http_request *req, sr_http_response *resp) {
  panel *p = ctx;
  const char *rest = strncmp(req->path, PANEL_PREFIX, strlen(PANEL_PREFIX)) == 0
                         ? req->path + strlen(PANEL_PREFIX)
                         : NULL;
  /* the rest is forwarded as a path: keep it to plain characters */
  if (!rest || strlen(rest) > 200 ||
      strspn(rest, "abcdefghijklmnopqrstuvwxyz0123456789-_/") != strlen(rest)) {
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
    return;
  }
  bool login = strcmp(rest, "sessions") == 0 && strcmp(req->method, "POST") == 0;
  json_t *body;
  if (!panel_body(req, login, &body, resp))
    return;
  if (login) {
    create_session(p, req, body, resp);
  } else {
    char path[300];
    snprintf(path, sizeof path, "/api/v1/site/panel/%s", rest);
    forward(p, req, req->method, path, body, req->bearer, resp);
  }
  json_decref(body);
}
