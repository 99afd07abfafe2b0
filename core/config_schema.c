#include "config_schema.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sr_int_parse(const char *text, int64_t *value) {
  if (!text || !*text)
    return false;
  errno = 0;
  char *end;
  long long v = strtoll(text, &end, 10);
  if (errno || *end)
    return false;
  *value = v;
  return true;
}

bool sr_bool_parse(const char *text, bool *value) {
  static const char *const yes[] = {"true", "yes", "on", NULL};
  static const char *const no[] = {"false", "no", "off", NULL};
  for (size_t i = 0; yes[i]; i++) {
    if (strcmp(text, yes[i]) == 0) {
      *value = true;
      return true;
    }
    if (strcmp(text, no[i]) == 0) {
      *value = false;
      return true;
    }
  }
  return false;
}

bool sr_duration_parse(const char *text, int64_t *seconds) {
  if (!text || !*text)
    return false;
  errno = 0;
  char *end;
  long long v = strtoll(text, &end, 10);
  if (errno || end == text || v < 0)
    return false;
  int64_t unit;
  if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
    unit = 1;
  else if (strcmp(end, "m") == 0)
    unit = 60;
  else if (strcmp(end, "h") == 0)
    unit = 3600;
  else if (strcmp(end, "d") == 0)
    unit = 86400;
  else
    return false;
  if (v > INT64_MAX / unit)
    return false;
  *seconds = v * unit;
  return true;
}

static const char *type_words(const sr_schema_field *f) {
  switch (f->type) {
  case SR_FIELD_STRING: return "a text value";
  case SR_FIELD_PATH: return "a file path";
  case SR_FIELD_INT: return "an integer";
  case SR_FIELD_BOOL: return "true or false";
  case SR_FIELD_ENUM: return "one of the listed words";
  case SR_FIELD_DURATION: return "a duration such as 30s, 15m, 48h or 7d";
  case SR_FIELD_SECTION: return "a map";
  case SR_FIELD_PLUGIN: return "a plugin section {plugin: NAME, config: {...}}";
  case SR_FIELD_LIST: return "a list of maps";
  case SR_FIELD_PLUGIN_LIST: return "a list of plugin sections";
  case SR_FIELD_STRING_LIST: return "a list of text values";
  }
  return "a value";
}

static void expected_error(const sr_schema_field *f, const sr_config_node *n) {
  char got[256];
  sr_config_describe(n, got, sizeof got);
  if (f->type == SR_FIELD_ENUM) {
    char list[256] = "";
    for (size_t i = 0; f->choices[i]; i++) {
      strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
      strncat(list, f->choices[i], sizeof list - strlen(list) - 1);
    }
    sr_config_add_error(n, false, "expected one of %s, got %s", list, got);
  } else if (f->help) {
    sr_config_add_error(n, false, "expected %s (%s), got %s", type_words(f), f->help, got);
  } else {
    sr_config_add_error(n, false, "expected %s, got %s", type_words(f), got);
  }
}

static bool in_bounds(const sr_schema_field *f, int64_t v) {
  return (f->min == 0 && f->max == 0) || (v >= f->min && v <= f->max);
}

/* Plugin names are what a file name is built from: keep them plain. */
static bool plugin_name_ok(const char *s) {
  if (!*s || strlen(s) > 64)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
      return false;
  return true;
}

static bool check_plugin_section(const sr_config_node *n) {
  static const char *const keys[] = {"plugin", "name", "config", NULL};
  if (n->type != SR_CONFIG_MAP) {
    char got[256];
    sr_config_describe(n, got, sizeof got);
    sr_config_add_error(n, false, "expected a plugin section {plugin: NAME, config: {...}}, got %s",
                        got);
    return false;
  }
  bool ok = sr_config_reject_unknown(n, keys) == 0;
  const sr_config_node *plugin = sr_config_get(n, "plugin");
  const sr_config_node *name = sr_config_get(n, "name");
  const sr_config_node *config = sr_config_get(n, "config");
  if (!plugin) {
    sr_config_add_error(n, false, "missing required key 'plugin' (the plugin's name)");
    ok = false;
  } else if (plugin->type != SR_CONFIG_SCALAR || !plugin_name_ok(plugin->value)) {
    sr_config_add_error(plugin, false, "expected a plugin name of [a-z0-9_-]");
    ok = false;
  }
  if (name && (name->type != SR_CONFIG_SCALAR || !plugin_name_ok(name->value))) {
    sr_config_add_error(name, false, "expected an instance name of [a-z0-9_-]");
    ok = false;
  }
  if (config && config->type != SR_CONFIG_MAP) {
    sr_config_add_error(config, false, "expected a map of the plugin's settings");
    ok = false;
  }
  return ok;
}

static bool apply_value(const sr_schema_field *f, sr_config *doc, const sr_config_node *n,
                        char *slot);

