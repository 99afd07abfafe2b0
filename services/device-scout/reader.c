#include "reader.h"

#include <openssl/crypto.h>

void reader_enroll(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp) {
  if (!json_object_get(body, "token")) {
    sr_http_reply_error(resp, 400, "invalid", "send \"token\": the reader's enrollment token");
    return;
  }
  panel_forward_request(p, req, "POST", "/api/v1/site/readers/enroll", body, NULL, resp);
}

void reader_swipe(panel *p, const sr_http_request *req, json_t *body, sr_http_response *resp) {
  const char *card = json_string_value(json_object_get(body, "card"));
  char hash[SR_IDHASH_HEX_LEN + 1];
  if (!card) {
    sr_http_reply_error(resp, 400, "invalid", "send \"card\": the number the reader read");
    return;
  }
  if (!panel_card_hash(p, card, hash, resp))
    return;
  json_t *out = json_pack("{s:s}", "card_hash", hash);
  panel_forward_request(p, req, "POST", "/api/v1/site/readers/swipe", out, req->bearer, resp);
  json_decref(out);
  OPENSSL_cleanse(hash, sizeof hash);
}
