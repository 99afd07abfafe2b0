/*
 * Secrets at rest: what the cloud must keep but must not leave readable in
 * its database (each tenant CA's private key) is sealed with AES-256-GCM
 * under a master key that lives outside the database, in a file of its own
 * (mode 0600) named by `master_key_file`. A copy of the database alone, or
 * its backups, then gives nobody a tenant CA. A KMS would replace the file
 * here: cloud_secrets_load would fetch or unwrap the key instead.
 *
 * Sealed text: "sealed:v1:" + base64(nonce | tag | ciphertext); the AAD is
 * the purpose (e.g. "tenant-ca-key:demo"), so a sealed value moved to
 * another row or column does not open.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aead.h"
#include "cloud.h"
#include "db.h"
#include "log.h"
#include "sr/abi.h"

#define PREFIX "sealed:v1:"

static int hex_value(int ch) {
  if (ch >= '0' && ch <= '9')
    return ch - '0';
  if (ch >= 'a' && ch <= 'f')
    return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F')
    return ch - 'A' + 10;
  return -1;
}

int cloud_secrets_load(cloud *c, const char *path, char *err, size_t err_size) {
  struct stat st;
  FILE *f = fopen(path, "r");
  if (!f || fstat(fileno(f), &st) != 0) {
    snprintf(err, err_size,
             "master_key_file %s: cannot read it (make one with: openssl rand -hex 32 > FILE; "
             "chmod 600 FILE)",
             path);
    if (f)
      fclose(f);
    return SR_ERR_CONFIG;
  }
  if (st.st_mode & 077) {
    fclose(f);
    snprintf(err, err_size,
             "master_key_file %s: readable by its group or others (mode %03o); chmod 600 it", path,
             (unsigned)(st.st_mode & 0777));
    return SR_ERR_CONFIG;
  }
  char text[80] = "";
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  text[strcspn(text, "\r\n")] = '\0';
  uint8_t key[SR_AEAD_KEY_LEN];
  bool ok = strlen(text) == 2 * SR_AEAD_KEY_LEN;
  for (size_t i = 0; ok && i < SR_AEAD_KEY_LEN; i++) {
    int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    key[i] = (uint8_t)(hi << 4 | lo);
  }
  OPENSSL_cleanse(text, sizeof text);
  if (!ok) {
    OPENSSL_cleanse(key, sizeof key);
    snprintf(err, err_size, "master_key_file %s: expected 64 hexadecimal digits (32 bytes)", path);
    return SR_ERR_CONFIG;
  }
  c->master = sr_aead_new(key);
  /* the key of the regions' title hashes and user pseudonyms (regions.c):
   * derived, so it never opens a sealed secret */
  static const char purpose[] = "securerelease report privacy v1";
  unsigned int mac_len = 0;
  c->has_privacy_key = HMAC(EVP_sha256(), key, (int)sizeof key, (const unsigned char *)purpose,
                            sizeof purpose - 1, c->privacy_key, &mac_len) != NULL &&
                       mac_len == sizeof c->privacy_key;
  OPENSSL_cleanse(key, sizeof key);
  if (!c->master) {
    snprintf(err, err_size, "master_key_file %s: could not set up AES-256-GCM", path);
    return SR_ERR_NOMEM;
  }
  return SR_OK;
}

bool cloud_secret_is_sealed(const char *text) {
  return text && strncmp(text, PREFIX, strlen(PREFIX)) == 0;
}

char *cloud_secret_seal(cloud *c, const char *purpose, const char *plain) {
  if (!c->master || !plain)
    return NULL;
  size_t len = strlen(plain), raw_len = SR_AEAD_NONCE_LEN + SR_AEAD_TAG_LEN + len;
  uint8_t *raw = malloc(raw_len);
  char *out = malloc(strlen(PREFIX) + 4 * ((raw_len + 2) / 3) + 1);
  if (!raw || !out || RAND_bytes(raw, SR_AEAD_NONCE_LEN) != 1 ||
      sr_aead_seal(c->master, raw, (const uint8_t *)purpose, strlen(purpose),
                   (const uint8_t *)plain, len, raw + SR_AEAD_NONCE_LEN + SR_AEAD_TAG_LEN,
                   raw + SR_AEAD_NONCE_LEN) != SR_OK) {
    free(raw);
    free(out);
    return NULL;
  }
  strcpy(out, PREFIX);
  EVP_EncodeBlock((unsigned char *)out + strlen(PREFIX), raw, (int)raw_len);
  free(raw);
  return out;
}

