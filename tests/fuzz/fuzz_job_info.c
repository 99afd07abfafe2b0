/*
 * The job information JSON (core/job_info.c) as a scout reads it from a
 * job file. The file authenticates, but its writer is another machine: a
 * print scout of another version, or one an attacker controls. What
 * parses is serialised again, as the scout does when it re-stores a job.
 */
#include "fuzz_common.h"
#include "job_info.h"
#include "sr/abi.h"

FUZZ_INIT_QUIET()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  sr_job_info info;
  char why[256];
  if (sr_job_info_from_json(text, &info, why, sizeof why) == SR_OK) {
    char *json = NULL;
    if (sr_job_info_to_json(&info, &json) == SR_OK) {
      /* what we write we must read back */
      sr_job_info again;
      if (sr_job_info_from_json(json, &again, why, sizeof why) != SR_OK)
        abort();
    }
    free(json);
  }
  free(text);
  return 0;
}
