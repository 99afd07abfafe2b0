#include "snmp_client.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sr_snmp {
  void *session; /* snmp_sess_open() handle */
  char address[256];
  char error[512];
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_library(void) {
  /* Numeric OIDs only: no MIB files, no configuration or persistent
   * state read from or written to the machine. */
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
  setenv("MIBS", "", 0);
  init_snmp("securerelease");
}

static int fail(sr_snmp *s, int status, const char *fmt, ...) SR_PRINTF(3, 4);
static int fail(sr_snmp *s, int status, const char *fmt, ...) {
  int n = snprintf(s->error, sizeof s->error, "SNMP agent %s: ", s->address);
  va_list ap;
  va_start(ap, fmt);
  if (n > 0 && (size_t)n < sizeof s->error)
    vsnprintf(s->error + n, sizeof s->error - (size_t)n, fmt, ap);
  va_end(ap);
  return status;
}

void sr_snmp_init(void) { pthread_once(&init_once, init_library); }

int sr_snmp_open(const char *address, const sr_snmp_options *options, sr_snmp **out, char *err,
                 size_t err_size) {
  sr_snmp_init();
  sr_snmp *s = calloc(1, sizeof *s);
  if (!s)
    return SR_ERR_NOMEM;
  snprintf(s->address, sizeof s->address, "%s", address);
  char peer[300];
  snprintf(peer, sizeof peer, "udp:%s", address);
  const char *community = options && options->community ? options->community : "public";
  netsnmp_session config;
  snmp_sess_init(&config);
  config.peername = peer;
  config.version = options && options->version == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
  config.community = (u_char *)community;
  config.community_len = strlen(community);
  config.timeout = (options && options->timeout_ms > 0 ? options->timeout_ms : 1000) * 1000L;
  config.retries = options ? options->retries : 1;
  s->session = snmp_sess_open(&config); /* copies what it needs */
  if (!s->session) {
    snprintf(err, err_size, "cannot open an SNMP session to %s", address);
    free(s);
    return SR_ERR_CONNECT;
  }
  *out = s;
  return SR_OK;
}

void sr_snmp_close(sr_snmp *s) {
  if (!s)
    return;
  snmp_sess_close(s->session);
  free(s);
}

const char *sr_snmp_error(const sr_snmp *s) { return s->error; }

static bool printable(const u_char *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
      return false;
  return true;
}

/* Text form of a variable, as the header documents. */
void sr_snmp_value_text(const netsnmp_variable_list *v, char *out, size_t size) {
  switch (v->type) {
  case ASN_INTEGER: snprintf(out, size, "%ld", *v->val.integer); break;
  case ASN_COUNTER:
  case ASN_GAUGE:
  case ASN_TIMETICKS:
  case ASN_UINTEGER: snprintf(out, size, "%lu", (unsigned long)*v->val.integer); break;
  case ASN_COUNTER64:
    snprintf(out, size, "%llu",
             ((unsigned long long)v->val.counter64->high << 32) | v->val.counter64->low);
    break;
  case ASN_OBJECT_ID: {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < v->val_len / sizeof(oid) && used + 1 < size; i++)
      used += (size_t)snprintf(out + used, size - used, i ? ".%lu" : "%lu",
                               (unsigned long)v->val.objid[i]);
    break;
  }
  case ASN_OCTET_STR:
    if (printable(v->val.string, v->val_len)) {
      snprintf(out, size, "%.*s", (int)v->val_len, (const char *)v->val.string);
    } else {
      size_t used = (size_t)snprintf(out, size, "hex:");
      for (size_t i = 0; i < v->val_len && used + 3 <= size; i++)
        used += (size_t)snprintf(out + used, size - used, "%02x", v->val.string[i]);
    }
    break;
  case ASN_IPADDRESS:
    snprintf(out, size, "%u.%u.%u.%u", v->val.string[0], v->val.string[1], v->val.string[2],
             v->val.string[3]);
    break;
  default: snprintf(out, size, "%s", ""); break;
  }
}

/* Dotted text of a variable's name. */
static void format_name(const netsnmp_variable_list *v, char *out, size_t size) {
  size_t used = 0;
  out[0] = '\0';
  for (size_t i = 0; i < v->name_length && used + 1 < size; i++)
    used +=
        (size_t)snprintf(out + used, size - used, i ? ".%lu" : "%lu", (unsigned long)v->name[i]);
}

/* Sends `pdu` (consumed) and returns the response or NULL with an error. */
static netsnmp_pdu *exchange(sr_snmp *s, netsnmp_pdu *pdu, int *status) {
  netsnmp_pdu *response = NULL;
  int rc = snmp_sess_synch_response(s->session, pdu, &response);
  if (rc == STAT_TIMEOUT) {
    *status = fail(s, SR_ERR_TIMEOUT, "no answer");
    return NULL;
  }
  if (rc != STAT_SUCCESS || !response) {
    *status = fail(s, SR_ERR_PEER, "request failed");
    snmp_free_pdu(response);
    return NULL;
  }
  if (response->errstat != SNMP_ERR_NOERROR) {
    *status = response->errstat == SNMP_ERR_NOSUCHNAME
                  ? fail(s, SR_ERR_NOT_FOUND, "no such object")
                  : fail(s, SR_ERR_PEER, "%s", snmp_errstring((int)response->errstat));
    snmp_free_pdu(response);
    return NULL;
  }
  *status = SR_OK;
  return response;
}

