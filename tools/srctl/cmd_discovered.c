/* srctl device discovered | device accept: what the sites' scans found,
 * as a table, and a discovered printer made a release device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"

#define CELL_MAX 32 /* bytes of a cell shown; longer text ends in "~" */
#define COLUMNS 9

static const char *const headings[COLUMNS] = {"ID",    "STATE",  "SITE",      "ADDRESS", "KIND",
                                              "MODEL", "SERIAL", "LAST SEEN", "DEVICE"};

/* Cell `col` of discovered `row`, cut to CELL_MAX bytes on a character
 * boundary, into out. */
static void cell(const json_t *row, int col, char out[CELL_MAX + 2]) {
  static const char *const keys[COLUMNS] = {"id",    "state",  "site_name", "address",    "kind",
                                            "model", "serial", "last_seen", "accepted_as"};
  const char *text = json_string_value(json_object_get(row, keys[col]));
  if (col == 2 && !text) /* a removed site has no name left: its id */
    text = json_string_value(json_object_get(row, "site"));
  if (!text)
    text = "-";
  size_t n = strlen(text);
  if (n <= CELL_MAX) {
    memcpy(out, text, n + 1);
    return;
  }
  n = CELL_MAX - 1;
  while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) /* not inside a character */
    n--;
  memcpy(out, text, n);
  memcpy(out + n, "~", 2);
}

/* Bytes to characters: a column is as wide as its widest cell looks. */
static size_t shown_width(const char *s) {
  size_t w = 0;
  for (; *s; s++)
    w += ((unsigned char)*s & 0xC0) != 0x80;
  return w;
}

static void print_table(json_t *rows) {
  size_t width[COLUMNS], n = json_array_size(rows);
  char text[CELL_MAX + 2];
  for (int c = 0; c < COLUMNS; c++)
    width[c] = strlen(headings[c]);
  for (size_t r = 0; r < n; r++)
    for (int c = 0; c < COLUMNS; c++) {
      cell(json_array_get(rows, r), c, text);
      if (shown_width(text) > width[c])
        width[c] = shown_width(text);
    }
  for (int c = 0; c < COLUMNS; c++)
    printf("%-*s%s", c + 1 < COLUMNS ? (int)width[c] : 0, headings[c],
           c + 1 < COLUMNS ? "  " : "\n");
  for (size_t r = 0; r < n; r++)
    for (int c = 0; c < COLUMNS; c++) {
      cell(json_array_get(rows, r), c, text);
      if (c + 1 < COLUMNS)
        printf("%s%*s  ", text, (int)(width[c] - shown_width(text)), "");
      else
        printf("%s\n", text);
    }
}

int srctl_device_discovered(const srctl_command *cmd, int argc, char **argv) {
  enum { STATE = 256 };
  static const struct option options[] = {{"state", required_argument, NULL, STATE}, {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *state = NULL;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    if (opt == STATE && strcmp(optarg, "new") && strcmp(optarg, "known") &&
        strcmp(optarg, "vanished"))
      return srctl_refuse(&p, "--state: expected new, known or vanished, got '%s'", optarg);
    if (opt == STATE)
      state = optarg;
    else
      return p.status;
  }
  if (!srctl_positionals(&p, 0, 0))
    return p.status;
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  char path[96];
  snprintf(path, sizeof path, "/api/v1/discovered%s%s", state ? "?state=" : "", state ? state : "");
  json_t *reply = srctl_cloud_call(&a, "GET", path, NULL, 200, &rc);
  json_t *rows = json_object_get(reply, "discovered");
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply && json_array_size(rows) == 0)
    printf("(nothing discovered%s%s)\n", state ? " in state " : "", state ? state : "");
  else if (reply)
    print_table(rows);
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}

int srctl_device_accept(const srctl_command *cmd, int argc, char **argv) {
  enum { ID = 256, NAME };
  static const struct option options[] = {
      {"id", required_argument, NULL, ID}, {"name", required_argument, NULL, NAME}, {0}};
  srctl_parser p;
  srctl_cloud a;
  const char *id = NULL, *name = NULL;
  srctl_parser_init(&p, cmd, argc, argv, options, &a);
  int opt;
  while ((opt = srctl_next(&p)) != -1) {
    switch (opt) {
    case ID: id = optarg; break; /* the cloud checks it, as for device add */
    case NAME: name = optarg; break;
    default: return p.status;
    }
  }
  if (!srctl_positionals(&p, 1, 1))
    return p.status;
  const char *discovered = argv[optind];
  if (!discovered[0] || strlen(discovered) > 64 || strpbrk(discovered, "/?#% "))
    return srctl_refuse(&p,
                        "'%s' is not an id of a discovered device (see srctl device "
                        "discovered)",
                        discovered);
  int rc = srctl_cloud_open(&a, &p);
  if (rc)
    return rc;
  json_t *body = json_object();
  if (id)
    json_object_set_new(body, "id", json_string(id));
  if (name)
    json_object_set_new(body, "name", json_string(name));
  char path[160];
  snprintf(path, sizeof path, "/api/v1/discovered/%s/accept", discovered);
  json_t *reply = srctl_cloud_call(&a, "POST", path, body, 201, &rc);
  if (reply && a.json) {
    srctl_print_json(reply);
  } else if (reply) {
    char *uris = json_dumps(json_object_get(reply, "uris"), JSON_COMPACT);
    printf("%s accepted as device %s (%s): %s\n", discovered,
           json_string_value(json_object_get(reply, "id")),
           json_string_value(json_object_get(reply, "name")), uris ? uris : "?");
    free(uris);
  }
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
