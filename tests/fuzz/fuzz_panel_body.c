/*
 * JSON bodies of the panel API (services/device-scout/panel.c): printer
 * panels and card readers on the site's network send them, and a login
 * body carries a card number, an e-mail address and PIN, a passcode or a
 * directory password. The first byte sets the site's card rule (format,
 * leading zeros) and PIN length as a configuration could; the rest is the
 * body, checked by panel_body as any request's and as a login's, then
 * turned into the cloud's login request by panel_session_request
 * (normalising and hashing under the fixed site key; a rotating "code"
 * checked under an all-zero code key). No identity provider
 * is configured, so a directory login is answered "cannot be asked".
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "panel.h"

FUZZ_INIT((void)fuzz_site_key())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  panel p = {.key = fuzz_site_key(), .tenant = "t1"};
  p.card_rule.format = data[0] % 3;
  p.card_rule.strip_leading_zeros = data[0] & 4;
  p.pin_length = 4 + (data[0] >> 3) % 5;
  char *text = fuzz_text(data + 1, size - 1);
  sr_http_request req = {.method = "POST",
                         .path = "/api/v1/panel/sessions",
                         .query = "",
                         .remote = "fuzz",
                         .body = text,
                         .body_len = size - 1};
  for (int login = 0; login < 2; login++) {
    sr_http_response resp = {0};
    json_t *body;
    if (panel_body(&req, login, &body, &resp) && login) {
      json_t *out = panel_session_request(&p, NULL, body, &resp);
      if (getenv("FUZZ_DEBUG")) /* what a seed reaches */
        fprintf(stderr, "%s %d %s\n", out ? "request" : "refused", resp.status,
                resp.body ? resp.body : "");
      json_decref(out);
    }
    json_decref(body);
    free(resp.body);
  }
  free(text);
  return 0;
}
