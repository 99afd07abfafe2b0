/*
 * Typed configuration schemas: each section of a service's configuration is
 * described by a table of fields. sr_schema_apply() checks a map against the
 * table, fills a C struct with typed values and defaults, and records an
 * error naming file:line:column, the key and what was expected for every
 * problem (unknown keys get a "did you mean").
 */
#ifndef SR_CORE_CONFIG_SCHEMA_H
#define SR_CORE_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum sr_field_type {
  SR_FIELD_STRING,      /* const char * (owned by the document) */
  SR_FIELD_INT,         /* int64_t within [min, max] */
  SR_FIELD_BOOL,        /* bool */
  SR_FIELD_ENUM,        /* int: index into `choices` */
  SR_FIELD_DURATION,    /* int64_t seconds; "90", "90s", "15m", "48h", "7d" */
  SR_FIELD_PATH,        /* const char * as written; resolve with sr_config_path() */
  SR_FIELD_SECTION,     /* nested struct described by `section` */
  SR_FIELD_LIST,        /* const sr_config_node * list; items are `section` maps */
  SR_FIELD_STRING_LIST, /* const sr_config_node * list of scalars */
  SR_FIELD_PLUGIN,      /* const sr_config_node * map {plugin, name?, config?} */
  SR_FIELD_PLUGIN_LIST, /* const sr_config_node * list of such maps */
} sr_field_type;

typedef struct sr_schema sr_schema;

typedef struct sr_schema_field {
  const char *key;
  sr_field_type type;
  size_t offset;              /* into the section's struct */
  bool required;              /* an error if absent (else `def` applies) */
  const char *def;            /* default as text, or NULL for none (zero) */
  int64_t min, max;           /* SR_FIELD_INT / DURATION bounds (0,0: none) */
  const char *const *choices; /* SR_FIELD_ENUM: NULL-terminated */
  const sr_schema *section;   /* SR_FIELD_SECTION / SR_FIELD_LIST */
  const char *help;           /* what is expected, shown in errors */
} sr_schema_field;

struct sr_schema {
  const char *name;
  const sr_schema_field *fields; /* terminated by a field with key NULL */
};

/* Checks `map` (NULL means absent: defaults apply) against `schema` and
 * fills `out` (a zeroed struct of the section's type; strings point into the
 * document, which must outlive `out`). `path` names the section in errors
 * when `map` is absent. Returns true when no error was recorded. */
bool sr_schema_apply(const sr_schema *schema, sr_config *doc, const sr_config_node *map, void *out);

/* Parses a duration; false if malformed. */
bool sr_duration_parse(const char *text, int64_t *seconds);

/* Parses a boolean; false if it is not one. */
bool sr_bool_parse(const char *text, bool *value);

/* Parses a whole decimal integer; false if malformed or out of range. */
bool sr_int_parse(const char *text, int64_t *value);

#endif
