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

typedef struct panel {
  sr_cloud_client *cloud;
  const sr_site_key *key;
  sr_card_rule card_rule;
  int pin_length;
  sr_instance *const *idps; /* identity providers asked in order for passwords */
  size_t n_idps;
  const char *tenant;
} panel;

/* Checks a directory username and password with the identity providers
 * (the password stays here) and adds the verdict to the cloud request
 * `out`: "directory_verdict" ok (with the entry's email and name) or
 * refused. False, with the answer in resp, if no provider could decide. */
bool panel_directory_login(panel *p, const char *device, const char *username, const char *password,
                           json_t *out, sr_http_response *resp);

/* The body of a panel request: NULL when there is none, else a JSON
 * object; a login (`login`: POST sessions) needs one whose members are all
 * known fields with text values. False, with the answer in resp, if the
 * body is not acceptable; else the caller owns *out. */
bool panel_body(const sr_http_request *req, bool login, json_t **out, sr_http_response *resp);

/* The cloud's request for a login body checked by panel_body: the card,
 * the PIN (bound to the email) or the passcode normalised and hashed here,
 * or the directory's verdict on the password. NULL, with the answer in
 * resp, if the body does not name exactly one way to log in or a value is
 * not in its format. Caller decrefs. */
json_t *panel_session_request(panel *p, json_t *body, sr_http_response *resp);

/* The HTTP handler (sr_http_handler) with a `panel` as ctx. */
void panel_handle(void *ctx, const sr_http_request *req, sr_http_response *resp);

#endif
