/*
 * YAML configuration: one loader for every service.
 *
 * A file is parsed into a tree of nodes that remember their file:line:column
 * and their dotted path ("plugins.paths[0]"). `${NAME}` in a value is
 * replaced by the environment variable NAME (`${NAME:-default}` gives a
 * default), so secrets stay out of files. Every problem found is appended to
 * the document's error list, so a check reports all of them at once.
 */
#ifndef SR_CORE_CONFIG_H
#define SR_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "sr/host.h"

typedef enum sr_config_type {
  SR_CONFIG_SCALAR,
  SR_CONFIG_MAP,
  SR_CONFIG_LIST,
} sr_config_type;

typedef struct sr_config sr_config;

struct sr_config_node {
  sr_config_type type;
  sr_config *doc;
  char *key;      /* key in the parent map, or NULL */
  char *path;     /* dotted path from the root, "" for the root */
  char *value;    /* scalar text after ${ENV} expansion, else NULL */
  char *env_name; /* set if the value came from ${NAME}: never echo it */
  unsigned line;  /* 1-based position of the value */
  unsigned column;
  unsigned key_line; /* 1-based position of the key (= value's if none) */
  unsigned key_column;
  sr_config_node **items; /* map children or list items */
  size_t count;
};

/* Parses the YAML file at `path`. Always returns a document (NULL only when
 * out of memory); syntax errors are in its error list and leave `root` as
 * much as was read. The caller frees it with sr_config_free(). */
sr_config *sr_config_load_file(const char *path);

/* Same for text in memory; `name` stands for the file name in messages. */
sr_config *sr_config_load_string(const char *name, const char *text, size_t len);

void sr_config_free(sr_config *cfg);

/* The root node (a map, an empty one for an empty file). Owned by cfg. */
const sr_config_node *sr_config_root(const sr_config *cfg);
const char *sr_config_file(const sr_config *cfg);
/* Directory of the file, for resolving relative paths ("." for strings). */
const char *sr_config_dir(const sr_config *cfg);

/* True if the file could not be parsed completely (its tree is partial). */
bool sr_config_has_syntax_error(const sr_config *cfg);

size_t sr_config_error_count(const sr_config *cfg);
/* Message `i`, "file:line:col: 'path': what is wrong". Owned by cfg. */
const char *sr_config_error(const sr_config *cfg, size_t i);

/* Writes `path` made absolute against the file's directory when relative
 * (a configuration means paths relative to itself, not to the working
 * directory). Returns false if it does not fit. */
bool sr_config_path(const sr_config *cfg, const char *path, char *out, size_t out_size);

/* Appends an error located at `node` (at its key if `at_key`). */
void sr_config_add_error(const sr_config_node *node, bool at_key, const char *fmt, ...)
    SR_PRINTF(3, 4);

/* Map lookup: the child named `key`, or NULL. */
const sr_config_node *sr_config_get(const sr_config_node *map, const char *key);

/* A description of a node's value safe to print: the quoted text, or
 * "the value of ${NAME}" when it came from the environment. */
void sr_config_describe(const sr_config_node *node, char *buf, size_t size);

/* Edit distance for "did you mean" hints. */
size_t sr_config_edit_distance(const char *a, const char *b);

/* Appends an "unknown key" error for every key of `map` not in `known`
 * (NULL-terminated), with the closest known key as a hint. Returns the
 * number of unknown keys. */
size_t sr_config_reject_unknown(const sr_config_node *map, const char *const *known);

#endif
