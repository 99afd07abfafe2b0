/* TODO lead: delete at merge. A stand-in for slice 2's audit.c, so that
 * this branch's handlers can call cloud_audit already: it only logs. */
#include "cloud.h"
#include "log.h"

void cloud_audit(cloud *c, const cloud_call *k, const char *action, const char *object,
                 json_t *detail) {
  (void)c;
  sr_log(SR_LOG_INFO, "audit", "tenant %s: %s %s", k->tenant, action, object ? object : "");
  json_decref(detail);
}
