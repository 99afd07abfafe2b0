/*
 * The `email` identity provider: proves a user owns an email address by
 * mailing a one-time code (SMTP with libcurl, TLS required). Used by the
 * print scout's `register --email`: the user types the mailed code at the
 * workstation and then chooses a PIN there.
 *
 * Configuration:
 *   smtp_url: smtp://mail.example.com:587   # STARTTLS is required; or smtps://
 *   ca_file: /etc/securerelease/smtp-ca.pem  # optional: the relay's CA
 *   from: print@example.com
 *   username: print@example.com               # optional SMTP login
 *   password: ${SR_SMTP_PASSWORD}
 *   code_ttl: 600                             # seconds a code is valid
 *   attempts: 5                               # wrong codes before it is void
 */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sr/idp.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "smtp_mail.h"

typedef struct email_idp {
  sr_plugin *self;
  const char *smtp_url, *ca_file, *from, *username, *password;
  int64_t code_ttl, attempts;
} email_idp;

/* A registration in progress: the code waits here, never in a log. */
typedef struct pending {
  char email[256];
  char code[8];
  time_t expires;
  int64_t attempts_left;
} pending;

static const char *const known_keys[] = {"smtp_url", "ca_file",  "from",     "username",
                                         "password", "code_ttl", "attempts", NULL};

static int optional_string(const sr_config_node *config, const char *key, const char **out) {
  *out = NULL;
  return sr_host->config_child(config, key) ? sr_host->config_string(config, key, NULL, out)
                                            : SR_OK;
}

static int read_config(const sr_config_node *config, email_idp *out) {
  email_idp scratch;
  if (!out)
    out = &scratch;
  memset(out, 0, sizeof *out);
  int status = config ? sr_host->config_only_keys(config, known_keys) : SR_OK;
  if (!config || sr_host->config_string(config, "smtp_url", NULL, &out->smtp_url) != SR_OK ||
      sr_host->config_string(config, "from", NULL, &out->from) != SR_OK ||
      optional_string(config, "ca_file", &out->ca_file) != SR_OK ||
      optional_string(config, "username", &out->username) != SR_OK ||
      optional_string(config, "password", &out->password) != SR_OK ||
      sr_host->config_int(config, "code_ttl", 600, 60, 86400, &out->code_ttl) != SR_OK ||
      sr_host->config_int(config, "attempts", 5, 1, 20, &out->attempts) != SR_OK)
    return SR_ERR_CONFIG;
  if (strncmp(out->smtp_url, "smtp://", 7) != 0 && strncmp(out->smtp_url, "smtps://", 8) != 0) {
    sr_host->config_error(sr_host->config_child(config, "smtp_url"),
                          "expected smtp://HOST:PORT (STARTTLS) or smtps://HOST:PORT");
    return SR_ERR_CONFIG;
  }
  return status;
}

static int email_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  return read_config(config, NULL);
}

static int email_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  email_idp *e = sr_host->alloc(sizeof *e);
  if (!e)
    return SR_ERR_NOMEM;
  int status = read_config(config, e);
  if (status != SR_OK) {
    sr_host->free(e);
    return status;
  }
  e->self = self;
  *instance = e;
  return SR_OK;
}

static void email_destroy(void *instance) { sr_host->free(instance); }

static int send_code(email_idp *e, const char *to, const char *code) {
  char text[512], err[512];
  snprintf(text, sizeof text,
           "Your code to register for secure printing is: %s\r\n\r\n"
           "It is valid for %lld minutes. If you did not ask for it, ignore this message.\r\n",
           code, (long long)(e->code_ttl / 60));
  sr_mail_relay relay = {.url = e->smtp_url,
                         .ca_file = e->ca_file,
                         .from = e->from,
                         .username = e->username,
                         .password = e->password};
  int status = sr_mail_send(&relay, to, "Your securerelease code", text, err, sizeof err);
  memset(text, 0, sizeof text);
  if (status != SR_OK)
    sr_host->set_error(e->self, status, "cannot send the code: %s", err);
  return status;
}