char *cloud_secret_open(cloud *c, const char *purpose, const char *sealed) {
  if (!c->master || !cloud_secret_is_sealed(sealed))
    return NULL;
  const char *b64 = sealed + strlen(PREFIX);
  size_t b64_len = strlen(b64);
  if (b64_len % 4 != 0 || b64_len < 4)
    return NULL;
  uint8_t *raw = malloc(b64_len / 4 * 3);
  int n = raw ? EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)b64_len) : -1;
  /* EVP_DecodeBlock counts the '=' padding as zero bytes */
  if (n > 0)
    n -= (b64[b64_len - 1] == '=') + (b64[b64_len - 2] == '=');
  char *plain = NULL;
  if (n >= SR_AEAD_NONCE_LEN + SR_AEAD_TAG_LEN) {
    size_t len = (size_t)n - SR_AEAD_NONCE_LEN - SR_AEAD_TAG_LEN;
    plain = malloc(len + 1);
    if (plain && sr_aead_open(c->master, raw, (const uint8_t *)purpose, strlen(purpose),
                              raw + SR_AEAD_NONCE_LEN + SR_AEAD_TAG_LEN, len, (uint8_t *)plain,
                              raw + SR_AEAD_NONCE_LEN) == SR_OK) {
      plain[len] = '\0';
    } else {
      if (plain)
        OPENSSL_cleanse(plain, len);
      free(plain);
      plain = NULL;
    }
  }
  free(raw);
  return plain;
}

void cloud_secret_free(char *plain) {
  if (plain)
    OPENSSL_cleanse(plain, strlen(plain));
  free(plain);
}

void cloud_tenant_key_purpose(const char *tenant, char out[96]) {
  snprintf(out, 96, "tenant-ca-key:%.64s", tenant);
}

int cloud_secrets_check(cloud *c, char *err, size_t err_size) {
  json_t *rows =
      cloud_db_rows(c->db, "SELECT id, ca_key FROM tenants WHERE ca_key IS NOT NULL", "");
  if (!rows) {
    snprintf(err, err_size, "database: cannot read tenants");
    return SR_ERR_IO;
  }
  size_t i, sealed = 0;
  json_t *row;
  int status = SR_OK;
  json_array_foreach(rows, i, row) {
    const char *id = cloud_row_text(row, "id"), *key = cloud_row_text(row, "ca_key");
    char purpose[96];
    cloud_tenant_key_purpose(id, purpose);
    if (cloud_secret_is_sealed(key)) {
      /* a wrong master key shows now, not at the next enrollment */
      char *plain = cloud_secret_open(c, purpose, key);
      if (!plain) {
        snprintf(err, err_size,
                 "tenant %s's CA key does not open with this master key: is master_key_file the "
                 "key this database was sealed with?",
                 id);
        status = SR_ERR_CONFIG;
        break;
      }
      cloud_secret_free(plain);
      continue;
    }
    if (!*key)
      continue;
    char *s = cloud_secret_seal(c, purpose, key);
    if (!s || cloud_db_run(c->db, "UPDATE tenants SET ca_key = ? WHERE id = ?", "tt", s, id) != 1) {
      snprintf(err, err_size, "tenant %s: could not seal its CA key", id);
      status = SR_ERR_IO;
    } else {
      sealed++;
    }
    free(s);
  }
  json_decref(rows);
  if (sealed) {
    /* the clear keys' pages are free now (secure_delete zeroes them), but
     * WAL frames still hold them until a checkpoint: write it back now */
    char why[256];
    if (status == SR_OK && !cloud_db_flush_log(c->db, "tenants", why, sizeof why)) {
      snprintf(err, err_size, "database: cannot checkpoint after sealing: %s", why);
      status = SR_ERR_IO;
    }
    sr_log(SR_LOG_INFO, "secrets",
           "sealed %zu tenant CA keys kept in clear by an older version; treat backups made "
           "before now as holding them",
           sealed);
  }
  return status;
}
