/* srctl's administration commands against the cloud's REST API: tenants,
 * users, devices, scouts and jobs. Card numbers and PINs are hashed here,
 * with the site secret, before they leave the machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cloud_client.h"
#include "commands.h"
#include "idhash.h"
#include "site_key.h"
#include "sr/abi.h"

typedef struct cloud_args {
  const char *url, *ca, *token_file;
  char token[256];
  bool json;
} cloud_args;

/* Takes the connection options out of argv (the rest stays, in order). */
static int take_cloud_args(int *argc, char **argv, cloud_args *a) {
  a->url = getenv("SR_CLOUD_URL");
  a->ca = getenv("SR_CLOUD_CA");
  a->token_file = getenv("SR_TOKEN_FILE");
  int kept = 0;
  for (int i = 0; i < *argc; i++) {
    if (strcmp(argv[i], "--cloud") == 0 && i + 1 < *argc)
      a->url = argv[++i];
    else if (strcmp(argv[i], "--ca") == 0 && i + 1 < *argc)
      a->ca = argv[++i];
    else if (strcmp(argv[i], "--token-file") == 0 && i + 1 < *argc)
      a->token_file = argv[++i];
    else if (strcmp(argv[i], "--json") == 0)
      a->json = true;
    else
      argv[kept++] = argv[i];
  }
  *argc = kept;
  if (!a->url) {
    fprintf(stderr, "srctl: say which cloud: --cloud https://HOST:PORT (or SR_CLOUD_URL)\n");
    return SRCTL_EXIT_USAGE;
  }
  if (a->token_file) {
    FILE *f = fopen(a->token_file, "r");
    if (!f || !fgets(a->token, sizeof a->token, f)) {
      fprintf(stderr, "srctl: %s: cannot read the token\n", a->token_file);
      if (f)
        fclose(f);
      return 1;
    }
    fclose(f);
    a->token[strcspn(a->token, "\r\n")] = '\0';
  }
  return 0;
}

/* Calls the cloud; prints the error and returns NULL unless the status is
 * `expected`. The caller decrefs the reply. */
static json_t *call(cloud_args *a, const char *method, const char *path, json_t *body, int expected,
                    int *rc) {
  sr_cloud_options o = {.base_url = a->url, .ca_file = a->ca};
  sr_cloud_client *c = sr_cloud_client_new(&o);
  int status = 0;
  json_t *reply = NULL;
  char err[1024];
  *rc = 1;
  if (!c || sr_cloud_call(c, method, path, body, a->token[0] ? a->token : NULL, &status, &reply,
                          err, sizeof err) != SR_OK) {
    fprintf(stderr, "srctl: %s\n", c ? err : "out of memory");
  } else if (status != expected) {
    fprintf(stderr, "srctl: %s %s: HTTP %d: %s\n", method, path, status,
            sr_cloud_error_message(reply, "unexpected answer"));
    json_decref(reply);
    reply = NULL;
  } else {
    *rc = 0;
    if (!reply)
      reply = json_object();
  }
  sr_cloud_client_free(c);
  return reply;
}

static void print_json(json_t *o) {
  char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (text)
    puts(text);
  free(text);
}

