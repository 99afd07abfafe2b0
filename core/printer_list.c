#include "printer_list.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr/abi.h"

#define LABEL "securerelease printer-list v1"
#define MAX_LIST_BYTES (4u << 20) /* thousands of printers fit; more is an attack */

struct sr_printer_list {
  json_t *doc;      /* the verified list */
  json_t *envelope; /* what it came in, to keep on disk as received */
};

int sr_printer_list_key(const sr_site_key *site, uint8_t key[SR_PRINTER_LIST_KEY_LEN]) {
  return sr_site_key_purpose(site, LABEL, key, SR_PRINTER_LIST_KEY_LEN);
}

/* HMAC-SHA256 over the label (with its NUL: a separator) and the bytes.
 * False if OpenSSL failed (then nothing is signed or accepted). */
static bool list_mac(const uint8_t key[SR_PRINTER_LIST_KEY_LEN], const uint8_t *bytes, size_t len,
                     uint8_t mac[32]) {
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *m = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                         OSSL_PARAM_construct_end()};
  size_t out_len = 0;
  bool ok = m && EVP_MAC_init(m, key, SR_PRINTER_LIST_KEY_LEN, params) == 1 &&
            EVP_MAC_update(m, (const uint8_t *)LABEL, sizeof LABEL) == 1 &&
            EVP_MAC_update(m, bytes, len) == 1 && EVP_MAC_final(m, mac, &out_len, 32) == 1 &&
            out_len == 32;
  EVP_MAC_CTX_free(m);
  EVP_MAC_free(hmac);
  return ok;
}

static char *base64_encode(const uint8_t *data, size_t len) {
  char *out = malloc(4 * ((len + 2) / 3) + 1);
  if (out)
    EVP_EncodeBlock((unsigned char *)out, data, (int)len);
  return out;
}

/* Decodes strict base64 (padded, no spaces) into a new buffer. */
static uint8_t *base64_decode(const char *text, size_t *len) {
  size_t n = strlen(text);
  if (n == 0 || n % 4 != 0 || n > 4 * (MAX_LIST_BYTES / 3 + 1))
    return NULL;
  uint8_t *out = malloc(n / 4 * 3 + 1);
  int got = out ? EVP_DecodeBlock(out, (const unsigned char *)text, (int)n) : -1;
  if (got < 0) {
    free(out);
    return NULL;
  }
  /* EVP_DecodeBlock counts the padding as zero bytes */
  size_t pad = (text[n - 1] == '=') + (text[n - 2] == '=');
  *len = (size_t)got - pad;
  out[*len] = '\0';
  return out;
}

static bool text_ok(const json_t *v) { return json_is_string(v) && json_string_length(v) > 0; }

/* A printer as the list holds it: device id, name, URIs, SNMP address. */
static bool printer_ok(const json_t *p) {
  const json_t *uris = json_object_get(p, "uris"), *snmp = json_object_get(p, "snmp");
  if (!json_is_object(p) || !text_ok(json_object_get(p, "device")) ||
      !json_is_string(json_object_get(p, "name")) || !json_is_array(uris) ||
      json_array_size(uris) == 0 || (snmp && !json_is_null(snmp) && !text_ok(snmp)))
    return false;
  for (size_t i = 0; i < json_array_size(uris); i++)
    if (!text_ok(json_array_get(uris, i)))
      return false;
  return true;
}

json_t *sr_printer_list_seal(const uint8_t key[SR_PRINTER_LIST_KEY_LEN], const char *tenant,
                             const char *site, int64_t version, int64_t issued_at,
                             const json_t *printers, char *why, size_t why_size) {
  json_t *copy = json_array();
  for (size_t i = 0; copy && i < json_array_size(printers); i++) {
    const json_t *p = json_array_get(printers, i);
    if (!printer_ok(p)) {
      snprintf(why, why_size, "printer %zu of the list has no device id, name or URIs", i);
      json_decref(copy);
      return NULL;
    }
    const json_t *snmp = json_object_get(p, "snmp");
    json_array_append_new(
        copy, json_pack("{s:O, s:O, s:O, s:O}", "device", json_object_get(p, "device"), "name",
                        json_object_get(p, "name"), "uris", json_object_get(p, "uris"), "snmp",
                        snmp ? (json_t *)snmp : json_null()));
  }
  json_t *list =
      json_pack("{s:i, s:s, s:s, s:I, s:I, s:o}", "v", 1, "tenant", tenant, "site", site, "version",
                (json_int_t)version, "issued_at", (json_int_t)issued_at, "printers", copy);
  /* canonical: the same list gives the same bytes (a re-sign is visible
   * only in its version) */
  char *bytes = list ? json_dumps(list, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) : NULL;
  json_decref(list);
  uint8_t mac[32];
  char *list_b64 = NULL, *mac_b64 = NULL;
  if (bytes && list_mac(key, (const uint8_t *)bytes, strlen(bytes), mac)) {
    list_b64 = base64_encode((const uint8_t *)bytes, strlen(bytes));
    mac_b64 = base64_encode(mac, sizeof mac);
  }
  json_t *envelope =
      list_b64 && mac_b64 ? json_pack("{s:s, s:s}", "list", list_b64, "mac", mac_b64) : NULL;
  if (!envelope)
    snprintf(why, why_size, "out of memory while signing the printer list");
  free(bytes);
  free(list_b64);
  free(mac_b64);
  return envelope;
}

