#include "web_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sent with every page, asset and error of the page's paths. The script
 * and styles come only from our own files (no inline script: a value a
 * user typed can never run), images also as data: URLs (the kiosk's QR
 * code is an SVG the API hands over); no other site is ever contacted,
 * and no other site may frame the page (clickjacking a "print all"). */
const char *const sr_web_security_headers[] = {
    "content-security-policy:",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options:",
    "nosniff",
    "referrer-policy:",
    "no-referrer",
    "x-frame-options:",
    "DENY",
    "cross-origin-opener-policy:",
    "same-origin",
    NULL};

/* Pages and assets change with a release of the software: a browser asks
 * again each time (a 304 is a few bytes) rather than run a stale script
 * against a newer API. */
#define CACHE_REVALIDATE "no-cache"

static const struct {
  const char *suffix, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type_of(const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < sizeof content_types / sizeof *content_types; i++) {
    size_t n = strlen(content_types[i].suffix);
    if (len > n && strcmp(name + len - n, content_types[i].suffix) == 0)
      return content_types[i].type;
  }
  return NULL;
}

static bool has_file(const char *dir, const char *name) {
  char path[PATH_MAX];
  struct stat st;
  return dir && dir[0] && snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path &&
         stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool sr_web_files_init(sr_web_files *w, const char *configured, const char *install_dir,
                       const char *source_dir, const char *marker, const char *setting,
                       const sr_web_page *pages, size_t n_pages, const sr_web_assets *assets,
                       size_t n_assets, char *err, size_t err_size) {
  w->pages = pages;
  w->n_pages = n_pages;
  w->assets = assets;
  w->n_assets = n_assets;
  const char *candidates[] = {configured, install_dir, source_dir};
  size_t from = configured && configured[0] ? 0 : 1, to = from ? 3 : 1;
  for (size_t i = from; i < to; i++) {
    if (has_file(candidates[i], marker) && realpath(candidates[i], w->root))
      return true;
  }
  if (configured && configured[0])
    snprintf(err, err_size, "%s %s has no %s; point it at the web files (web/ of the sources)",
             setting, configured, marker);
  else
    snprintf(err, err_size, "no web files (%s) in %s or %s; set %s", marker, install_dir,
             source_dir, setting);
  return false;
}

/* One path segment of a device id, a rotating code or an asset name:
 * letters, digits, '-', '_' and '.', not starting with '.' (so neither
 * ".." nor a dot file), 1 to 200 characters. */
static bool plain_segment(const char *s, size_t len) {
  if (len == 0 || len > 200 || s[0] == '.')
    return false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_' || c == '.'))
      return false;
  }
  return true;
}

/* How many plain segments follow `prefix` in `path` (-1: a bad one, an
 * empty one, or not under prefix). "/r/a/b" under "/r/" is 2. */
static int segments_after(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(path, prefix, n) != 0)
    return -1;
  int count = 0;
  for (const char *s = path + n;;) {
    const char *slash = strchr(s, '/');
    size_t len = slash ? (size_t)(slash - s) : strlen(s);
    if (!plain_segment(s, len))
      return -1;
    count++;
    if (!slash)
      return count;
    s = slash + 1;
  }
}

/* The file (relative to the root) a path names, or NULL. */
static const char *file_for(const sr_web_files *w, const char *path, char *buf, size_t size) {
  /* assets first: an asset directory may lie under a page prefix */
  for (size_t i = 0; i < w->n_assets; i++) {
    const char *prefix = w->assets[i].prefix;
    if (segments_after(path, prefix) == 1 && content_type_of(path) &&
        snprintf(buf, size, "%s/%s", w->assets[i].dir, path + strlen(prefix)) < (int)size)
      return buf;
  }
  for (size_t i = 0; i < w->n_pages; i++) {
    const sr_web_page *p = &w->pages[i];
    size_t len = strlen(p->path);
    if (len == 0 || p->path[len - 1] != '/') {
      if (strcmp(path, p->path) == 0)
        return p->file;
      continue;
    }
    int n = strcmp(path, p->path) == 0 ? 0 : segments_after(path, p->path);
    if (n < p->min_segments || n > p->max_segments)
      continue;
    if (p->try_named && n == 1 && !strchr(path + len, '.')) {
      const char *slash = strrchr(p->file, '/');
      int dir = slash ? (int)(slash - p->file) : 0;
      if (snprintf(buf, size, "%.*s%s%s.html", dir, p->file, dir ? "/" : "", path + len) <
              (int)size &&
          has_file(w->root, buf))
        return buf;
    }
    return p->file;
  }
  return NULL;
}

bool sr_web_files_path(const sr_web_files *w, const char *path) {
  char buf[512];
  return file_for(w, path, buf, sizeof buf) != NULL;
}

static void not_found(sr_http_response *resp, const char *path) {
  sr_http_reply_error(resp, 404, "not_found", "no such page: %.200s", path);
  resp->headers = sr_web_security_headers;
}

void sr_web_files_handle(const sr_web_files *w, const sr_http_request *req,
                         sr_http_response *resp) {
  if (strcmp(req->method, "GET") != 0) {
    snprintf(resp->allow, sizeof resp->allow, "GET");
    sr_http_reply_error(resp, 405, "method_not_allowed", "pages are read with GET only");
    resp->headers = sr_web_security_headers;
    return;
  }
  char buf[512], full[PATH_MAX + 512];
  const char *rel = file_for(w, req->path, buf, sizeof buf);
  if (!rel) {
    not_found(resp, req->path);
    return;
  }
  snprintf(full, sizeof full, "%s/%s", w->root, rel);
  /* no symbolic link out of the root either */
  int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0)
      close(fd);
    not_found(resp, req->path);
    return;
  }
  /* size and modification time: a new file is a new tag */
  snprintf(resp->etag, sizeof resp->etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
           (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
               (unsigned long long)st.st_mtim.tv_nsec);
  resp->headers = sr_web_security_headers;
  resp->cache_control = CACHE_REVALIDATE;
  resp->content_type = content_type_of(rel);
  if (req->if_none_match && strcmp(req->if_none_match, resp->etag) == 0) {
    close(fd);
    resp->status = 304;
    return;
  }
  sr_http_reply_file(resp, 200, fd, (size_t)st.st_size);
}
