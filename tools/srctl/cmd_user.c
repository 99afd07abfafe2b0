/* srctl user add: a user of the tenant. Card numbers and PINs are hashed
 * here, with the site secret, before they leave the machine. */
#include <stdio.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"
#include "idhash.h"
#include "site_key.h"
#include "sr/abi.h"

typedef struct user_args {
  const char *email, *name, *card, *pin, *secret_file, *tenant, *card_format, *region;
  long pin_length;
  sr_card_rule rule;
} user_args;

/* The token's tenant, as the cloud says (every listing names it), into
 * `tenant`; 0 or the exit status. */
static int token_tenant(srctl_cloud *a, char *tenant, size_t size) {
  int rc;
  json_t *reply = srctl_cloud_call(a, "GET", "/api/v1/users", NULL, 200, &rc);
  const char *id = json_string_value(json_object_get(reply, "tenant"));
  if (reply && !id) {
    fprintf(stderr, "srctl: the cloud did not say which tenant the token is of\n");
    rc = 1;
  }
  if (!rc)
    snprintf(tenant, size, "%s", id);
  json_decref(reply);
  return rc;
}

/* The user goes to the token's tenant: --tenant, if given, must name it
 * (a user added elsewhere than the caller meant is worse than no user).
 * The token's tenant into `tenant`; 0 or the exit status. */
static int check_tenant(srctl_cloud *a, const user_args *u, char *tenant, size_t size) {
  int rc = token_tenant(a, tenant, size);
  if (!rc && u->tenant && strcmp(u->tenant, tenant) != 0) {
    fprintf(stderr,
            "srctl: --tenant %s, but the token is tenant %s's: users are added to the token's "
            "tenant (use that tenant's token, or leave out --tenant)\n",
            u->tenant, tenant);
    rc = 1;
  }
  return rc;
}

/* Hashes the card and PIN the way the site service will: with the site
 * key of `tenant` (the token's). 0 or the exit status. */
static int hash_identity(srctl_parser *p, const user_args *u, const char *tenant, json_t *body) {
  char why[512], norm[SR_ID_MAX], mail[SR_ID_MAX], hash[SR_IDHASH_HEX_LEN + 1];
  if (u->card && sr_card_normalise(&u->rule, u->card, norm, sizeof norm) != SR_OK)
    return srctl_refuse(p, "--card: the number does not fit the %s format",
                        u->card_format ? u->card_format : "decimal");
  if (u->pin && sr_pin_normalise(u->pin, (int)u->pin_length, norm, sizeof norm) != SR_OK)
    return srctl_refuse(p, "--pin: expected %ld digits", u->pin_length);
  sr_site_key *key = NULL;
  if (sr_site_key_load(u->secret_file, tenant, &key, why, sizeof why) != SR_OK) {
    fprintf(stderr, "srctl: %s\n", why);
    return 1;
  }
  if (u->card) {
    sr_card_normalise(&u->rule, u->card, norm, sizeof norm);
    sr_idhash_hex(key, SR_ID_CARD, NULL, norm, hash);
    json_object_set_new(body, "card_hash", json_string(hash));
  }
  if (u->pin) {
    sr_email_normalise(u->email, mail, sizeof mail);
    sr_pin_normalise(u->pin, (int)u->pin_length, norm, sizeof norm);
    sr_idhash_hex(key, SR_ID_PIN, mail, norm, hash);
    json_object_set_new(body, "pin_hash", json_string(hash));
  }
  memset(norm, 0, sizeof norm);
  sr_site_key_free(key);
  return 0;
}

/* Reads the options into *u; -1 to go on, or the exit status (0 after
 * --help). */
static int parse(srctl_parser *p, const srctl_command *cmd, int argc, char **argv, srctl_cloud *a,
                 user_args *u) {
  enum { EMAIL = 256, NAME, CARD, PIN, SECRET_FILE, TENANT, CARD_FORMAT, PIN_LENGTH, REGION };
  static const struct option options[] = {{"email", required_argument, NULL, EMAIL},
                                          {"name", required_argument, NULL, NAME},
                                          {"card", required_argument, NULL, CARD},
                                          {"pin", required_argument, NULL, PIN},
                                          {"secret-file", required_argument, NULL, SECRET_FILE},
                                          {"tenant", required_argument, NULL, TENANT},
                                          {"card-format", required_argument, NULL, CARD_FORMAT},
                                          {"pin-length", required_argument, NULL, PIN_LENGTH},
                                          {"region", required_argument, NULL, REGION},
                                          {0}};
  srctl_parser_init(p, cmd, argc, argv, options, a);
  char mail[SR_ID_MAX];
  int opt;
  while ((opt = srctl_next(p)) != -1) {
    switch (opt) {
    case EMAIL: u->email = optarg; break;
    case NAME: u->name = optarg; break;
    case CARD: u->card = optarg; break;
    case PIN: u->pin = optarg; break;
    case SECRET_FILE: u->secret_file = optarg; break;
    case TENANT: u->tenant = optarg; break;
    case REGION: u->region = optarg; break; /* the cloud checks it against its regions */
    case CARD_FORMAT:
      u->card_format = optarg;
      if (strcmp(optarg, "hex") == 0)
        u->rule.format = SR_CARD_HEX;
      else if (strcmp(optarg, "raw") == 0)
        u->rule.format = SR_CARD_RAW;
      else if (strcmp(optarg, "decimal") != 0)
        return srctl_refuse(p, "--card-format: expected decimal, hex or raw, got '%s'", optarg);
      break;
    case PIN_LENGTH:
      if (!srctl_number(p, "pin-length", optarg, 4, 12, &u->pin_length))
        return p->status;
      break;
    default: return p->status;
    }
  }
  if (!srctl_positionals(p, 0, 0))
    return p->status;
  if (!u->email)
    return srctl_refuse(p, "--email is required");
  if ((u->card || u->pin) && !u->secret_file)
    return srctl_refuse(p, "--card and --pin need --secret-file (they are hashed with the site "
                           "secret here)");
  if (sr_email_normalise(u->email, mail, sizeof mail) != SR_OK)
    return srctl_refuse(p, "--email: '%s' is not an email address", u->email);
  return -1;
}

int srctl_user_add(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_cloud a;
  user_args u = {.pin_length = 4, .rule = {.format = SR_CARD_DECIMAL, .strip_leading_zeros = true}};
  int rc = parse(&p, cmd, argc, argv, &a, &u);
  if (rc >= 0)
    return rc;
  rc = srctl_cloud_open(&a, &p);
  json_t *body = json_pack("{s:s?}", "email", u.email);
  if (!rc && u.name)
    json_object_set_new(body, "name", json_string(u.name));
  if (!rc && u.region)
    json_object_set_new(body, "region", json_string(u.region));
  char tenant[128];
  if (!rc && (u.tenant || u.card || u.pin))
    rc = check_tenant(&a, &u, tenant, sizeof tenant);
  if (!rc && (u.card || u.pin))
    rc = hash_identity(&p, &u, tenant, body);
  json_t *reply = rc ? NULL : srctl_cloud_call(&a, "POST", "/api/v1/users", body, 201, &rc);
  if (reply && a.json)
    srctl_print_json(reply);
  else if (reply)
    printf("user %s added: %s\n", json_string_value(json_object_get(reply, "email")),
           json_string_value(json_object_get(reply, "id")));
  json_decref(reply);
  json_decref(body);
  srctl_cloud_close(&a);
  return rc;
}
