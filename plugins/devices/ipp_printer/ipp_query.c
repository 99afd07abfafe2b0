#include "ipp_query.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ipp_query(sr_plugin *self, const char *uri, int timeout_ms, const char *const *names, int n,
              ipp_t **out) {
  char scheme[16], user[64], host[256], resource[256];
  int port = 0;
  if (!uri ||
      httpSeparateURI(HTTP_URI_CODING_ALL, uri, scheme, sizeof scheme, user, sizeof user, host,
                      sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      (strcmp(scheme, "ipp") != 0 && strcmp(scheme, "ipps") != 0) || !host[0]) {
    sr_host->set_error(self, SR_ERR_INVALID, "not an ipp:// or ipps:// URI: %s",
                       uri ? uri : "(none)");
    return SR_ERR_INVALID;
  }
  http_encryption_t encryption =
      strcmp(scheme, "ipps") == 0 ? HTTP_ENCRYPTION_ALWAYS : HTTP_ENCRYPTION_IF_REQUESTED;
  int cancel = 0;
  http_t *http = httpConnect2(host, port, NULL, AF_UNSPEC, encryption, 1, timeout_ms, &cancel);
  if (!http) {
    sr_host->set_error(self, SR_ERR_CONNECT,
                       "cannot connect to the printer at %s:%d: %s (is it on and is the URI "
                       "right?)",
                       host, port, cupsLastErrorString());
    return SR_ERR_CONNECT;
  }
  /* each wait for the printer's bytes ends after the timeout */
  httpSetTimeout(http, timeout_ms / 1000.0, NULL, NULL);
  ipp_t *request = ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, uri);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
               "securerelease");
  ippAddStrings(request, IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", n, NULL,
                names);
  ipp_t *response = cupsDoRequest(http, request, resource[0] ? resource : "/"); /* frees request */
  int http_error = httpError(http);
  httpClose(http);
  if (!response) {
    /* no IPP answer at all: the connection failed or the printer stayed
     * silent past the timeout (libcups then has no status of its own) */
    int timed_out = http_error == ETIMEDOUT || http_error == 0;
    sr_host->set_error(self, timed_out ? SR_ERR_TIMEOUT : SR_ERR_CONNECT,
                       "the printer at %s:%d did not answer Get-Printer-Attributes%s%s", host, port,
                       timed_out ? " within timeout_ms" : ": ",
                       timed_out ? "" : strerror(http_error));
    return timed_out ? SR_ERR_TIMEOUT : SR_ERR_CONNECT;
  }
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    sr_host->set_error(self, SR_ERR_PEER, "the printer at %s:%d refused Get-Printer-Attributes: %s",
                       host, port, cupsLastErrorString());
    ippDelete(response);
    return SR_ERR_PEER;
  }
  *out = response;
  return SR_OK;
}
