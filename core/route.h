/*
 * Routing a REST API by a table: each service keeps its routes as data
 * (method, path pattern, who may call, handler), so a test can hold the
 * table against the API's OpenAPI document. This file only matches; what
 * a route means is the service's.
 */
#ifndef SR_ROUTE_H
#define SR_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

/* The first member of every service's route struct. */
typedef struct sr_route {
  const char *method;  /* "GET", "POST", "PUT", "DELETE" */
  const char *pattern; /* "/api/v1/users/{id}": a {name} segment is one path segment */
} sr_route;

/* True if `path` matches `pattern`. A {name} segment matches one non-empty
 * segment of letters, digits, '-', '_' and '.', copied into id (id_size
 * bytes; a longer one does not match). */
bool sr_route_path_matches(const char *pattern, const char *path, char *id, size_t id_size);

/* The index of the route for `method` and `path` in `table` (n routes,
 * `stride` bytes apart, each beginning with an sr_route), with its {id}
 * in id; or -1 with `allow` set to the methods of the routes whose pattern
 * matches the path ("GET, POST"; "" when the path is unknown: a 404). */
long sr_route_find(const void *table, size_t n, size_t stride, const char *method, const char *path,
                   char *id, size_t id_size, char *allow, size_t allow_size);

#endif
