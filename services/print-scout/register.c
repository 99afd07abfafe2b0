/* sr-print-scout register --email: proves the user owns the address (the
 * cloud mails a code) and lets them choose a PIN for the printer panels.
 * The PIN is hashed here with the site secret; the cloud stores only that. */
#include "register.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cloud_link.h"
#include "idhash.h"
#include "passcode.h"
#include "qr.h"
#include "site_key.h"
#include "sr/abi.h"

/* Reads one line from stdin without echo when it is a terminal. */
static bool prompt(const char *question, char *out, size_t size, bool secret) {
  struct termios old, quiet;
  bool tty = secret && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  fputs(question, stderr);
  fflush(stderr);
  if (tty) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool ok = fgets(out, (int)size, stdin) != NULL;
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  if (ok)
    out[strcspn(out, "\r\n")] = '\0';
  return ok;
}

int scout_register_email(const sr_service_config *cfg, const sr_config *doc, const char *email,
                         char *err, size_t err_size) {
  const sr_print_scout_config *c = &cfg->u.print_scout;
  char mail[SR_ID_MAX];
  if (sr_email_normalise(email, mail, sizeof mail) != SR_OK) {
    snprintf(err, err_size, "'%s' is not an email address", email);
    return SR_ERR_INVALID;
  }
  scout_link link;
  int status = scout_link_open(cfg, doc, &link, err, err_size);
  if (status != SR_OK)
    return status;
  sr_cloud_client *cloud = link.cloud;
  const sr_site_key *key = link.key;
  json_t *reply = NULL, *body = json_pack("{s:s}", "email", mail);
  int http = 0;
  status = cloud ? sr_cloud_call(cloud, "POST", "/api/v1/scout/register", body, NULL, &http, &reply,
                                 err, err_size)
                 : SR_ERR_NOMEM;
  json_decref(body);
  char registration[64] = "", code[64], pin[64], norm[SR_ID_MAX], hash[SR_IDHASH_HEX_LEN + 1];
  if (status == SR_OK && http == 202) {
    snprintf(registration, sizeof registration, "%s",
             json_string_value(json_object_get(reply, "registration")));
    printf("%s\n", json_string_value(json_object_get(reply, "message")));
    fflush(stdout);
  } else if (status == SR_OK) {
    snprintf(err, err_size, "the cloud refused (HTTP %d): %s", http,
             sr_cloud_error_message(reply, "no reason given"));
    status = SR_ERR_PEER;
  }
  json_decref(reply);
  reply = NULL;
  /* the code may be mistyped: a few tries, as many as the cloud allows */
  for (int tries = 0; status == SR_OK && registration[0] && tries < 5; tries++) {
    if (!prompt("Code from the email: ", code, sizeof code, false) ||
        !prompt("Choose a PIN for the printer panels: ", pin, sizeof pin, true)) {
      snprintf(err, err_size, "no code or PIN given");
      status = SR_ERR_INVALID;
      break;
    }
    if (sr_pin_normalise(pin, (int)c->pin_length, norm, sizeof norm) != SR_OK) {
      fprintf(stderr, "A PIN has %d digits.\n", (int)c->pin_length);
      continue;
    }
    sr_idhash_hex(key, SR_ID_PIN, mail, norm, hash);
    memset(pin, 0, sizeof pin);
    memset(norm, 0, sizeof norm);
    body =
        json_pack("{s:s, s:s, s:s}", "registration", registration, "code", code, "pin_hash", hash);
    status = sr_cloud_call(cloud, "POST", "/api/v1/scout/register/complete", body, NULL, &http,
                           &reply, err, err_size);
    json_decref(body);
    if (status == SR_OK && http == 200) {
      printf("Registered: this workstation prints as %s. Log in at a printer with your email "
             "and PIN.\n",
             json_string_value(json_object_get(json_object_get(reply, "user"), "email")));
      json_decref(reply);
      break;
    }
    if (status == SR_OK && http == 401) {
      fprintf(stderr, "%s\n", sr_cloud_error_message(reply, "wrong code"));
      json_decref(reply);
      reply = NULL;
      if (tries + 1 < 5)
        continue;
      snprintf(err, err_size, "the registration failed: too many wrong codes");
      status = SR_ERR_AUTH;
    } else if (status == SR_OK) {
      snprintf(err, err_size, "the cloud refused (HTTP %d): %s", http,
               sr_cloud_error_message(reply, "no reason given"));
      status = SR_ERR_PEER;
    }
    json_decref(reply);
    reply = NULL;
    break;
  }
  scout_link_close(&link);
  return status;
}

