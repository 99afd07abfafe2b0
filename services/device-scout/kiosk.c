#include "kiosk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "qr.h"
#include "sr/abi.h"

void kiosk_device_info(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp) {
  (void)body;
  /* the path matched the route, so its id is plain characters */
  char path[300];
  snprintf(path, sizeof path, "/api/v1/site/panel/devices/%s",
           req->path + strlen("/api/v1/panel/devices/"));
  panel_forward_request(p, req, "GET", path, NULL, NULL, resp);
}

typedef struct code_call {
  panel *p;
  sr_http_exchange *x;
} code_call;

/* The code answer for the cloud's {device, name}: minted now, valid for
 * SR_RELEASE_CODE_TTL seconds. False (and a 500 in resp) if it cannot be
 * made. */
static bool code_answer(panel *p, const json_t *kiosk, sr_http_response *resp) {
  const char *device = json_string_value(json_object_get(kiosk, "device"));
  const char *name = json_string_value(json_object_get(kiosk, "name"));
  char code[SR_RELEASE_CODE_SIZE], url[768], title[256], when[32];
  int64_t expires_at = (int64_t)time(NULL) + SR_RELEASE_CODE_TTL;
  if (!p->public_url || !*p->public_url) { /* a wildcard listener names no host (public_url.h) */
    sr_http_reply_error(resp, 503, "no_public_url",
                        "this site service does not know its address as phones reach it: set "
                        "panel.public_url in its configuration");
    return false;
  }
  if (!device || !name || sr_release_code_mint(p->code_key, device, expires_at, code) != SR_OK ||
      snprintf(url, sizeof url, "%s/r/%s/%s", p->public_url, device, code) >= (int)sizeof url) {
    sr_log(SR_LOG_ERROR, "panel", "cannot make the rotating code of device %.64s",
           device ? device : "?");
    sr_http_reply_error(resp, 500, "internal", "cannot make the code");
    return false;
  }
  snprintf(title, sizeof title, "%.200s: scan to release", name);
  char *svg = sr_qr_svg(url, title);
  if (!svg) {
    sr_http_reply_error(resp, 500, "no_memory", "cannot draw the code");
    return false;
  }
  time_t t = (time_t)expires_at;
  struct tm tm;
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
  sr_http_reply_json(resp, 200,
                     json_pack("{s:s, s:s, s:s, s:s, s:i, s:s}", "device", device, "code", code,
                               "url", url, "expires_at", when, "expires_in", SR_RELEASE_CODE_TTL,
                               "svg", svg));
  free(svg);
  return true;
}

static void kiosk_known(void *ctx, int status, json_t *reply, const char *err) {
  code_call *k = ctx;
  sr_http_response resp = {0};
  if (status == 200) {
    code_answer(k->p, reply, &resp);
    json_decref(reply);
  } else { /* 401 reader_unknown, 409 rotating_disabled, the cloud unreachable */
    panel_answer_from_cloud(&resp, status, reply, err);
  }
  sr_http_finish(k->x, &resp);
  free(k);
}

void kiosk_code(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp) {
  (void)body;
  code_call *k = calloc(1, sizeof *k);
  if (!k || !(k->x = sr_http_defer(req))) {
    free(k);
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return;
  }
  k->p = p;
  if (sr_cloud_call_async(p->cloud, "GET", "/api/v1/site/panel/kiosk", NULL, req->bearer,
                          kiosk_known, k) != SR_OK) {
    sr_http_response now = {0};
    sr_http_reply_error(&now, 500, "no_memory", "cannot start the call to the cloud");
    sr_http_finish(k->x, &now);
    free(k);
  }
}

bool kiosk_presence(panel *p, const char *device, const char *code, const char *panel_credential,
                    json_t *out, sr_http_response *resp) {
  if (code && panel_credential) {
    sr_http_reply_error(resp, 400, "invalid",
                        "send \"code\" (scanned at the printer) or \"panel\" (the panel app), "
                        "not both");
    return false;
  }
  if (code) {
    /* one answer for expired, forged and another printer's: no oracle */
    if (sr_release_code_verify(p->code_key, device, code, (int64_t)time(NULL)) != SR_OK) {
      sr_log(SR_LOG_INFO, "panel", "device %.64s: a login with an expired or wrong code", device);
      sr_http_reply_error(resp, 401, "code_expired",
                          "this code has expired or is not this printer's: scan the code on "
                          "the printer's screen again");
      return false;
    }
    json_object_set_new(out, "presence", json_string("rotating"));
  } else if (panel_credential) {
    json_object_set_new(out, "presence", json_string("panel"));
    json_object_set_new(out, "panel_credential", json_string(panel_credential));
  }
  return true;
}

int kiosk_setup(panel *p, char *err, size_t err_size) {
  if (sr_release_code_key(p->key, p->code_key) != SR_OK) {
    snprintf(err, err_size, "cannot derive the release code key from the site key");
    return SR_ERR_NOMEM;
  }
  return SR_OK;
}