static bool apply_scalar(const sr_schema_field *f, const sr_config_node *n, const char *text,
                         char *slot) {
  switch (f->type) {
  case SR_FIELD_STRING:
  case SR_FIELD_PATH:
    if (slot)
      *(const char **)slot = text;
    return true;
  case SR_FIELD_INT: {
    int64_t v;
    if (!sr_int_parse(text, &v) || !in_bounds(f, v)) {
      if (n && sr_int_parse(text, &v)) {
        char got[256];
        sr_config_describe(n, got, sizeof got); /* never echoes a ${SECRET} */
        sr_config_add_error(n, false, "expected an integer from %lld to %lld, got %s",
                            (long long)f->min, (long long)f->max, got);
      } else if (n)
        expected_error(f, n);
      return false;
    }
    if (slot)
      *(int64_t *)slot = v;
    return true;
  }
  case SR_FIELD_DURATION: {
    int64_t v;
    if (!sr_duration_parse(text, &v) || !in_bounds(f, v)) {
      if (n)
        expected_error(f, n);
      return false;
    }
    if (slot)
      *(int64_t *)slot = v;
    return true;
  }
  case SR_FIELD_BOOL: {
    bool v;
    if (!sr_bool_parse(text, &v)) {
      if (n)
        expected_error(f, n);
      return false;
    }
    if (slot)
      *(bool *)slot = v;
    return true;
  }
  case SR_FIELD_ENUM:
    for (int i = 0; f->choices[i]; i++) {
      if (strcmp(f->choices[i], text) == 0) {
        if (slot)
          *(int *)slot = i;
        return true;
      }
    }
    if (n)
      expected_error(f, n);
    return false;
  default: return false;
  }
}

static bool apply_value(const sr_schema_field *f, sr_config *doc, const sr_config_node *n,
                        char *slot) {
  switch (f->type) {
  case SR_FIELD_SECTION:
    if (n->type != SR_CONFIG_MAP) {
      expected_error(f, n);
      return false;
    }
    return sr_schema_apply(f->section, doc, n, slot);
  case SR_FIELD_PLUGIN:
    if (slot)
      *(const sr_config_node **)slot = n;
    return check_plugin_section(n);
  case SR_FIELD_LIST:
  case SR_FIELD_PLUGIN_LIST:
  case SR_FIELD_STRING_LIST: {
    if (n->type != SR_CONFIG_LIST) {
      expected_error(f, n);
      return false;
    }
    if (slot)
      *(const sr_config_node **)slot = n;
    bool ok = true;
    for (size_t i = 0; i < n->count; i++) {
      const sr_config_node *item = n->items[i];
      if (f->type == SR_FIELD_PLUGIN_LIST) {
        ok = check_plugin_section(item) && ok;
      } else if (f->type == SR_FIELD_STRING_LIST) {
        if (item->type != SR_CONFIG_SCALAR) {
          expected_error(f, item);
          ok = false;
        }
      } else if (item->type != SR_CONFIG_MAP) {
        expected_error(f, item);
        ok = false;
      } else {
        /* list items are validated only; the service walks the list */
        ok = sr_schema_apply(f->section, doc, item, NULL) && ok;
      }
    }
    return ok;
  }
  default:
    if (n->type != SR_CONFIG_SCALAR) {
      expected_error(f, n);
      return false;
    }
    return apply_scalar(f, n, n->value, slot);
  }
}

bool sr_schema_apply(const sr_schema *schema, sr_config *doc, const sr_config_node *map,
                     void *out) {
  size_t errors_before = sr_config_error_count(doc);
  const char *known[64];
  size_t n_known = 0;
  for (const sr_schema_field *f = schema->fields; f->key && n_known < 63; f++)
    known[n_known++] = f->key;
  known[n_known] = NULL;
  if (map)
    sr_config_reject_unknown(map, known);

  for (const sr_schema_field *f = schema->fields; f->key; f++) {
    /* NULL slot: validate only (items of a list, walked by the service) */
    char *slot = out ? (char *)out + f->offset : NULL;
    const sr_config_node *n = sr_config_get(map, f->key);
    if (n) {
      apply_value(f, doc, n, slot);
    } else if (f->required) {
      if (map)
        sr_config_add_error(map, false, "missing required key '%s'%s%s", f->key,
                            f->help ? ": " : "", f->help ? f->help : "");
      else
        sr_config_add_error(sr_config_root(doc), false, "missing required section '%s'",
                            schema->name);
    } else if (f->type == SR_FIELD_SECTION) {
      sr_schema_apply(f->section, doc, NULL, slot);
    } else if (f->def) {
      apply_scalar(f, NULL, f->def, slot);
    }
  }
  return sr_config_error_count(doc) == errors_before;
}
