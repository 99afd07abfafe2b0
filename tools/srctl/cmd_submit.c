/* srctl submit: prints a file to a print scout's IPP queue, as an
 * application would (IPP Print-Job through libcups). */
#include <cups/cups.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

static const char *option(int argc, char **argv, const char *name) {
  for (int i = 0; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return argv[i + 1];
  return NULL;
}

int srctl_submit(int argc, char **argv) {
  const char *queue = option(argc, argv, "--queue");
  if (!queue)
    queue = getenv("SR_QUEUE");
  if (argc < 1 || argv[0][0] == '-' || !queue) {
    fprintf(stderr, "usage: srctl submit FILE --queue ipp://HOST:PORT/ipp/print [--title TITLE]\n"
                    "                    [--copies N] [--sides one-sided|two-sided-long-edge|"
                    "two-sided-short-edge]\n                    [--color color|monochrome] "
                    "[--format MIME] [--user LOGIN]\n");
    return SRCTL_EXIT_USAGE;
  }
  const char *file = argv[0], *title = option(argc, argv, "--title");
  const char *format = option(argc, argv, "--format");
  ipp_t *request = ippNewRequest(IPP_OP_PRINT_JOB);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, queue);
  /* the scout's queue believes this only from a trusted spooler account
   * (root, lp); anyone else prints as themselves (docs/workstation-users.md) */
  const char *login = option(argc, argv, "--user");
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
               login ? login : cupsUser());
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, title ? title : file);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
               format ? format : "application/octet-stream");
  if (option(argc, argv, "--copies"))
    ippAddInteger(request, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies",
                  atoi(option(argc, argv, "--copies")));
  if (option(argc, argv, "--sides"))
    ippAddString(request, IPP_TAG_JOB, IPP_TAG_KEYWORD, "sides", NULL,
                 option(argc, argv, "--sides"));
  if (option(argc, argv, "--color"))
    ippAddString(request, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL,
                 option(argc, argv, "--color"));
  char scheme[16], user[64], host[256], resource[256];
  int port;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, queue, scheme, sizeof scheme, user, sizeof user, host,
                      sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK) {
    fprintf(stderr, "srctl: %s is not a queue URI\n", queue);
    ippDelete(request);
    return SRCTL_EXIT_USAGE;
  }
  http_t *http = httpConnect2(host, port, NULL, AF_UNSPEC,
                              strcmp(scheme, "ipps") == 0 ? HTTP_ENCRYPTION_ALWAYS
                                                          : HTTP_ENCRYPTION_IF_REQUESTED,
                              1, 10000, NULL);
  if (!http) {
    fprintf(stderr, "srctl: cannot connect to the queue at %s:%d: %s\n", host, port,
            cupsLastErrorString());
    ippDelete(request);
    return 1;
  }
  ipp_t *response = cupsDoFileRequest(http, request, resource, file);
  int rc = 0;
  if (cupsLastError() > IPP_STATUS_OK_EVENTS_COMPLETE) {
    fprintf(stderr, "srctl: %s refused the job: %s\n", queue, cupsLastErrorString());
    rc = 1;
  } else {
    printf("job %d held at %s: release it at a printer\n",
           ippGetInteger(ippFindAttribute(response, "job-id", IPP_TAG_INTEGER), 0), queue);
  }
  ippDelete(response);
  httpClose(http);
  return rc;
}
