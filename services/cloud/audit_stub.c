/* A stand-in for audit.c (branch console-pages) so that this branch builds
 * on its own: it logs the action. The lead deletes this file at merge. */
#include "cloud.h"
#include "log.h"

void cloud_audit(cloud *c, const cloud_call *k, const char *action, const char *object,
                 json_t *detail) {
  (void)c;
  sr_log(SR_LOG_INFO, "audit", "tenant %s: %s %s %s", k->tenant, k->actor, action,
         object ? object : "");
  json_decref(detail);
}
