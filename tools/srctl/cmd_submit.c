/* srctl submit: prints a file to a print scout's IPP queue, as an
 * application would (IPP Print-Job through libcups). */
#include <cups/cups.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

/* One value of a fixed set, or a refusal naming the option. */
static bool one_of(srctl_parser *p, const char *name, const char *value, const char *const *set) {
  for (size_t i = 0; set[i]; i++)
    if (strcmp(value, set[i]) == 0)
      return true;
  srctl_refuse(p, "--%s: '%s' is not one of %s, %s%s%s", name, value, set[0], set[1],
               set[2] ? ", " : "", set[2] ? set[2] : "");
  return false;
}

int srctl_submit(const srctl_command *cmd, int argc, char **argv) {
  enum { QUEUE = 256, TITLE, COPIES, SIDES, COLOR, FORMAT, USER };
  static const struct option options[] = {
      {"queue", required_argument, NULL, QUEUE},   {"title", required_argument, NULL, TITLE},
      {"copies", required_argument, NULL, COPIES}, {"sides", required_argument, NULL, SIDES},
      {"color", required_argument, NULL, COLOR},   {"format", required_argument, NULL, FORMAT},
      {"user", required_argument, NULL, USER},     {0}};
  static const char *const sides_set[] = {"one-sided", "two-sided-long-edge",
                                          "two-sided-short-edge", NULL};
  static const char *const color_set[] = {"color", "monochrome", NULL, NULL};
  const char *queue = getenv("SR_QUEUE"), *title = NULL, *format = NULL, *login = NULL;
  const char *sides = NULL, *color = NULL;
  long copies = 0;
  srctl_parser p;
  srctl_parser_init(&p, cmd, argc, argv, options, NULL);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case QUEUE: queue = optarg; break;
    case TITLE: title = optarg; break;
    case COPIES:
      if (!srctl_number(&p, "copies", optarg, 1, 999, &copies))
        return p.status;
      break;
    case SIDES:
      if (!one_of(&p, "sides", sides = optarg, sides_set))
        return p.status;
      break;
    case COLOR:
      if (!one_of(&p, "color", color = optarg, color_set))
        return p.status;
      break;
    case FORMAT:
      format = optarg;
      if (!strchr(format, '/'))
        return srctl_refuse(&p, "--format: expected a MIME type (e.g. application/pdf), got '%s'",
                            format);
      break;
    case USER: login = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 1, 1))
    return p.status;
  if (!queue)
    return srctl_refuse(&p, "say which queue: --queue ipp://HOST:PORT/ipp/print (or set SR_QUEUE)");
  const char *file = argv[optind];
  char scheme[16], user[64], host[256], resource[256];
  int port;
  if (httpSeparateURI(HTTP_URI_CODING_ALL, queue, scheme, sizeof scheme, user, sizeof user, host,
                      sizeof host, &port, resource, sizeof resource) < HTTP_URI_STATUS_OK ||
      (strcmp(scheme, "ipp") != 0 && strcmp(scheme, "ipps") != 0))
    return srctl_refuse(&p, "--queue: expected ipp://HOST:PORT/PATH or ipps://..., got '%s'",
                        queue);
  ipp_t *request = ippNewRequest(IPP_OP_PRINT_JOB);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", NULL, queue);
  /* the scout's queue believes this only from a trusted spooler account
   * (root, lp); anyone else prints as themselves (docs/workstation-users.md) */
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", NULL,
               login ? login : cupsUser());
  /* without --title, the file's name: its directories are nobody's business */
  const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_NAME, "job-name", NULL, title ? title : base);
  ippAddString(request, IPP_TAG_OPERATION, IPP_TAG_MIMETYPE, "document-format", NULL,
               format ? format : "application/octet-stream");
  if (copies)
    ippAddInteger(request, IPP_TAG_JOB, IPP_TAG_INTEGER, "copies", (int)copies);
  if (sides)
    ippAddString(request, IPP_TAG_JOB, IPP_TAG_KEYWORD, "sides", NULL, sides);
  if (color)
    ippAddString(request, IPP_TAG_JOB, IPP_TAG_KEYWORD, "print-color-mode", NULL, color);
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
