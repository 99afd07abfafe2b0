/*
 * A site's discovery uploads (services/cloud/discovered.c): the body of
 * PUT /api/v1/site/discovery as site scout "s2" of tenant t1 sends it, the
 * least trusted input the inventory has (a compromised site's scanner, or
 * the agents it read: models, serials and sysDescr come from any device on
 * the network). What passes the checks is stored; then the administrator
 * lists the rows and accepts the first printer with the default id and
 * name (made from the fuzzed model and serial), and the site reads its
 * devices back. Rows an input added are deleted after it.
 */
#include "fuzz_cloud.h"

static void call(const char *method, const char *path, const char *bearer, const char *body,
                 size_t len, json_t *scout, void (*handle)(cloud_call *)) {
  static const char *const fields[] = {"scan", "devices", NULL};
  sr_http_request req = {.method = method,
                         .path = path,
                         .query = "",
                         .bearer = bearer,
                         .remote = "fuzz",
                         .body = body,
                         .body_len = len};
  sr_http_response resp = {0};
  if (handle) { /* a site route: the caller is the site (the router's certificate check) */
    cloud_call k = {.c = &fuzz_cloud, .req = &req, .resp = &resp, .fields = fields, .scout = scout};
    handle(&k);
  } else {
    cloud_api_handle(&fuzz_cloud, &req, &resp);
  }
  if (getenv("FUZZ_DEBUG")) /* what a seed reaches */
    fprintf(stderr, "%s %s -> %d %s\n", method, path, resp.status, resp.body ? resp.body : "");
  free(resp.body);
}

FUZZ_INIT(fuzz_cloud_open())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = fuzz_text(data, size);
  json_t *site = json_pack("{s:s, s:s, s:s}", "id", "s2", "tenant", "t1", "kind", "site");
  call("PUT", "/api/v1/site/discovery", NULL, body, size, site, cloud_site_discovery_put);
  call("GET", "/api/v1/discovered", FUZZ_ADMIN_TOKEN, "", 0, NULL, NULL);
  json_t *first = cloud_db_row(
      fuzz_cloud.db, "SELECT id FROM discovered WHERE kind = 'printer' ORDER BY address", "");
  if (first) {
    char path[128];
    snprintf(path, sizeof path, "/api/v1/discovered/%s/accept", cloud_row_text(first, "id"));
    call("POST", path, FUZZ_ADMIN_TOKEN, "", 0, NULL, NULL);
  }
  call("GET", "/api/v1/site/devices", NULL, "", 0, site, cloud_site_devices);
  json_decref(first);
  json_decref(site);
  free(body);
  cloud_db_run(fuzz_cloud.db, "DELETE FROM devices", "");
  cloud_db_run(fuzz_cloud.db, "DELETE FROM discovered", "");
  return 0;
}
