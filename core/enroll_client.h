/*
 * A scout's side of enrollment: it makes its own key pair, sends a CSR
 * with the administrator's one-time token and stores the certificate the
 * cloud issues. The private key is written here and never sent.
 */
#ifndef SR_CORE_ENROLL_CLIENT_H
#define SR_CORE_ENROLL_CLIENT_H

#include <stddef.h>

/* Enrolls at `cloud_url` (verified with `ca_file`). Writes the key to
 * `key_path` (mode 0600) and the certificate chain to `cert_path`; fills
 * `scout_id` with the identity the cloud gave. SR_OK, or an error with
 * `err` saying what the cloud or the files refused. */
int sr_enroll(const char *cloud_url, const char *ca_file, const char *token, const char *cert_path,
              const char *key_path, char *scout_id, size_t id_size, char *err, size_t err_size);

#endif