/* Prints each row of reply[key] as "col=value ..." (or the JSON). */
static void print_rows(cloud_args *a, json_t *reply, const char *key) {
  if (a->json) {
    print_json(reply);
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

static const char *option(int argc, char **argv, const char *name) {
  for (int i = 0; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0)
      return argv[i + 1];
  return NULL;
}

static int tenant_cmd(cloud_args *a, int argc, char **argv) {
  if (argc < 2 || strcmp(argv[0], "create") != 0) {
    fprintf(stderr, "usage: srctl tenant create ID [--name NAME] [--token-out FILE]\n");
    return SRCTL_EXIT_USAGE;
  }
  const char *name = option(argc, argv, "--name"), *out = option(argc, argv, "--token-out");
  json_t *body = json_pack("{s:s}", "id", argv[1]);
  if (name)
    json_object_set_new(body, "name", json_string(name));
  int rc;
  json_t *reply = call(a, "POST", "/api/v1/tenants", body, 201, &rc);
  json_decref(body);
  if (reply && out) {
    FILE *f = fopen(out, "wx");
    if (!f || fprintf(f, "%s\n", json_string_value(json_object_get(reply, "admin_token"))) < 0) {
      fprintf(stderr, "srctl: %s: cannot write the token (does it exist already?)\n", out);
      rc = 1;
    }
    if (f) {
      fchmod(fileno(f), 0600);
      fclose(f);
    }
    if (!rc)
      printf("tenant %s created; its administrator token is in %s\n", argv[1], out);
  } else if (reply) {
    printf("tenant %s created\nadministrator token (shown once): %s\n", argv[1],
           json_string_value(json_object_get(reply, "admin_token")));
  }
  json_decref(reply);
  return rc;
}

/* Hashes a card or PIN the way the site service will, with the site key. */
static int hash_identity(const char *secret_file, const char *tenant, const char *email,
                         const char *card, const char *pin, int pin_length, const char *format,
                         json_t *body) {
  char why[512], norm[SR_ID_MAX], mail[SR_ID_MAX], hash[SR_IDHASH_HEX_LEN + 1];
  sr_site_key *key = NULL;
  if (!secret_file || !tenant) {
    fprintf(stderr, "srctl: --card and --pin need --secret-file and --tenant (they are hashed "
                    "with the site secret here)\n");
    return SRCTL_EXIT_USAGE;
  }
  if (sr_site_key_load(secret_file, tenant, &key, why, sizeof why) != SR_OK) {
    fprintf(stderr, "srctl: %s\n", why);
    return 1;
  }
  sr_card_rule rule = {.format = SR_CARD_DECIMAL, .strip_leading_zeros = true};
  if (format && strcmp(format, "hex") == 0)
    rule.format = SR_CARD_HEX;
  else if (format && strcmp(format, "raw") == 0)
    rule.format = SR_CARD_RAW;
  int rc = 0;
  if (card && sr_card_normalise(&rule, card, norm, sizeof norm) != SR_OK) {
    fprintf(stderr, "srctl: the card number does not fit the %s format\n",
            format ? format : "decimal");
    rc = SRCTL_EXIT_USAGE;
  } else if (card) {
    sr_idhash_hex(key, SR_ID_CARD, NULL, norm, hash);
    json_object_set_new(body, "card_hash", json_string(hash));
  }
  if (!rc && pin &&
      (sr_email_normalise(email, mail, sizeof mail) != SR_OK ||
       sr_pin_normalise(pin, pin_length, norm, sizeof norm) != SR_OK)) {
    fprintf(stderr, "srctl: the PIN must have %d digits\n", pin_length);
    rc = SRCTL_EXIT_USAGE;
  } else if (!rc && pin) {
    sr_idhash_hex(key, SR_ID_PIN, mail, norm, hash);
    json_object_set_new(body, "pin_hash", json_string(hash));
  }
  memset(norm, 0, sizeof norm);
  sr_site_key_free(key);
  return rc;
}

static int user_cmd(cloud_args *a, int argc, char **argv) {
  int rc;
  if (argc >= 1 && strcmp(argv[0], "list") == 0) {
    json_t *reply = call(a, "GET", "/api/v1/users", NULL, 200, &rc);
    if (reply)
      print_rows(a, reply, "users");
    json_decref(reply);
    return rc;
  }
  const char *email = option(argc, argv, "--email");
  if (argc < 1 || strcmp(argv[0], "add") != 0 || !email) {
    fprintf(stderr, "usage: srctl user add --email EMAIL [--name NAME] [--card NUMBER] [--pin "
                    "DIGITS]\n                      [--secret-file FILE --tenant ID] "
                    "[--card-format decimal|hex|raw] [--pin-length N]\n"
                    "       srctl user list\n");
    return SRCTL_EXIT_USAGE;
  }
  const char *card = option(argc, argv, "--card"), *pin = option(argc, argv, "--pin");
  const char *name = option(argc, argv, "--name");
  const char *pin_length = option(argc, argv, "--pin-length");
  json_t *body = json_pack("{s:s}", "email", email);
  if (name)
    json_object_set_new(body, "name", json_string(name));
  rc = card || pin
           ? hash_identity(option(argc, argv, "--secret-file"), option(argc, argv, "--tenant"),
                           email, card, pin, pin_length ? atoi(pin_length) : 4,
                           option(argc, argv, "--card-format"), body)
           : 0;
  json_t *reply = rc ? NULL : call(a, "POST", "/api/v1/users", body, 201, &rc);
  if (reply && a->json)
    print_json(reply);
  else if (reply)
    printf("user %s added: %s\n", json_string_value(json_object_get(reply, "email")),
           json_string_value(json_object_get(reply, "id")));
  json_decref(reply);
  json_decref(body);
  return rc;
}

static int device_cmd(cloud_args *a, int argc, char **argv) {
  int rc;
  if (argc >= 1 && strcmp(argv[0], "list") == 0) {
    json_t *reply = call(a, "GET", "/api/v1/devices", NULL, 200, &rc);
    if (reply)
      print_rows(a, reply, "devices");
    json_decref(reply);
    return rc;
  }
  if (argc < 2 || strcmp(argv[0], "add") != 0 || !option(argc, argv, "--uri")) {
    fprintf(stderr, "usage: srctl device add ID --uri URI [--uri URI...] [--snmp HOST:PORT] "
                    "[--name NAME]\n       srctl device list\n");
    return SRCTL_EXIT_USAGE;
  }
  json_t *body = json_pack("{s:s, s:[]}", "id", argv[1], "uris");
  for (int i = 2; i + 1 < argc; i++)
    if (strcmp(argv[i], "--uri") == 0)
      json_array_append_new(json_object_get(body, "uris"), json_string(argv[++i]));
  if (option(argc, argv, "--snmp"))
    json_object_set_new(body, "snmp", json_string(option(argc, argv, "--snmp")));
  if (option(argc, argv, "--name"))
    json_object_set_new(body, "name", json_string(option(argc, argv, "--name")));
  json_t *reply = call(a, "POST", "/api/v1/devices", body, 201, &rc);
  if (reply)
    printf("device %s added\n", argv[1]);
  json_decref(reply);
  json_decref(body);
  return rc;
}

/* DELETE /api/v1/COLLECTION/ID; prints "NOUN ID DONE" on success. */
static int remove_cmd(cloud_args *a, const char *collection, const char *noun, const char *id,
                      const char *done) {
  int rc;
  char path[160];
  snprintf(path, sizeof path, "/api/v1/%s/%.64s", collection, id);
  json_t *reply = call(a, "DELETE", path, NULL, 204, &rc);
  if (reply)
    printf("%s %s %s\n", noun, id, done);
  json_decref(reply);
  return rc;
}

static int scout_cmd(cloud_args *a, int argc, char **argv) {
  int rc;
  if (argc >= 1 && strcmp(argv[0], "list") == 0) {
    json_t *reply = call(a, "GET", "/api/v1/scouts", NULL, 200, &rc);
    if (reply)
      print_rows(a, reply, "scouts");
    json_decref(reply);
    return rc;
  }
  if (argc >= 2 && strcmp(argv[0], "remove") == 0)
    return remove_cmd(a, "scouts", "scout", argv[1],
                      "removed: the cloud and the broker refuse its certificate from now on");
  const char *kind = option(argc, argv, "--kind");
  if (argc < 1 || strcmp(argv[0], "enroll") != 0 || !kind) {
    fprintf(stderr, "usage: srctl scout enroll --kind print|site [--name NAME] [--user EMAIL] "
                    "[--directory]\n"
                    "       srctl scout list\n"
                    "       srctl scout remove ID\n");
    return SRCTL_EXIT_USAGE;
  }
  json_t *body = json_pack("{s:s}", "kind", kind);
  if (option(argc, argv, "--name"))
    json_object_set_new(body, "name", json_string(option(argc, argv, "--name")));
  if (option(argc, argv, "--user"))
    json_object_set_new(body, "user", json_string(option(argc, argv, "--user")));
  for (int i = 0; i < argc; i++)
    if (strcmp(argv[i], "--directory") == 0) /* print: logins name owners; site: may vouch */
      json_object_set_new(body, "directory", json_true());
  json_t *reply = call(a, "POST", "/api/v1/scouts", body, 201, &rc);
  if (reply && a->json)
    print_json(reply);
  else if (reply)
    printf("scout %s created\none-time enrollment token (valid %lld s): %s\n"
           "on that machine: sr-%s-scout enroll --config FILE --token TOKEN\n",
           json_string_value(json_object_get(reply, "id")),
           (long long)json_integer_value(json_object_get(reply, "expires_in")),
           json_string_value(json_object_get(reply, "enrollment_token")),
           strcmp(kind, "site") == 0 ? "device" : "print");
  json_decref(reply);
  json_decref(body);
  return rc;
}

static int delegate_cmd(cloud_args *a, int argc, char **argv) {
  int rc;
  if (argc >= 1 && strcmp(argv[0], "list") == 0) {
    json_t *reply = call(a, "GET", "/api/v1/delegations", NULL, 200, &rc);
    if (reply)
      print_rows(a, reply, "delegations");
    json_decref(reply);
    return rc;
  }
  if (argc >= 2 && strcmp(argv[0], "remove") == 0)
    return remove_cmd(a, "delegations", "delegation", argv[1], "revoked");
  const char *from = option(argc, argv, "--from"), *to = option(argc, argv, "--to");
  if (argc < 1 || strcmp(argv[0], "add") != 0 || !from || !to) {
    fprintf(stderr, "usage: srctl delegate add --from OWNER_EMAIL --to DELEGATE_EMAIL "
                    "[--until 2026-12-31T18:00:00Z]\n"
                    "       srctl delegate list\n"
                    "       srctl delegate remove ID\n");
    return SRCTL_EXIT_USAGE;
  }
  json_t *body = json_pack("{s:s, s:s}", "owner", from, "delegate", to);
  if (option(argc, argv, "--until"))
    json_object_set_new(body, "until", json_string(option(argc, argv, "--until")));
  json_t *reply = call(a, "POST", "/api/v1/delegations", body, 201, &rc);
  if (reply && a->json)
    print_json(reply);
  else if (reply)
    printf("%s may release the jobs of %s%s%s (delegation %s)\n", to, from,
           json_object_get(reply, "until") ? " until " : "",
           json_object_get(reply, "until") ? json_string_value(json_object_get(reply, "until"))
                                           : "",
           json_string_value(json_object_get(reply, "id")));
  json_decref(reply);
  json_decref(body);
  return rc;
}

int srctl_admin(const char *noun, int argc, char **argv) {
  cloud_args a = {0};
  int rc = take_cloud_args(&argc, argv, &a);
  if (rc)
    return rc;
  if (strcmp(noun, "tenant") == 0)
    rc = tenant_cmd(&a, argc, argv);
  else if (strcmp(noun, "user") == 0)
    rc = user_cmd(&a, argc, argv);
  else if (strcmp(noun, "device") == 0)
    rc = device_cmd(&a, argc, argv);
  else if (strcmp(noun, "scout") == 0)
    rc = scout_cmd(&a, argc, argv);
  else if (strcmp(noun, "delegate") == 0)
    rc = delegate_cmd(&a, argc, argv);
  else { /* jobs */
    json_t *reply = call(&a, "GET", "/api/v1/jobs", NULL, 200, &rc);
    if (reply)
      print_rows(&a, reply, "jobs");
    json_decref(reply);
  }
  memset(a.token, 0, sizeof a.token);
  return rc;
}