static bool parse_oid(sr_snmp *s, const char *text, oid *name, size_t *len) {
  *len = MAX_OID_LEN;
  if (!read_objid(text, name, len)) {
    fail(s, SR_ERR_INVALID, "bad OID '%s'", text);
    return false;
  }
  return true;
}

int sr_snmp_get(sr_snmp *s, const char *oid_text, char *value, size_t value_size) {
  oid name[MAX_OID_LEN];
  size_t len;
  if (!parse_oid(s, oid_text, name, &len))
    return SR_ERR_INVALID;
  netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GET);
  snmp_add_null_var(pdu, name, len);
  int status;
  netsnmp_pdu *response = exchange(s, pdu, &status);
  if (!response)
    return status;
  netsnmp_variable_list *v = response->variables;
  if (!v || v->type == SNMP_NOSUCHOBJECT || v->type == SNMP_NOSUCHINSTANCE ||
      v->type == SNMP_ENDOFMIBVIEW) {
    status = fail(s, SR_ERR_NOT_FOUND, "no object %s", oid_text);
  } else {
    sr_snmp_value_text(v, value, value_size);
  }
  snmp_free_pdu(response);
  return status;
}

int sr_snmp_walk(sr_snmp *s, const char *oid_text, sr_snmp_walk_fn fn, void *fctx) {
  oid root[MAX_OID_LEN], next[MAX_OID_LEN];
  size_t root_len, next_len;
  if (!parse_oid(s, oid_text, root, &root_len))
    return SR_ERR_INVALID;
  memcpy(next, root, root_len * sizeof(oid));
  next_len = root_len;
  for (int guard = 0; guard < 100000; guard++) {
    netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
    snmp_add_null_var(pdu, next, next_len);
    int status;
    netsnmp_pdu *response = exchange(s, pdu, &status);
    if (!response)
      return status == SR_ERR_NOT_FOUND ? SR_OK : status; /* v1 end of MIB */
    netsnmp_variable_list *v = response->variables;
    bool inside = v && v->type != SNMP_ENDOFMIBVIEW && v->type != SNMP_NOSUCHOBJECT &&
                  v->type != SNMP_NOSUCHINSTANCE && v->name_length > root_len &&
                  netsnmp_oid_is_subtree(root, root_len, v->name, v->name_length) == 0;
    /* an agent answering with a smaller OID would loop forever */
    if (inside && snmp_oid_compare(v->name, v->name_length, next, next_len) <= 0) {
      snmp_free_pdu(response);
      return fail(s, SR_ERR_PEER, "OIDs not increasing during a walk");
    }
    if (!inside) {
      snmp_free_pdu(response);
      return SR_OK;
    }
    char name_text[512], value[1024];
    format_name(v, name_text, sizeof name_text);
    sr_snmp_value_text(v, value, sizeof value);
    memcpy(next, v->name, v->name_length * sizeof(oid));
    next_len = v->name_length;
    snmp_free_pdu(response);
    status = fn(fctx, name_text, value);
    if (status != SR_OK)
      return status;
  }
  return fail(s, SR_ERR_PEER, "walk too long");
}

static int target_get(void *ctx, const char *oid_text, char *value, size_t value_size) {
  return sr_snmp_get(ctx, oid_text, value, value_size);
}

static int target_walk(void *ctx, const char *oid_text, sr_snmp_walk_fn fn, void *fctx) {
  return sr_snmp_walk(ctx, oid_text, fn, fctx);
}

void sr_snmp_target(sr_snmp *s, sr_device_target *target) {
  memset(target, 0, sizeof *target);
  target->struct_size = sizeof *target;
  target->address = s->address;
  target->snmp_ctx = s;
  target->snmp_get = target_get;
  target->snmp_walk = target_walk;
}

int sr_snmp_decode(const unsigned char *pdu_bytes, size_t len, sr_snmp_walk_fn fn, void *fctx) {
  sr_snmp_init();
  netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
  if (!pdu)
    return SR_ERR_NOMEM;
  /* net-snmp's parser takes a non-const buffer (it never writes to it) */
  u_char *copy = malloc(len ? len : 1);
  if (!copy) {
    snmp_free_pdu(pdu);
    return SR_ERR_NOMEM;
  }
  memcpy(copy, pdu_bytes, len);
  size_t left = len;
  int status = snmp_pdu_parse(pdu, copy, &left) == 0 ? SR_OK : SR_ERR_PEER;
  for (netsnmp_variable_list *v = pdu->variables; status == SR_OK && v; v = v->next_variable) {
    char name_text[512], value[1024];
    format_name(v, name_text, sizeof name_text);
    sr_snmp_value_text(v, value, sizeof value);
    status = fn(fctx, name_text, value);
  }
  free(copy);
  snmp_free_pdu(pdu);
  return status;
}
