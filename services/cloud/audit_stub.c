/* A stand-in for slice 2's audit.c (issue 14) so that this branch builds:
 * the lead deletes this file when merging. It only logs. */
#include "cloud.h"
#include "log.h"

void cloud_audit(cloud *c, const cloud_call *k, const char *action, const char *object,
                 json_t *detail) {
  (void)c;
  sr_log(SR_LOG_INFO, "audit", "tenant %s: %s %s by %s", k->tenant, action, object, k->actor);
  json_decref(detail);
}
