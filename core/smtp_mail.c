#include "smtp_mail.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr/abi.h"

bool sr_mail_address_ok(const char *s) {
  const char *at = s ? strchr(s, '@') : NULL;
  return at && at != s && at[1] && !strchr(at + 1, '@') && strlen(s) < 250 &&
         strcspn(s, " \t\r\n<>,;\"()") == strlen(s);
}

typedef struct outgoing {
  const char *text;
  size_t left;
} outgoing;

static size_t read_mail(char *buf, size_t size, size_t n, void *ctx) {
  outgoing *o = ctx;
  size_t len = size * n < o->left ? size * n : o->left;
  memcpy(buf, o->text, len);
  o->text += len;
  o->left -= len;
  return len;
}

int sr_mail_send(const sr_mail_relay *relay, const char *to, const char *subject, const char *text,
                 char *err, size_t err_size) {
  if (!relay->url || !sr_mail_address_ok(relay->from) || !sr_mail_address_ok(to) ||
      strpbrk(subject, "\r\n")) {
    snprintf(err, err_size, "%s: cannot send to '%.64s' (an address or the subject is invalid)",
             relay->url ? relay->url : "no smtp relay", to ? to : "");
    return SR_ERR_INVALID;
  }
  size_t size = strlen(text) + strlen(subject) + 1024;
  char *mail = malloc(size), from[300], rcpt[300];
  CURL *h = mail ? curl_easy_init() : NULL;
  if (!h) {
    free(mail);
    snprintf(err, err_size, "%s: out of memory", relay->url);
    return SR_ERR_NOMEM;
  }
  snprintf(mail, size,
           "From: securerelease <%s>\r\nTo: <%s>\r\nSubject: %s\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n%s",
           relay->from, to, subject, text);
  snprintf(from, sizeof from, "<%s>", relay->from);
  snprintf(rcpt, sizeof rcpt, "<%s>", to);
  struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
  outgoing o = {mail, strlen(mail)};
  curl_easy_setopt(h, CURLOPT_URL, relay->url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL); /* STARTTLS or fail */
  if (relay->ca_file)
    curl_easy_setopt(h, CURLOPT_CAINFO, relay->ca_file);
  if (relay->username) {
    curl_easy_setopt(h, CURLOPT_USERNAME, relay->username);
    curl_easy_setopt(h, CURLOPT_PASSWORD, relay->password ? relay->password : "");
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_mail);
  curl_easy_setopt(h, CURLOPT_READDATA, &o);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(rcpts);
  curl_easy_cleanup(h);
  free(mail);
  if (rc != CURLE_OK) {
    snprintf(err, err_size,
             "%s: the mail relay did not take the mail to %.64s: %s (check the "
             "cloud's smtp settings and that the relay is up)",
             relay->url, to, curl_easy_strerror(rc));
    return SR_ERR_CONNECT;
  }
  return SR_OK;
}
