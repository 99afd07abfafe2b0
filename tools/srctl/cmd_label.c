/* srctl device label: printable labels with the QR code of each printer's
 * release page (label_sheet.h draws them), or the code on the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address_check.h"
#include "cloud_session.h"
#include "commands.h"
#include "label_sheet.h"
#include "qr.h"

enum label_output { OUT_PDF, OUT_SVG, OUT_TERMINAL };

typedef struct label_request {
  enum label_output output;
  label_paper paper;
  const char *out;      /* file, or NULL: labels.pdf / labels.svg */
  const char *base_url; /* instead of the cloud's release_url, or NULL */
  bool all;
} label_request;

/* Static labels log no one in when the tenant takes rotating codes only
 * (release_codes, docs/security.md): refuse rather than print useless
 * stickers. A cloud without the setting takes static labels. */
static int refuse_if_rotating_only(srctl_cloud *a) {
  int rc;
  json_t *settings = srctl_cloud_call(a, "GET", "/api/v1/settings", NULL, 200, &rc);
  const char *codes = json_string_value(json_object_get(settings, "release_codes"));
  if (!rc && codes && strcmp(codes, "rotating") == 0) {
    fprintf(stderr,
            "srctl device label: the tenant's release_codes is 'rotating': a printed label "
            "would log no one in (only the code on a printer's screen does). To print labels, "
            "allow static codes first: srctl settings set release_codes=both\n");
    rc = 1;
  }
  json_decref(settings);
  return rc;
}

/* The labels of the devices asked for, in the order asked (the listing's
 * for --all); NULL after saying why (an unknown id, a device without a
 * release page). *n set; the strings are borrowed from `devices` and
 * `urls` (which this fills, freed by the caller). */
static label *pick(json_t *devices, const label_request *r, char **ids, int n_ids, char ***urls,
                   size_t *n) {
  size_t count = r->all ? json_array_size(devices) : (size_t)n_ids, missing = 0;
  label *labels = calloc(count ? count : 1, sizeof *labels);
  *urls = calloc(count ? count : 1, sizeof **urls);
  *n = 0;
  if (!labels || !*urls) {
    fprintf(stderr, "srctl device label: out of memory\n");
    free(labels);
    return NULL;
  }
  for (size_t i = 0; i < count; i++) {
    json_t *row = NULL, *d;
    size_t k;
    json_array_foreach(devices, k, d) {
      if (r->all ? k == i : strcmp(json_string_value(json_object_get(d, "id")), ids[i]) == 0)
        row = d;
    }
    if (!row) {
      fprintf(stderr, "srctl device label: no device '%s' in this tenant (srctl device list)\n",
              ids[i]);
      free(labels);
      return NULL;
    }
    const char *id = json_string_value(json_object_get(row, "id"));
    const char *url = json_string_value(json_object_get(row, "release_url"));
    if (r->base_url) {
      size_t size = strlen(r->base_url) + strlen(id) + 4;
      if (((*urls)[i] = malloc(size)))
        snprintf((*urls)[i], size, "%s/r/%s", r->base_url, id);
      url = (*urls)[i];
    }
    if (!url) {
      fprintf(stderr, "srctl device label: device '%s' has no release page URL yet\n", id);
      missing++;
    }
    labels[i] = (label){.name = json_string_value(json_object_get(row, "name")),
                        .location = json_string_value(json_object_get(row, "location")),
                        .url = url};
  }
  if (missing) {
    fprintf(stderr,
            "srctl device label: the cloud knows a device's release page from its site service "
            "(panel.public_url, reported with its heartbeats; a device added by hand needs the "
            "tenant's sites to agree on one). Is the site service running? Or give the URL: "
            "--base-url https://HOST:PORT\n");
    free(labels);
    return NULL;
  }
  *n = count;
  return labels;
}

static void print_terminal(const label *labels, size_t n) {
  for (size_t i = 0; i < n; i++) {
    printf("%s%s%s%s\n%s\n", i ? "\n" : "", labels[i].name, labels[i].location ? ", " : "",
           labels[i].location ? labels[i].location : "", labels[i].url);
    sr_qr_print_terminal(labels[i].url, stdout);
  }
}

