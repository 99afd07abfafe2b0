/*
 * The `ldap` identity provider (Active Directory, OpenLDAP): checks a
 * directory username and password at the site. It finds the user's entry by
 * a configurable attribute (sAMAccountName, uid), then binds as that entry
 * with the password: the directory itself decides. Runs in the site
 * service; the password goes nowhere else.
 *
 * Configuration:
 *   url: ldaps://dc1.example.com        # or ldap:// with start_tls: true
 *   start_tls: false
 *   ca_file: /etc/securerelease/ldap-ca.pem   # the directory's CA
 *   base_dn: dc=example,dc=com
 *   user_attribute: sAMAccountName     # how users type their name
 *   bind_dn: cn=printing,ou=services,dc=example,dc=com   # optional reader
 *   bind_password: ${SR_LDAP_PASSWORD}
 *   email_attribute: mail
 *   name_attribute: displayName
 *   group_attribute: memberOf
 *   timeout_ms: 5000
 */
#include <lber.h>
#include <ldap.h>
#include <sr/idp.h>
#include <sr/plugin.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

typedef struct ldap_idp {
  sr_plugin *self;
  const char *url, *ca_file, *base_dn, *user_attribute, *bind_dn, *bind_password;
  const char *email_attribute, *name_attribute, *group_attribute;
  bool start_tls;
  int64_t timeout_ms;
} ldap_idp;

static const char *const known_keys[] = {"url",
                                         "start_tls",
                                         "ca_file",
                                         "base_dn",
                                         "user_attribute",
                                         "bind_dn",
                                         "bind_password",
                                         "email_attribute",
                                         "name_attribute",
                                         "group_attribute",
                                         "timeout_ms",
                                         NULL};

/* An optional text key: NULL when absent. */
static int optional_string(const sr_config_node *config, const char *key, const char **out) {
  *out = NULL;
  return sr_host->config_child(config, key) ? sr_host->config_string(config, key, NULL, out)
                                            : SR_OK;
}

static int read_config(const sr_config_node *config, ldap_idp *out) {
  ldap_idp scratch;
  if (!out)
    out = &scratch;
  memset(out, 0, sizeof *out);
  int status = config ? sr_host->config_only_keys(config, known_keys) : SR_OK;
  if (!config || sr_host->config_string(config, "url", NULL, &out->url) != SR_OK ||
      sr_host->config_string(config, "base_dn", NULL, &out->base_dn) != SR_OK ||
      optional_string(config, "ca_file", &out->ca_file) != SR_OK ||
      sr_host->config_string(config, "user_attribute", "uid", &out->user_attribute) != SR_OK ||
      optional_string(config, "bind_dn", &out->bind_dn) != SR_OK ||
      optional_string(config, "bind_password", &out->bind_password) != SR_OK ||
      sr_host->config_string(config, "email_attribute", "mail", &out->email_attribute) != SR_OK ||
      sr_host->config_string(config, "name_attribute", "cn", &out->name_attribute) != SR_OK ||
      sr_host->config_string(config, "group_attribute", "memberOf", &out->group_attribute) !=
          SR_OK ||
      sr_host->config_bool(config, "start_tls", false, &out->start_tls) != SR_OK ||
      sr_host->config_int(config, "timeout_ms", 5000, 100, 60000, &out->timeout_ms) != SR_OK)
    return SR_ERR_CONFIG;
  if (!out->url || !out->base_dn) {
    if (config)
      sr_host->config_error(config, "the ldap provider needs 'url' and 'base_dn'");
    return SR_ERR_CONFIG;
  }
  if (strncmp(out->url, "ldaps://", 8) != 0 && !out->start_tls) {
    /* a password in clear on the network is never the right setting */
    sr_host->config_error(sr_host->config_child(config, "url"),
                          "use ldaps:// or start_tls: true (passwords are sent to the directory)");
    return SR_ERR_CONFIG;
  }
  return status;
}

static int directory_check_config(sr_plugin *self, const sr_config_node *config) {
  (void)self;
  return read_config(config, NULL);
}