static int email_begin(void *instance, const char *hint, sr_registration *reg) {
  email_idp *e = instance;
  if (!hint || !sr_mail_address_ok(hint))
    return SR_ERR_DEFER; /* not an email registration */
  pending *p = sr_host->alloc(sizeof *p);
  if (!p)
    return SR_ERR_NOMEM;
  unsigned char raw[4];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    sr_host->free(p);
    return SR_ERR_NOMEM;
  }
  uint32_t n = ((uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3]);
  snprintf(p->code, sizeof p->code, "%06u", (unsigned)(n % 1000000u));
  snprintf(p->email, sizeof p->email, "%s", hint);
  p->expires = time(NULL) + (time_t)e->code_ttl;
  p->attempts_left = e->attempts;
  int status = send_code(e, p->email, p->code);
  if (status != SR_OK) {
    sr_host->free(p);
    return status;
  }
  char message[400];
  snprintf(message, sizeof message, "A code was sent to %s; type it here.", p->email);
  reg->message = sr_host->strdup(message);
  reg->expires_in = (int32_t)e->code_ttl;
  reg->interval = 0;
  reg->state = p;
  sr_host->log(e->self, SR_LOG_INFO, "registration code sent to an address at %s",
               strchr(p->email, '@') + 1);
  return SR_OK;
}

static int email_complete(void *instance, sr_registration *reg, const char *response,
                          sr_identity *out) {
  email_idp *e = instance;
  pending *p = reg->state;
  if (!p)
    return SR_ERR_INVALID;
  if (time(NULL) > p->expires || p->attempts_left <= 0) {
    sr_host->set_error(e->self, SR_ERR_AUTH, "the code has expired; ask for a new one");
    return SR_ERR_AUTH;
  }
  if (!response || strlen(response) != strlen(p->code) ||
      CRYPTO_memcmp(response, p->code, strlen(p->code)) != 0) {
    p->attempts_left--;
    sr_host->set_error(e->self, SR_ERR_AUTH, "wrong code (%lld tries left)",
                       (long long)p->attempts_left);
    return SR_ERR_AUTH;
  }
  out->subject = sr_host->strdup(p->email);
  out->email = sr_host->strdup(p->email);
  memset(p, 0, sizeof *p);
  sr_host->free(p);
  reg->state = NULL;
  return SR_OK;
}

static void email_cancel(void *instance, sr_registration *reg) {
  (void)instance;
  if (reg->state) {
    memset(reg->state, 0, sizeof(pending));
    sr_host->free(reg->state);
    reg->state = NULL;
  }
}

/* ABI 1.5: the registration as one line of text, "v1 EXPIRES ATTEMPTS CODE
 * EMAIL" (an address has no space: sr_mail_address_ok), kept sealed by the
 * cloud between steps. */
static int email_save(void *instance, sr_registration *reg, char **out) {
  (void)instance;
  pending *p = reg->state;
  char text[320];
  if (!p)
    return SR_ERR_INVALID;
  snprintf(text, sizeof text, "v1 %lld %lld %s %s", (long long)p->expires,
           (long long)p->attempts_left, p->code, p->email);
  *out = sr_host->strdup(text);
  memset(text, 0, sizeof text);
  if (!*out)
    return SR_ERR_NOMEM;
  memset(p, 0, sizeof *p);
  sr_host->free(p);
  reg->state = NULL;
  return SR_OK;
}

static int email_restore(void *instance, const char *saved, sr_registration *reg) {
  (void)instance;
  pending *p = sr_host->alloc(sizeof *p);
  long long expires, attempts;
  int end = 0;
  reg->state = NULL;
  if (!p)
    return SR_ERR_NOMEM;
  memset(p, 0, sizeof *p);
  if (sscanf(saved, "v1 %lld %lld %7s %255s%n", &expires, &attempts, p->code, p->email, &end) !=
          4 ||
      saved[end] != '\0') {
    sr_host->free(p);
    return SR_ERR_INVALID;
  }
  p->expires = (time_t)expires;
  p->attempts_left = attempts;
  reg->state = p;
  return SR_OK;
}

static const sr_idp_ops email_ops = {
    .base = {.check_config = email_check_config, .create = email_create, .destroy = email_destroy},
    .registration_begin = email_begin,
    .registration_complete = email_complete,
    .registration_cancel = email_cancel,
    .registration_save = email_save,
    .registration_restore = email_restore,
};

/* Instances hold only their configuration; each call has its own libcurl
 * handle and each registration its own state. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_IDP, "email", "1.0.0", "email addresses proven by a mailed code",
                        email_ops, 0, SR_PLUGIN_THREAD_SAFE)
