/*
 * JSON bodies of the cloud's REST API (services/cloud): a tenant
 * administrator's requests, which are as untrusted as any client's. The
 * first byte picks the route (POST users, devices, scouts or delegations),
 * the rest is the body; the request goes through cloud_api_handle, the
 * routing the HTTP server calls, with tenant t1's administrator token, so
 * cloud_api_body (JSON object, known fields) and each handler's own field
 * checks (names, e-mail addresses, card and PIN hashes, printer URIs, SNMP
 * addresses, dates, delegations) all see the body, and what passes them is
 * written to the database. Rows an input added are deleted after it.
 */
#include "fuzz_cloud.h"

static const char *const paths[] = {"/api/v1/users", "/api/v1/devices", "/api/v1/scouts",
                                    "/api/v1/delegations"};

FUZZ_INIT(fuzz_cloud_open())

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  char *body = fuzz_text(data + 1, size - 1);
  sr_http_request req = {.method = "POST",
                         .path = paths[data[0] % (sizeof paths / sizeof *paths)],
                         .query = "",
                         .bearer = FUZZ_ADMIN_TOKEN,
                         .remote = "fuzz",
                         .body = body,
                         .body_len = size - 1};
  sr_http_response resp = {0};
  cloud_api_handle(&fuzz_cloud, &req, &resp);
  if (getenv("FUZZ_DEBUG")) /* what a seed reaches */
    fprintf(stderr, "%s -> %d %s\n", req.path, resp.status, resp.body ? resp.body : "");
  free(resp.body);
  free(body);
  static const char *const cleanup[] = {
      "DELETE FROM delegations",
      "DELETE FROM devices",
      "DELETE FROM scouts WHERE id != 's1'",
      "DELETE FROM users WHERE id NOT IN ('u1', 'u2')",
  };
  for (size_t i = 0; i < sizeof cleanup / sizeof *cleanup; i++)
    cloud_db_run(fuzz_cloud.db, cleanup[i], "");
  return 0;
}
