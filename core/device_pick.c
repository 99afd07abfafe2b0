#include "device_pick.h"

#include <string.h>

int sr_device_pick(sr_instance **drivers, size_t n, const sr_device_probe *probe,
                   sr_device_identity *out) {
  int best = -1;
  sr_device_identity best_identity = {0};
  for (size_t i = 0; i < n; i++) {
    const sr_device_ops *ops = &sr_instance_ops_of(drivers[i])->device;
    if (!ops->identify)
      continue;
    sr_device_identity identity = {.struct_size = sizeof identity};
    sr_instance_call_begin(drivers[i]);
    int rc = ops->identify(drivers[i]->state, probe, &identity);
    sr_instance_call_end(drivers[i]);
    /* strictly greater: on a tie the earlier driver in the list keeps it */
    if (rc == SR_OK && identity.score > 0 && (best < 0 || identity.score > best_identity.score)) {
      best = (int)i;
      best_identity = identity;
    }
  }
  if (out && best >= 0) {
    /* a driver may leave strings unterminated at their full size */
    best_identity.vendor[sizeof best_identity.vendor - 1] = '\0';
    best_identity.model[sizeof best_identity.model - 1] = '\0';
    best_identity.serial[sizeof best_identity.serial - 1] = '\0';
    *out = best_identity;
    out->struct_size = sizeof *out;
  }
  return best;
}
