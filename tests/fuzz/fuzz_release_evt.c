/*
 * Release events as the cloud takes them from MQTT
 * (services/cloud/releases.c, cloud_release_event): every print scout
 * writes them, so every workstation is a possible author. The payload is
 * handled for tenant "t1" and scout "s1" against a database (SQLite, as
 * the cloud's, in a private directory) that holds one release "r1" of job
 * "j1" by that scout; the release and its job are set back to "releasing"
 * before each input, so every input sees the same state.
 */
#include "fuzz_cloud.h"

FUZZ_INIT(fuzz_cloud_open())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cloud_db_run(fuzz_cloud.db,
               "UPDATE releases SET state = 'releasing', reason = NULL, transport = NULL "
               "WHERE tenant = 't1' AND id = 'r1'",
               "");
  cloud_db_run(fuzz_cloud.db,
               "UPDATE jobs SET state = 'releasing', reason = NULL, release_id = 'r1' "
               "WHERE tenant = 't1' AND id = 'j1'",
               "");
  cloud_release_event(&fuzz_cloud, "t1", "s1", (const char *)data, size);
  return 0;
}
