/*
 * Sending one plain-text mail through the configured relay (libcurl's
 * SMTP, TLS required: STARTTLS on smtp://, or smtps://). Blocks for up to
 * 20 s: call it on a worker thread, never on a loop.
 */
#ifndef SR_CORE_SMTP_MAIL_H
#define SR_CORE_SMTP_MAIL_H

#include <stdbool.h>
#include <stddef.h>

/* The relay and the sender; all borrowed. Self-contained (libcurl and
 * the SDK's status codes only) so that the `email` identity provider,
 * a plugin, compiles this file in too. */
typedef struct sr_mail_relay {
  const char *url;      /* smtp://HOST:PORT (STARTTLS required) or smtps://HOST:PORT */
  const char *ca_file;  /* the relay's CA, or NULL: the system's */
  const char *from;     /* the sender address */
  const char *username; /* optional SMTP login */
  const char *password;
} sr_mail_relay;

/* True for a plain address that is safe to put in SMTP commands and
 * headers (no spaces, angle brackets, commas or line breaks). */
bool sr_mail_address_ok(const char *s);

/* Sends `text` (lines ending in \r\n) under `subject` to `to` from
 * relay->from. `relay` and the strings are borrowed. SR_OK, or an error
 * with a message that names the relay in `err`: SR_ERR_INVALID for an
 * address or subject that cannot be sent, SR_ERR_CONNECT when the relay
 * did not take the mail. */
int sr_mail_send(const sr_mail_relay *relay, const char *to, const char *subject, const char *text,
                 char *err, size_t err_size);

#endif
