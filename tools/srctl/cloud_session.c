/* The administration commands' shared connection to the cloud
 * (cloud_session.h). */
#include "cloud_session.h"
#include <ctype.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud_client.h"
#include "sr/abi.h"

enum { OPT_CLOUD = 200, OPT_CA, OPT_TOKEN_FILE, OPT_JSON };

const struct option srctl_cloud_options[] = {
    {"cloud", required_argument, NULL, OPT_CLOUD},
    {"ca", required_argument, NULL, OPT_CA},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"json", no_argument, NULL, OPT_JSON},
    {0}};

void srctl_cloud_defaults(srctl_cloud *a) {
  memset(a, 0, sizeof *a);
  a->url = getenv("SR_CLOUD_URL");
  a->ca = getenv("SR_CLOUD_CA");
  a->token_file = getenv("SR_TOKEN_FILE");
}

bool srctl_cloud_option(srctl_cloud *a, int opt, const char *arg) {
  switch (opt) {
  case OPT_CLOUD: a->url = arg; return true;
  case OPT_CA: a->ca = arg; return true;
  case OPT_TOKEN_FILE: a->token_file = arg; return true;
  case OPT_JSON: a->json = true; return true;
  default: return false;
  }
}

int srctl_cloud_open(srctl_cloud *a, srctl_parser *p) {
  if (!a->url || !a->url[0])
    return srctl_refuse(p, "say which cloud: --cloud https://HOST:PORT (or set SR_CLOUD_URL)");
  if (strncmp(a->url, "https://", 8) != 0 || !a->url[8])
    return srctl_refuse(p, "--cloud: expected https://HOST:PORT, got '%s'", a->url);
  if (a->token_file) {
    FILE *f = fopen(a->token_file, "r");
    if (!f || !fgets(a->token, sizeof a->token, f)) {
      fprintf(stderr,
              "srctl: %s: cannot read the token (pass --token-file FILE or set SR_TOKEN_FILE)\n",
              a->token_file);
      if (f)
        fclose(f);
      return 1;
    }
    fclose(f);
    a->token[strcspn(a->token, "\r\n")] = '\0';
  }
  return 0;
}

void srctl_cloud_close(srctl_cloud *a) { memset(a->token, 0, sizeof a->token); }

/* What to do about a failed call, from what srctl was given. */
static const char *hint(const srctl_cloud *a, int result, int status) {
  if (result == SR_ERR_CONNECT || result == SR_ERR_TIMEOUT)
    return "is the cloud running there? (--cloud or SR_CLOUD_URL)";
  if (result != SR_OK)
    return a->ca ? "check that --ca (SR_CLOUD_CA) is the CA of the cloud's certificate"
                 : "pass --ca FILE or set SR_CLOUD_CA (the CA of the cloud's certificate)";
  if (status == 401)
    return a->token_file ? "the token in --token-file (SR_TOKEN_FILE) is not this cloud's"
                         : "pass --token-file FILE or set SR_TOKEN_FILE";
  return NULL;
}

json_t *srctl_cloud_call(srctl_cloud *a, const char *method, const char *path, json_t *body,
                         int expected, int *rc) {
  sr_cloud_options o = {.base_url = a->url, .ca_file = a->ca};
  sr_cloud_client *c = sr_cloud_client_new(&o);
  int status = 0, result = SR_ERR_NOMEM;
  json_t *reply = NULL;
  char err[1024] = "out of memory";
  *rc = 1;
  if (c)
    result = sr_cloud_call(c, method, path, body, a->token[0] ? a->token : NULL, &status, &reply,
                           err, sizeof err);
  const char *what_to_do = hint(a, result, status);
  if (result != SR_OK) {
    fprintf(stderr, "srctl: %s\n", err);
  } else if (status != expected) {
    fprintf(stderr, "srctl: %s %s: HTTP %d: %s\n", method, path, status,
            sr_cloud_error_message(reply, "unexpected answer"));
    json_decref(reply);
    reply = NULL;
  } else {
    *rc = 0;
    what_to_do = NULL;
    if (!reply)
      reply = json_object();
  }
  if (what_to_do && c)
    fprintf(stderr, "srctl: %s\n", what_to_do);
  sr_cloud_client_free(c);
  return reply;
}