static int make_labels(srctl_cloud *a, const label_request *r, char **ids, int n_ids) {
  int rc = refuse_if_rotating_only(a);
  json_t *reply = rc ? NULL : srctl_cloud_call(a, "GET", "/api/v1/devices", NULL, 200, &rc);
  if (rc) {
    json_decref(reply);
    return rc;
  }
  char **urls = NULL;
  size_t n = 0, count = r->all ? json_array_size(json_object_get(reply, "devices")) : (size_t)n_ids;
  label *labels = pick(json_object_get(reply, "devices"), r, ids, n_ids, &urls, &n);
  rc = labels ? 0 : 1;
  if (labels && n == 0) {
    fprintf(stderr, "srctl device label: the tenant has no devices (srctl device add)\n");
    rc = 1;
  } else if (labels && r->output == OUT_TERMINAL) {
    print_terminal(labels, n);
  } else if (labels) {
    label_format format = r->output == OUT_SVG ? LABEL_SVG : LABEL_PDF;
    const char *out = r->out ? r->out : format == LABEL_SVG ? "labels.svg" : "labels.pdf";
    char err[4352];
    if (!label_sheet_write(labels, n, format, r->paper, out, err, sizeof err)) {
      fprintf(stderr, "srctl device label: %s\n", err);
      rc = 1;
    } else {
      size_t sheets = label_sheets(n);
      char first[4096], last[4096];
      label_sheet_path(out, format, 0, sheets, first, sizeof first);
      label_sheet_path(out, format, sheets - 1, sheets, last, sizeof last);
      /* on stderr when the sheet itself went to stdout */
      fprintf(strcmp(out, "-") == 0 ? stderr : stdout, "%zu label%s on %zu sheet%s: %s%s%s\n", n,
              n == 1 ? "" : "s", sheets, sheets == 1 ? "" : "s", first,
              strcmp(first, last) ? " .. " : "", strcmp(first, last) ? last : "");
    }
  }
  for (size_t i = 0; urls && i < count; i++)
    free(urls[i]);
  free(urls);
  free(labels);
  json_decref(reply);
  return rc;
}

int srctl_device_label(const srctl_command *cmd, int argc, char **argv) {
  enum { FORMAT = 256, PAPER, OUT, BASE_URL, ALL };
  static const struct option options[] = {{"format", required_argument, NULL, FORMAT},
                                          {"paper", required_argument, NULL, PAPER},
                                          {"out", required_argument, NULL, OUT},
                                          {"base-url", required_argument, NULL, BASE_URL},
                                          {"all", no_argument, NULL, ALL},
                                          {0}};
  srctl_parser p;
  srctl_cloud a;
  label_request r = {.output = OUT_PDF, .paper = LABEL_A4};
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case FORMAT:
      if (strcmp(optarg, "pdf") == 0)
        r.output = OUT_PDF;
      else if (strcmp(optarg, "svg") == 0)
        r.output = OUT_SVG;
      else if (strcmp(optarg, "terminal") == 0)
        r.output = OUT_TERMINAL;
      else
        return srctl_refuse(&p, "--format: pdf, svg or terminal, got '%s'", optarg);
      break;
    case PAPER:
      if (strcmp(optarg, "a4") == 0)
        r.paper = LABEL_A4;
      else if (strcmp(optarg, "letter") == 0)
        r.paper = LABEL_LETTER;
      else
        return srctl_refuse(&p, "--paper: a4 or letter, got '%s'", optarg);
      break;
    case OUT: r.out = optarg; break;
    case BASE_URL:
      if (!sr_release_base_url_ok(optarg))
        return srctl_refuse(&p,
                            "--base-url: expected https://HOST[:PORT][/PATH] (the site service's "
                            "release page, without a final '/'), got '%s'",
                            optarg);
      r.base_url = optarg;
      break;
    case ALL: r.all = true; break;
    default: return p.status;
    }
  }
  int n_ids = argc - optind;
  if (r.all && n_ids > 0)
    return srctl_refuse(&p, "either device ids or --all, not both");
  if (!r.all && n_ids == 0)
    return srctl_refuse(&p, "name the devices (srctl device list) or say --all");
  if (r.out && r.output == OUT_TERMINAL)
    return srctl_refuse(&p, "--out is for pdf and svg (terminal prints here)");
  int rc = srctl_cloud_open(&a, &p);
  if (!rc)
    rc = make_labels(&a, &r, argv + optind, n_ids);
  srctl_cloud_close(&a);
  return rc;
}
