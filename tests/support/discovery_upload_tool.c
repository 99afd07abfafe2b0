/* Uploads a discovery result with the device scout's discovery_upload, as
 * the running service does, for tests/integration/discovery_inventory.sh:
 * prints "new=N changed=N vanished=N unchanged=N" (exit 0), or the error
 * (exit 1).
 * usage: discovery_upload_tool CLOUD_URL CA_FILE CERT_FILE KEY_FILE RESULT.json */
#include <stdio.h>

#include "discovery_upload.h"
#include "loop.h"
#include "sr/abi.h"

static int exit_status = 1;

static void done(void *ctx, bool ok, const discovery_counts *n, const char *err) {
  struct ev_loop *loop = ctx;
  if (ok) {
    printf("new=%lld changed=%lld vanished=%lld unchanged=%lld\n", (long long)n->new_,
           (long long)n->changed, (long long)n->vanished, (long long)n->unchanged);
    exit_status = 0;
  } else {
    fprintf(stderr, "discovery_upload_tool: %s\n", err);
  }
  ev_break(loop, EVBREAK_ALL);
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: discovery_upload_tool CLOUD_URL CA CERT KEY RESULT.json\n");
    return 64;
  }
  json_error_t error;
  json_t *result = json_load_file(argv[5], 0, &error);
  if (!result) {
    fprintf(stderr, "discovery_upload_tool: %s: %s\n", argv[5], error.text);
    return 1;
  }
  struct ev_loop *loop = sr_loop_default();
  sr_cloud_options o = {
      .base_url = argv[1], .ca_file = argv[2], .cert_file = argv[3], .key_file = argv[4]};
  sr_cloud_client *cloud = sr_cloud_client_new(&o);
  if (!cloud || sr_cloud_client_use_loop(cloud, loop) != SR_OK ||
      discovery_upload(cloud, result, done, loop) != SR_OK) {
    fprintf(stderr, "discovery_upload_tool: the upload could not start\n");
  } else {
    ev_run(loop, 0);
  }
  json_decref(result);
  sr_cloud_client_free(cloud);
  return exit_status;
}
