/*
 * The release page's static files (web/release/, docs/panel-app.md),
 * served beside the panel API on the same listener: the page's URLs
 * (/, /r/DEVICE, /r/DEVICE/CODE, /panel/DEVICE, /oidc/callback) all give
 * index.html, whose script reads the device and code from its address;
 * /assets/NAME gives one file of web/release/assets. Nothing else is a
 * file: no directories, no dot files, no path with more segments, so no
 * request can reach outside the web root. Every answer carries a strict
 * Content-Security-Policy and the other headers a page needs against
 * framing and sniffing.
 */
#ifndef DEVICE_SCOUT_WEB_FILES_H
#define DEVICE_SCOUT_WEB_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "http_server.h"

typedef struct web_files {
  char root[PATH_MAX]; /* the web root, resolved */
} web_files;

/* The web root: `configured` (panel.web_root) if set, else the installed
 * copy, else the source tree's (a build run from its tree). False, with
 * `err` naming the directory, if it has no index.html. */
bool web_files_init(web_files *w, const char *configured, char *err, size_t err_size);

/* True for the paths of the page and its assets (everything outside
 * /api/): web_files_handle answers those. */
bool web_files_path(const char *path);

/* The HTTP answer for a page or asset path: the file, 304 when the
 * client's copy is current, 404 for anything that is not one of them,
 * 405 for methods other than GET. Fills resp (the server owns the file). */
void web_files_handle(const web_files *w, const sr_http_request *req, sr_http_response *resp);

#endif
