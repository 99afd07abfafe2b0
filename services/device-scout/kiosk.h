/*
 * The release page's and the panel app's calls (docs/api/panel.yaml;
 * docs/security.md, "Release codes"):
 *   - GET /api/v1/panel/devices/{id}: a printer's name, location and the
 *     tenant's release_codes, asked of the cloud, for the page to show;
 *   - GET /api/v1/panel/kiosk/code: the panel app, by its credential (it
 *     enrolls as a network card reader), gets its device's rotating code,
 *     minted here with the site key, as text, URL and QR code (SVG);
 *   - the presence of a login (kiosk_presence): a rotating code checked
 *     here, or the panel app's credential passed on for the cloud to check.
 */
#ifndef DEVICE_SCOUT_KIOSK_H
#define DEVICE_SCOUT_KIOSK_H

#include "panel.h"
#include "service_config.h"

/* GET /api/v1/panel/devices/{id}: forwarded (no body, no credential) to
 * the cloud's /api/v1/site/panel/devices/{id}. Same ownership as the
 * router's local handlers: `body` is NULL, `resp` filled or deferred. */
void kiosk_device_info(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp);

/* GET /api/v1/panel/kiosk/code with the panel app's credential as bearer:
 * the cloud names the credential's device (or refuses it), then the code
 * is minted here. Answered later. */
void kiosk_code(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp);

/* How a login for `device` shows it is made at the printer: `code` (a
 * rotating code, checked here) or `panel` (the panel app's credential,
 * checked by the cloud), at most one of them, each may be NULL. Adds
 * "presence" (and "panel_credential") to the cloud request `out` (the
 * caller keeps it). False, with the answer in resp (400 both, 401
 * code_expired), if the login must not go on. */
bool kiosk_presence(panel *p, const char *device, const char *code, const char *panel_credential,
                    json_t *out, sr_http_response *resp);

/* Derives the rotating codes' key from p->key. SR_OK, or an error with
 * `err` saying what went wrong. */
int kiosk_setup(panel *p, char *err, size_t err_size);

#endif
