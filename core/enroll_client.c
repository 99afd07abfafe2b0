#include "enroll_client.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud_client.h"
#include "sr/abi.h"
#include "x509_issue.h"

/* Writes `text` to `path` through a temporary file, so a failure leaves
 * the old file (if any) in place. */
static int write_file(const char *path, const char *text, mode_t mode, char *err, size_t err_size) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  size_t len = strlen(text);
  if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0 || close(fd) != 0 ||
      rename(tmp, path) != 0) {
    snprintf(err, err_size, "%s: cannot write it", path);
    if (fd >= 0)
      close(fd);
    unlink(tmp);
    return SR_ERR_IO;
  }
  return SR_OK;
}

int sr_enroll(const char *cloud_url, const char *ca_file, const char *token, const char *cert_path,
              const char *key_path, char *scout_id, size_t id_size, char *err, size_t err_size) {
  char *key = NULL, *csr = NULL;
  json_t *reply = NULL;
  int status = sr_x509_key_new(&key, err, err_size);
  if (status == SR_OK)
    status = sr_x509_csr_new(key, "enrolling-scout", &csr, err, err_size);
  sr_cloud_options o = {.base_url = cloud_url, .ca_file = ca_file};
  sr_cloud_client *client = status == SR_OK ? sr_cloud_client_new(&o) : NULL;
  if (status == SR_OK && !client)
    status = SR_ERR_NOMEM;
  int http = 0;
  if (status == SR_OK) {
    json_t *body = json_pack("{s:s, s:s}", "token", token, "csr", csr);
    status =
        sr_cloud_call(client, "POST", "/api/v1/enroll", body, NULL, &http, &reply, err, err_size);
    json_decref(body);
  }
  const char *cert = json_string_value(json_object_get(reply, "certificate"));
  const char *id = json_string_value(json_object_get(reply, "scout"));
  if (status == SR_OK && (http != 201 || !cert || !id)) {
    snprintf(err, err_size, "%s refused the enrollment (HTTP %d): %s", cloud_url, http,
             sr_cloud_error_message(reply, "no certificate in the answer"));
    status = SR_ERR_AUTH;
  }
  if (status == SR_OK)
    status = write_file(key_path, key, 0600, err, err_size);
  if (status == SR_OK)
    status = write_file(cert_path, cert, 0644, err, err_size);
  if (status == SR_OK)
    snprintf(scout_id, id_size, "%s", id);
  json_decref(reply);
  sr_cloud_client_free(client);
  if (key)
    memset(key, 0, strlen(key));
  free(key);
  free(csr);
  return status;
}
