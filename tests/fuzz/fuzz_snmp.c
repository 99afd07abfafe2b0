/*
 * SNMP answers as the printer_mib driver reads them. A printer (or anything
 * on the network answering UDP from its address) writes these bytes. The
 * input is a response PDU; core/snmp_client.c decodes it with net-snmp and
 * turns each variable into text (sr_snmp_decode, the same formatting as a
 * get or a walk); those variables are then the whole agent the driver
 * (plugins/devices/printer_mib, compiled in) reads its status, meters,
 * supplies and alerts from, through a target whose get and walk answer from them.
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "loader.h"
#include "snmp_client.h"
#include "sr/device.h"
#include "sr/plugin.h"

int sr_plugin_entry(const sr_host_api *host, sr_plugin *self, const sr_plugin_decl **decl);

#define MAX_VARS 64

typedef struct agent {
  size_t count;
  char oid[MAX_VARS][512];
  char value[MAX_VARS][1024];
} agent;

static int collect(void *ctx, const char *oid, const char *value) {
  agent *a = ctx;
  if (a->count == MAX_VARS)
    return SR_ERR_EXISTS;
  snprintf(a->oid[a->count], sizeof a->oid[0], "%s", oid);
  snprintf(a->value[a->count], sizeof a->value[0], "%s", value);
  a->count++;
  return SR_OK;
}

/* A get answers the variable with exactly that name, as an agent would. */
static int agent_get(void *ctx, const char *oid, char *value, size_t size) {
  agent *a = ctx;
  if (*oid == '.')
    oid++;
  for (size_t i = 0; i < a->count; i++)
    if (strcmp(a->oid[i], oid) == 0) {
      snprintf(value, size, "%s", a->value[i]);
      return SR_OK;
    }
  return SR_ERR_NOT_FOUND;
}

/* A walk gives what lies strictly under `oid`, in the answer's order (the
 * real walk also insists on increasing names; the driver must cope with
 * any names under the subtree). */
static int agent_walk(void *ctx, const char *oid, sr_snmp_walk_fn fn, void *fctx) {
  agent *a = ctx;
  if (*oid == '.')
    oid++;
  size_t len = strlen(oid);
  for (size_t i = 0; i < a->count; i++)
    if (strncmp(a->oid[i], oid, len) == 0 && a->oid[i][len] == '.' && a->oid[i][len + 1]) {
      int status = fn(fctx, a->oid[i], a->value[i]);
      if (status != SR_OK)
        return status;
    }
  return SR_OK;
}

static const sr_device_ops *ops;
static void *driver;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet();
  const sr_plugin_decl *decl;
  if (sr_plugin_entry(sr_host_api_get(), NULL, &decl) != SR_OK)
    abort();
  ops = decl->ops;
  if (ops->base.create(NULL, NULL, &driver) != SR_OK)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static agent a;
  a.count = 0;
  if (sr_snmp_decode(data, size, collect, &a) != SR_OK && a.count == 0)
    return 0;
  sr_device_target target = {.struct_size = sizeof target,
                             .address = "fuzz",
                             .snmp_ctx = &a,
                             .snmp_get = agent_get,
                             .snmp_walk = agent_walk};
  sr_device_status status = {.struct_size = sizeof status};
  (void)ops->read_status(driver, &target, &status);
  sr_device_meters meters = {.struct_size = sizeof meters};
  (void)ops->read_meters(driver, &target, &meters);
  sr_device_supplies supplies = {.struct_size = sizeof supplies};
  (void)ops->read_supplies(driver, &target, &supplies);
  sr_device_alerts alerts = {.struct_size = sizeof alerts};
  (void)ops->read_alerts(driver, &target, &alerts);
  /* identification reads the system group's text as the host gives it */
  sr_device_probe probe = {.struct_size = sizeof probe};
  char none[1] = "";
  probe.sys_object_id = a.count > 0 ? a.value[0] : none;
  probe.sys_descr = a.count > 1 ? a.value[1] : none;
  probe.hr_device_descr = a.count > 2 ? a.value[2] : NULL;
  probe.serial = a.count > 3 ? a.value[3] : NULL;
  sr_device_identity identity = {.struct_size = sizeof identity};
  (void)ops->identify(driver, &probe, &identity);
  return 0;
}
