/*
 * The panel API (docs/api/panel.yaml): what printer panels and card
 * readers call. Card numbers and PINs are normalised and hashed here with
 * the site secret before anything goes to the cloud; everything else is
 * forwarded to the cloud's site API over mutual TLS, which decides.
 */
#ifndef DEVICE_SCOUT_PANEL_H
#define DEVICE_SCOUT_PANEL_H

#include "cloud_client.h"
#include "http_server.h"
#include "idhash.h"
#include "instance.h"
#include "release_code.h"
#include "worker_pool.h"

typedef struct panel {
  sr_cloud_client *cloud;
  const sr_site_key *key;
  sr_card_rule card_rule;
  int pin_length;
  sr_instance *const *idps; /* identity providers asked in order for passwords */
  size_t n_idps;
  const char *tenant;
  sr_worker_pool *pool;                      /* where directory checks run, off the panel loop */
  uint8_t code_key[SR_RELEASE_CODE_KEY_LEN]; /* rotating release codes (kiosk.c) */
  const char *public_url; /* the release page's base URL (public_url.h), "" unknown */
} panel;

/* Checks a directory username and password with the identity providers
 * (the password stays here) on the worker pool, and answers `req` later:
 * the verdict ("directory_verdict" ok with the entry's email and name, or
 * refused) is added to the cloud request `out` (the caller keeps its
 * reference; this takes its own) and forwarded, or, if no provider could
 * decide, the panel gets the reason. Copies what it keeps of the strings.
 * Fills `resp` only when it cannot defer (out of memory). */
void panel_directory_login(panel *p, const sr_http_request *req, const char *device,
                           const char *username, const char *password, json_t *out,
                           sr_http_response *resp);

/* Answers with the cloud's answer (status, reply: taken), or when none
 * came (status 0) 502 cloud_unreachable with `err` logged. */
void panel_answer_from_cloud(sr_http_response *resp, int status, json_t *reply, const char *err);

/* Sends `body` (the caller keeps its reference) to the cloud's site API
 * and answers the deferred exchange `x` with the cloud's answer when it
 * comes. Takes `x`. */
void panel_forward(panel *p, sr_http_exchange *x, const char *method, const char *path,
                   json_t *body, const char *bearer);

/* Sends a request's body (the caller keeps its reference) on to the cloud
 * and answers `req` when the cloud does, so the panel API serves others
 * meanwhile. Fills `resp` only when it cannot defer. */
void panel_forward_request(panel *p, const sr_http_request *req, const char *method,
                           const char *path, json_t *body, const char *bearer,
                           sr_http_response *resp);

/* A card number normalised by the site's reader format and hashed with
 * the site secret, the only form a card takes to the cloud. False, with a
 * 400 in resp, if it is not in the format. */
bool panel_card_hash(panel *p, const char *card, char hash[SR_IDHASH_HEX_LEN + 1],
                     sr_http_response *resp);

/* The panel API's routes as JSON ([{method, path, caller, fields}]), for
 * `sr-device-scout --routes` and the test that holds them against
 * docs/api/panel.yaml. Caller decrefs. */
json_t *panel_routes_json(void);

/* The body of a panel request: NULL when there is none, else a JSON
 * object; a login (`login`: POST sessions) needs one whose members are all
 * known fields with text values. False, with the answer in resp, if the
 * body is not acceptable; else the caller owns *out. */
bool panel_body(const sr_http_request *req, bool login, json_t **out, sr_http_response *resp);

/* The cloud's request for a login body checked by panel_body: the card,
 * the PIN (bound to the email) or the passcode normalised and hashed here,
 * and the login's presence (kiosk_presence: a rotating code is checked
 * here first, and a wrong one answers 401 code_expired).
 * A directory login is checked off the loop and answered later through
 * `req` (NULL: answered 501 at once); it returns NULL too. NULL, with the
 * answer in resp, if the body does not name exactly one way to log in or a
 * value is not in its format. Caller decrefs. */
json_t *panel_session_request(panel *p, const sr_http_request *req, json_t *body,
                              sr_http_response *resp);

/* The HTTP handler (sr_http_handler) with a `panel` as ctx. */
void panel_handle(void *ctx, const sr_http_request *req, sr_http_response *resp);

#endif