/* The list's own fields, once its MAC is known good. */
static int read_list(json_t *doc, const char *tenant, char *why, size_t why_size) {
  const json_t *printers = json_object_get(doc, "printers");
  json_t *v = json_object_get(doc, "v");
  if (!json_is_integer(v) || json_integer_value(v) != 1) {
    snprintf(why, why_size, "the printer list is of a version this scout does not know");
    return SR_ERR_CORRUPT;
  }
  if (!text_ok(json_object_get(doc, "tenant")) || !text_ok(json_object_get(doc, "site")) ||
      !json_is_integer(json_object_get(doc, "version")) ||
      json_integer_value(json_object_get(doc, "version")) <= 0 ||
      !json_is_integer(json_object_get(doc, "issued_at")) || !json_is_array(printers)) {
    snprintf(why, why_size, "the printer list lacks its tenant, site, version or printers");
    return SR_ERR_CORRUPT;
  }
  if (strcmp(json_string_value(json_object_get(doc, "tenant")), tenant) != 0) {
    snprintf(why, why_size, "the printer list is tenant %.64s's, not %.64s's",
             json_string_value(json_object_get(doc, "tenant")), tenant);
    return SR_ERR_INVALID;
  }
  for (size_t i = 0; i < json_array_size(printers); i++)
    if (!printer_ok(json_array_get(printers, i))) {
      snprintf(why, why_size, "printer %zu of the printer list is malformed", i);
      return SR_ERR_CORRUPT;
    }
  return SR_OK;
}

int sr_printer_list_open(const uint8_t key[SR_PRINTER_LIST_KEY_LEN], const char *tenant,
                         const json_t *envelope, sr_printer_list **out, char *why,
                         size_t why_size) {
  *out = NULL;
  const char *list_b64 = json_string_value(json_object_get(envelope, "list"));
  const char *mac_b64 = json_string_value(json_object_get(envelope, "mac"));
  size_t len = 0, mac_len = 0;
  uint8_t *bytes = list_b64 ? base64_decode(list_b64, &len) : NULL;
  uint8_t *mac = mac_b64 ? base64_decode(mac_b64, &mac_len) : NULL;
  uint8_t expected[32];
  int status = SR_OK;
  if (!bytes || !mac || mac_len != sizeof expected) {
    snprintf(why, why_size, "the printer list envelope is not {\"list\",\"mac\"} in base64");
    status = SR_ERR_CORRUPT;
  } else {
    if (!list_mac(key, bytes, len, expected) ||
        CRYPTO_memcmp(expected, mac, sizeof expected) != 0) {
      snprintf(why, why_size,
               "the printer list's signature does not match: it was altered "
               "after the site signed it, or signed with another site secret");
      status = SR_ERR_AUTH;
    }
  }
  json_t *doc = NULL;
  if (status == SR_OK) {
    doc = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(doc)) {
      snprintf(why, why_size, "the signed printer list is not a JSON object");
      status = SR_ERR_CORRUPT;
    }
  }
  if (status == SR_OK)
    status = read_list(doc, tenant, why, why_size);
  sr_printer_list *list = status == SR_OK ? calloc(1, sizeof *list) : NULL;
  if (status == SR_OK && !list) {
    snprintf(why, why_size, "out of memory");
    status = SR_ERR_NOMEM;
  }
  if (list) {
    list->doc = doc;
    list->envelope = json_deep_copy(envelope);
    doc = NULL;
    *out = list;
  }
  json_decref(doc);
  free(bytes);
  free(mac);
  return status;
}

void sr_printer_list_free(sr_printer_list *list) {
  if (!list)
    return;
  json_decref(list->doc);
  json_decref(list->envelope);
  free(list);
}

const char *sr_printer_list_site(const sr_printer_list *list) {
  return json_string_value(json_object_get(list->doc, "site"));
}

int64_t sr_printer_list_version(const sr_printer_list *list) {
  return json_integer_value(json_object_get(list->doc, "version"));
}

const json_t *sr_printer_list_envelope(const sr_printer_list *list) { return list->envelope; }

bool sr_printer_list_allows(const sr_printer_list *list, const char *device, const char *uri,
                            const char *snmp) {
  const json_t *printers = json_object_get(list->doc, "printers");
  for (size_t i = 0; device && uri && i < json_array_size(printers); i++) {
    const json_t *p = json_array_get(printers, i);
    if (strcmp(json_string_value(json_object_get(p, "device")), device) != 0)
      continue;
    const char *signed_snmp = json_string_value(json_object_get(p, "snmp"));
    if (snmp && *snmp && (!signed_snmp || strcmp(signed_snmp, snmp) != 0))
      return false;
    const json_t *uris = json_object_get(p, "uris");
    for (size_t u = 0; u < json_array_size(uris); u++)
      if (strcmp(json_string_value(json_array_get(uris, u)), uri) == 0)
        return true;
    return false;
  }
  return false;
}