int scout_register_oidc(const sr_service_config *cfg, const sr_config *doc, char *err,
                        size_t err_size) {
  scout_link link;
  int status = scout_link_open(cfg, doc, &link, err, err_size);
  if (status != SR_OK)
    return status;
  json_t *reply = NULL, *body = json_pack("{s:s}", "method", "oidc");
  int http = 0;
  status = sr_cloud_call(link.cloud, "POST", "/api/v1/scout/register", body, NULL, &http, &reply,
                         err, err_size);
  json_decref(body);
  const char *registration = json_string_value(json_object_get(reply, "registration"));
  const char *uri = json_string_value(json_object_get(reply, "verification_uri"));
  const char *code = json_string_value(json_object_get(reply, "user_code"));
  const char *complete = json_string_value(json_object_get(reply, "verification_uri_complete"));
  if (status == SR_OK && (http != 202 || !registration || !uri || !code)) {
    snprintf(err, err_size, "the cloud refused (HTTP %d): %s", http,
             sr_cloud_error_message(reply, "no sign-in offered"));
    status = SR_ERR_PEER;
  }
  if (status != SR_OK) {
    json_decref(reply);
    scout_link_close(&link);
    return status;
  }
  char id[64];
  snprintf(id, sizeof id, "%s", registration);
  int interval = (int)json_integer_value(json_object_get(reply, "interval"));
  int expires = (int)json_integer_value(json_object_get(reply, "expires_in"));
  interval = interval > 0 ? interval : 5;
  time_t deadline = time(NULL) + (expires > 0 ? expires : 600);
  printf("To register this workstation, open\n\n    %s\n\nand enter the code  %s\n\n", uri, code);
  if (complete) {
    printf("or scan this with your phone:\n\n");
    sr_qr_print_terminal(complete, stdout);
  }
  fflush(stdout);
  json_decref(reply);
  status = SR_ERR_PENDING;
  while (status == SR_ERR_PENDING) {
    long left = (long)(deadline - time(NULL));
    if (left <= 0) {
      snprintf(err, err_size, "the code expired before the sign-in; run register again");
      status = SR_ERR_TIMEOUT;
      break;
    }
    fprintf(stderr, "\rwaiting for the sign-in: %ld:%02ld left ", left / 60, left % 60);
    fflush(stderr);
    sleep((unsigned)interval);
    body = json_pack("{s:s}", "registration", id);
    reply = NULL;
    status = sr_cloud_call(link.cloud, "POST", "/api/v1/scout/register/complete", body, NULL, &http,
                           &reply, err, err_size);
    json_decref(body);
    if (status == SR_OK && http == 202)
      status = SR_ERR_PENDING;
    else if (status == SR_OK && http == 200)
      printf("\nRegistered: this workstation prints as %s.\n",
             json_string_value(json_object_get(json_object_get(reply, "user"), "email")));
    else if (status == SR_OK) {
      snprintf(err, err_size, "the sign-in failed (HTTP %d): %s", http,
               sr_cloud_error_message(reply, "no reason given"));
      status = SR_ERR_AUTH;
    }
    json_decref(reply);
  }
  fputc('\n', stderr);
  scout_link_close(&link);
  /* a passcode for the printer panels, shown once */
  if (status == SR_OK)
    status = scout_passcode_renew(cfg, doc, err, err_size);
  return status;
}