static int directory_create(sr_plugin *self, const sr_config_node *config, void **instance) {
  ldap_idp *l = sr_host->alloc(sizeof *l);
  if (!l)
    return SR_ERR_NOMEM;
  int status = read_config(config, l);
  if (status != SR_OK) {
    sr_host->free(l);
    return status;
  }
  l->self = self;
  *instance = l;
  return SR_OK;
}

static void directory_destroy(void *instance) { sr_host->free(instance); }

/* A connection with TLS (LDAPS or StartTLS) to the directory; NULL and the
 * reason set through the host when it cannot be had. */
static LDAP *connect_directory(ldap_idp *l) {
  LDAP *ld = NULL;
  int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
  struct timeval tv = {(time_t)(l->timeout_ms / 1000), (suseconds_t)(l->timeout_ms % 1000) * 1000};
  if (ldap_initialize(&ld, l->url) != LDAP_SUCCESS) {
    sr_host->set_error(l->self, SR_ERR_CONFIG, "%s: not an LDAP URL", l->url);
    return NULL;
  }
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
  ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  if (l->ca_file)
    ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, l->ca_file);
  ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
  int rc = l->start_tls ? ldap_start_tls_s(ld, NULL, NULL) : LDAP_SUCCESS;
  if (rc != LDAP_SUCCESS) {
    sr_host->set_error(l->self, SR_ERR_CONNECT, "%s: StartTLS failed: %s", l->url,
                       ldap_err2string(rc));
    ldap_unbind_ext_s(ld, NULL, NULL);
    return NULL;
  }
  return ld;
}

static int simple_bind(LDAP *ld, const char *dn, const char *password) {
  struct berval cred = {password ? strlen(password) : 0, (char *)(password ? password : "")};
  return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
}

static char *first_value(LDAP *ld, LDAPMessage *entry, const char *attribute) {
  struct berval **values = ldap_get_values_len(ld, entry, attribute);
  char *copy = NULL;
  if (values && values[0]) {
    copy = sr_host->alloc(values[0]->bv_len + 1);
    if (copy)
      memcpy(copy, values[0]->bv_val, values[0]->bv_len);
  }
  ldap_value_free_len(values);
  return copy;
}

static void read_groups(LDAP *ld, LDAPMessage *entry, const char *attribute, sr_identity *out) {
  struct berval **values = ldap_get_values_len(ld, entry, attribute);
  size_t n = values ? (size_t)ldap_count_values_len(values) : 0;
  out->groups = n ? sr_host->alloc(n * sizeof *out->groups) : NULL;
  for (size_t i = 0; out->groups && i < n; i++) {
    out->groups[i] = sr_host->alloc(values[i]->bv_len + 1);
    if (!out->groups[i])
      break;
    memcpy(out->groups[i], values[i]->bv_val, values[i]->bv_len);
    out->n_groups++;
  }
  ldap_value_free_len(values);
}

/* Connects, binds as the reader account (if any) and finds the single
 * entry whose user attribute is `username` (escaped into the filter: no
 * injection). Returns the entry (in *result, freed by the caller with
 * *ld) or NULL: *status says why (SR_ERR_NOT_FOUND for no single entry). */
static LDAPMessage *find_user(ldap_idp *l, const char *username, LDAP **ld, LDAPMessage **result,
                              int *status) {
  *result = NULL;
  *status = SR_ERR_CONNECT;
  if (!(*ld = connect_directory(l)))
    return NULL;
  int rc = l->bind_dn ? simple_bind(*ld, l->bind_dn, l->bind_password) : LDAP_SUCCESS;
  if (rc != LDAP_SUCCESS) {
    sr_host->set_error(l->self, SR_ERR_CONNECT, "%s: the reader account cannot bind: %s", l->url,
                       ldap_err2string(rc));
    *status = rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ? SR_ERR_CONNECT : SR_ERR_CONFIG;
    return NULL;
  }
  struct berval typed = {strlen(username), (char *)username}, escaped = {0, NULL};
  if (ldap_bv2escaped_filter_value(&typed, &escaped) != 0) {
    *status = SR_ERR_NOMEM;
    return NULL;
  }
  char filter[1024];
  snprintf(filter, sizeof filter, "(%s=%s)", l->user_attribute, escaped.bv_val);
  ber_memfree(escaped.bv_val);
  char *attributes[] = {(char *)l->email_attribute, (char *)l->name_attribute,
                        (char *)l->group_attribute, NULL};
  struct timeval tv = {(time_t)(l->timeout_ms / 1000), 0};
  rc = ldap_search_ext_s(*ld, l->base_dn, LDAP_SCOPE_SUBTREE, filter, attributes, 0, NULL, NULL,
                         &tv, 2, result);
  if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT) {
    sr_host->set_error(l->self, SR_ERR_CONNECT, "%s: %s", l->url, ldap_err2string(rc));
    return NULL;
  }
  *status = SR_ERR_NOT_FOUND; /* no such user, or the name is not unique */
  return rc == LDAP_SUCCESS && ldap_count_entries(*ld, *result) == 1
             ? ldap_first_entry(*ld, *result)
             : NULL;
}

