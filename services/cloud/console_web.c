/*
 * The console's and portal's pages, served by the cloud from the same
 * origin as its API (docs/console.md): /console/... and /portal/... are
 * pages of web/console and web/portal (NAME.html when there is one, else
 * the app's index.html), /console/assets/, /portal/assets/ and
 * /web/shared/ their files, all through core/web_files.c (its CSP and
 * headers). The sign-in steps with OpenID Connect live on page URLs too
 * (console_oidc.c).
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cloud.h"
#include "log.h"

static const sr_web_page pages[] = {
    {.path = "/console/", .max_segments = 2, .file = "console/index.html", .try_named = true},
    {.path = "/portal/", .max_segments = 2, .file = "portal/index.html", .try_named = true},
};
static const sr_web_assets assets[] = {
    {"/console/assets/", "console/assets"},
    {"/portal/assets/", "portal/assets"},
    {"/web/shared/", "shared"},
};

bool cloud_console_init(cloud *c, char *err, size_t err_size) {
  const sr_cloud_config *cc = &c->cfg.u.cloud;
  if (cc->console.public_url) {
    size_t n = strlen(cc->console.public_url);
    while (n && cc->console.public_url[n - 1] == '/')
      n--;
    if (strncmp(cc->console.public_url, "https://", 8) != 0 || n <= 8 ||
        n >= sizeof c->public_url || memchr(cc->console.public_url + 8, '/', n - 8)) {
      snprintf(err, err_size, "console.public_url must be https://HOST[:PORT], no path");
      return false;
    }
    snprintf(c->public_url, sizeof c->public_url, "%.*s", (int)n, cc->console.public_url);
  } /* else main.c writes https://ADDRESS:PORT once it listens */
  char root[PATH_MAX] = "";
  if (cc->console.web_root)
    sr_config_path(c->doc, cc->console.web_root, root, sizeof root);
  if (!sr_web_files_init(&c->web, root, SR_WEB_INSTALL_DIR, SR_WEB_SOURCE_DIR, "console/link.html",
                         "console.web_root", pages, sizeof pages / sizeof *pages, assets,
                         sizeof assets / sizeof *assets, err, err_size)) {
    if (root[0])
      return false;
    /* not installed: the API works without its pages */
    sr_log(SR_LOG_WARN, "console", "%s; the console and portal are not served", err);
    c->web.root[0] = '\0';
  }
  return true;
}

bool cloud_console_path(const char *path) { return strncmp(path, "/api/", 5) != 0; }

void cloud_console_handle(cloud *c, const sr_http_request *req, sr_http_response *resp) {
  bool get = strcmp(req->method, "GET") == 0;
  if (get &&
      (strcmp(req->path, "/console/login") == 0 || strcmp(req->path, "/portal/login") == 0)) {
    cloud_console_login(c, req, resp);
    return;
  }
  if (get && strcmp(req->path, "/console/oidc/callback") == 0) {
    cloud_console_callback(c, req, resp);
    return;
  }
  if (!c->web.root[0]) {
    sr_http_reply_error(resp, 404, "not_found", "no such page: %.200s", req->path);
    resp->headers = sr_web_security_headers;
    return;
  }
  sr_web_files_handle(&c->web, req, resp);
}