void srctl_print_json(json_t *o) {
  char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (text)
    puts(text);
  free(text);
}

void srctl_print_rows(srctl_cloud *a, json_t *reply, const char *key) {
  if (a->json) {
    srctl_print_json(reply);
    return;
  }
  size_t i;
  json_t *row;
  json_array_foreach(json_object_get(reply, key), i, row) {
    const char *col;
    json_t *v;
    const char *sep = "";
    json_object_foreach(row, col, v) {
      char *text = json_is_string(v) ? strdup(json_string_value(v))
                                     : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      printf("%s%s=%s", sep, col, text ? text : "?");
      free(text);
      sep = "  ";
    }
    putchar('\n');
  }
  if (json_array_size(json_object_get(reply, key)) == 0)
    printf("(no %s)\n", key);
}

/* Parses a command that takes only the common options and `n`
 * positionals; -1 when the cloud can be called, else the exit status
 * (0 after --help). */
static int parse_plain(srctl_parser *p, srctl_cloud *a, const srctl_command *cmd, int argc,
                       char **argv, int n) {
  srctl_parser_init(p, cmd, argc, argv, NULL, a);
  int opt;
  while ((opt = srctl_next(p)) != -1)
    if (opt == SRCTL_STOP)
      return p->status;
  if (!srctl_positionals(p, n, n))
    return p->status;
  int rc = srctl_cloud_open(a, p);
  return rc ? rc : -1;
}

int srctl_list(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_cloud a;
  int rc = parse_plain(&p, &a, cmd, argc, argv, 0);
  if (rc >= 0)
    return rc;
  char path[96];
  snprintf(path, sizeof path, "/api/v1/%s", cmd->collection);
  json_t *reply = srctl_cloud_call(&a, "GET", path, NULL, 200, &rc);
  /* a paged list (jobs) gives next_cursor until its last page: list it all */
  while (reply && json_is_string(json_object_get(reply, "next_cursor"))) {
    char next[512];
    int n = snprintf(next, sizeof next, "/api/v1/%s?limit=200&cursor=", cmd->collection);
    for (const char *c = json_string_value(json_object_get(reply, "next_cursor"));
         *c && n < (int)sizeof next - 4; c++)
      n += snprintf(next + n, sizeof next - (size_t)n,
                    isalnum((unsigned char)*c) || strchr("-._~", *c) ? "%c" : "%%%02X",
                    (unsigned char)*c);
    json_t *more = srctl_cloud_call(&a, "GET", next, NULL, 200, &rc);
    if (!more) {
      json_decref(reply);
      reply = NULL;
      break;
    }
    json_array_extend(json_object_get(reply, cmd->collection),
                      json_object_get(more, cmd->collection));
    json_object_set(reply, "next_cursor", json_object_get(more, "next_cursor"));
    json_decref(more);
  }
  if (reply)
    srctl_print_rows(&a, reply, cmd->collection);
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}

int srctl_remove(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_cloud a;
  int rc = parse_plain(&p, &a, cmd, argc, argv, 1);
  if (rc >= 0)
    return rc;
  const char *id = argv[optind];
  if (!id[0] || strlen(id) > 64 || strpbrk(id, "/?#% "))
    return srctl_refuse(&p, "'%s' is not an id (see `srctl %s list`)", id, cmd->noun);
  char path[160];
  snprintf(path, sizeof path, "/api/v1/%s/%s", cmd->collection, id);
  json_t *reply = srctl_cloud_call(&a, "DELETE", path, NULL, 204, &rc);
  if (reply)
    printf("%s %s %s\n", cmd->noun, id, cmd->done);
  json_decref(reply);
  srctl_cloud_close(&a);
  return rc;
}