static void fill_identity(ldap_idp *l, LDAP *ld, LDAPMessage *entry, const char *dn,
                          sr_identity *out) {
  out->subject = sr_host->strdup(dn);
  out->email = first_value(ld, entry, l->email_attribute);
  out->name = first_value(ld, entry, l->name_attribute);
  read_groups(ld, entry, l->group_attribute, out);
}

static void disconnect(LDAP *ld, LDAPMessage *result) {
  ldap_msgfree(result);
  if (ld)
    ldap_unbind_ext_s(ld, NULL, NULL);
}

/* Who `username` is in the directory (no password: the reader account
 * searches), for workstations whose login names the user. */
static int directory_lookup(void *instance, const char *username, sr_identity *out) {
  ldap_idp *l = instance;
  if (!username || !*username)
    return SR_ERR_NOT_FOUND;
  LDAP *ld = NULL;
  LDAPMessage *result = NULL;
  int status;
  LDAPMessage *entry = find_user(l, username, &ld, &result, &status);
  char *dn = entry ? ldap_get_dn(ld, entry) : NULL;
  if (dn) {
    fill_identity(l, ld, entry, dn, out);
    status = SR_OK;
  }
  ldap_memfree(dn);
  disconnect(ld, result);
  return status;
}

static int directory_authenticate(void *instance, const sr_credential *cred, sr_identity *out) {
  ldap_idp *l = instance;
  if (cred->type != SR_CRED_PASSWORD || !cred->identifier)
    return SR_ERR_DEFER;
  /* an empty password would be an unauthenticated bind, which succeeds */
  if (!cred->secret || !*cred->secret || !*cred->identifier)
    return SR_ERR_AUTH;
  LDAP *ld = NULL;
  LDAPMessage *result = NULL;
  int status;
  LDAPMessage *entry = find_user(l, cred->identifier, &ld, &result, &status);
  if (!entry && status != SR_ERR_NOT_FOUND)
    goto out;
  status = SR_ERR_AUTH;
  if (!entry) { /* no such user, or the name is not unique: refused */
    sr_host->set_error(l->self, SR_ERR_AUTH, "no single directory entry for that username");
    goto out;
  }
  char *dn = ldap_get_dn(ld, entry);
  int rc = dn ? simple_bind(ld, dn, cred->secret) : LDAP_OTHER;
  if (rc == LDAP_SUCCESS) {
    fill_identity(l, ld, entry, dn, out);
    status = SR_OK;
  } else if (rc == LDAP_INVALID_CREDENTIALS) {
    sr_host->set_error(l->self, SR_ERR_AUTH, "wrong password");
  } else {
    sr_host->set_error(l->self, SR_ERR_CONNECT, "%s: bind failed: %s", l->url, ldap_err2string(rc));
    status = SR_ERR_CONNECT;
  }
  ldap_memfree(dn);
out:
  disconnect(ld, result);
  return status;
}

static const sr_idp_ops ldap_ops = {
    .base = {.check_config = directory_check_config,
             .create = directory_create,
             .destroy = directory_destroy},
    .authenticate = directory_authenticate,
    .lookup_user = directory_lookup,
};

/* Instances hold only their configuration; each call opens its own LDAP
 * connection, so one slow bind does not hold up other logins. */
SR_PLUGIN_DECLARE_FLAGS(SR_PLUGIN_IDP, "ldap", "1.0.0",
                        "Active Directory / LDAP passwords at the site", ldap_ops, 0,
                        SR_PLUGIN_THREAD_SAFE)
