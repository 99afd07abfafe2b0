/*
 * Static pages and their assets, for the services that serve a web app
 * beside their API: the site service's release page (web/release/,
 * docs/panel-app.md) and the cloud's console and portal (web/console/,
 * web/portal/, web/shared/, docs/console.md). The caller gives the URLs as
 * a table: pages (a URL, or a URL prefix with one or two plain segments
 * after it, answered by one HTML file) and asset directories (a URL prefix
 * whose one plain segment names a file of a directory). Nothing else is a
 * file: no directories, no dot files, no path with more segments, no
 * symbolic link, so no request can reach outside the web root. Every
 * answer carries a strict Content-Security-Policy and the other headers a
 * page needs against framing and sniffing.
 */
#ifndef SR_CORE_WEB_FILES_H
#define SR_CORE_WEB_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "http_server.h"

/* One page route. `path` ending in '/' is a prefix followed by
 * `min_segments` to `max_segments` plain segments (0 to 0: the prefix
 * itself); else the exact path. `file` is relative to the root. With
 * `try_named`, a single segment NAME is answered by DIR/NAME.html when that
 * file exists (DIR: the directory of `file`), else by `file`: an app of a
 * few pages, each its own file, and client-side routes for the rest. */
typedef struct sr_web_page {
  const char *path;
  int min_segments, max_segments;
  const char *file;
  bool try_named;
} sr_web_page;

/* URL prefix ("/console/assets/") -> directory under the root ("console/assets"). */
typedef struct sr_web_assets {
  const char *prefix;
  const char *dir;
} sr_web_assets;

typedef struct sr_web_files {
  char root[PATH_MAX]; /* the web root, resolved */
  const sr_web_page *pages;
  size_t n_pages;
  const sr_web_assets *assets;
  size_t n_assets;
} sr_web_files;

/* The web root: `configured` (the service's web_root setting, named
 * `setting` in messages) if set, else `install_dir`, else `source_dir` (a
 * build run from its tree); the one chosen must hold `marker` (a file
 * relative to it, e.g. "index.html"). `pages` and `assets` (static tables)
 * are kept by pointer. False, with `err` naming the directories, if none
 * has it. */
bool sr_web_files_init(sr_web_files *w, const char *configured, const char *install_dir,
                       const char *source_dir, const char *marker, const char *setting,
                       const sr_web_page *pages, size_t n_pages, const sr_web_assets *assets,
                       size_t n_assets, char *err, size_t err_size);

/* True if `path` is one of the table's pages or assets (it may still be
 * a missing file: then sr_web_files_handle answers 404). */
bool sr_web_files_path(const sr_web_files *w, const char *path);

/* The HTTP answer for a page or asset path: the file, 304 when the
 * client's copy is current, 404 for anything that is not one of them,
 * 405 for methods other than GET. Fills resp (the server owns the
 * file). */
void sr_web_files_handle(const sr_web_files *w, const sr_http_request *req, sr_http_response *resp);

/* The headers every page answer carries (CSP and the rest), for a
 * service's own answers on page URLs (a redirect, an error page). */
extern const char *const sr_web_security_headers[];

#endif
