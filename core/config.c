#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 64 /* nesting deeper than this is an error */
#define MAX_FILE_SIZE (4u << 20)

struct sr_config {
  bool syntax_error; /* the tree is incomplete: schema checks would mislead */
  char *file;
  char *dir;
  sr_config_node *root;
  char **errors;
  size_t n_errors;
};

static char *dup_printf(const char *fmt, ...) SR_PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    s = NULL;
  va_end(ap);
  return s;
}

static void add_error_at(sr_config *cfg, unsigned line, unsigned col, const char *path,
                         const char *msg) {
  char *text;
  if (path && *path)
    text = dup_printf("%s:%u:%u: '%s': %s", cfg->file, line, col, path, msg);
  else
    text = dup_printf("%s:%u:%u: %s", cfg->file, line, col, msg);
  char **grown = realloc(cfg->errors, (cfg->n_errors + 1) * sizeof *grown);
  if (!text || !grown) {
    free(text);
    if (grown)
      cfg->errors = grown;
    return;
  }
  cfg->errors = grown;
  cfg->errors[cfg->n_errors++] = text;
}

void sr_config_add_error(const sr_config_node *node, bool at_key, const char *fmt, ...) {
  char *msg = NULL;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    msg = NULL;
  va_end(ap);
  if (!msg)
    return;
  add_error_at(node->doc, at_key ? node->key_line : node->line,
               at_key ? node->key_column : node->column, node->path, msg);
  free(msg);
}

static void node_free(sr_config_node *n) {
  if (!n)
    return;
  for (size_t i = 0; i < n->count; i++)
    node_free(n->items[i]);
  free(n->items);
  free(n->key);
  free(n->path);
  free(n->value);
  free(n->env_name);
  free(n);
}

void sr_config_free(sr_config *cfg) {
  if (!cfg)
    return;
  node_free(cfg->root);
  for (size_t i = 0; i < cfg->n_errors; i++)
    free(cfg->errors[i]);
  free(cfg->errors);
  free(cfg->file);
  free(cfg->dir);
  free(cfg);
}

const sr_config_node *sr_config_root(const sr_config *cfg) { return cfg->root; }
const char *sr_config_file(const sr_config *cfg) { return cfg->file; }
bool sr_config_path(const sr_config *cfg, const char *path, char *out, size_t out_size) {
  int n = path[0] == '/' ? snprintf(out, out_size, "%s", path)
                         : snprintf(out, out_size, "%s/%s", cfg->dir, path);
  return n >= 0 && (size_t)n < out_size;
}

bool sr_config_has_syntax_error(const sr_config *cfg) { return cfg->syntax_error; }
const char *sr_config_dir(const sr_config *cfg) { return cfg->dir; }
size_t sr_config_error_count(const sr_config *cfg) { return cfg->n_errors; }
const char *sr_config_error(const sr_config *cfg, size_t i) {
  return i < cfg->n_errors ? cfg->errors[i] : NULL;
}

const sr_config_node *sr_config_get(const sr_config_node *map, const char *key) {
  if (!map || map->type != SR_CONFIG_MAP)
    return NULL;
  for (size_t i = 0; i < map->count; i++)
    if (strcmp(map->items[i]->key, key) == 0)
      return map->items[i];
  return NULL;
}

void sr_config_describe(const sr_config_node *node, char *buf, size_t size) {
  if (node->type == SR_CONFIG_MAP)
    snprintf(buf, size, "a map");
  else if (node->type == SR_CONFIG_LIST)
    snprintf(buf, size, "a list");
  else if (node->env_name)
    snprintf(buf, size, "the value of ${%s}", node->env_name);
  else
    snprintf(buf, size, "'%.200s'", node->value);
}

size_t sr_config_edit_distance(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64)
    return 64;
  size_t row[65];
  for (size_t j = 0; j <= lb; j++)
    row[j] = j;
  for (size_t i = 1; i <= la; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= lb; j++) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      size_t best = diag + cost;
      if (row[j] + 1 < best)
        best = row[j] + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

size_t sr_config_reject_unknown(const sr_config_node *map, const char *const *known) {
  if (!map || map->type != SR_CONFIG_MAP)
    return 0;
  size_t unknown = 0;
  for (size_t i = 0; i < map->count; i++) {
    const sr_config_node *child = map->items[i];
    const char *closest = NULL;
    size_t best = SIZE_MAX;
    bool found = false;
    for (size_t k = 0; known[k]; k++) {
      if (strcmp(known[k], child->key) == 0) {
        found = true;
        break;
      }
      size_t d = sr_config_edit_distance(known[k], child->key);
      if (d < best) {
        best = d;
        closest = known[k];
      }
    }
    if (found)
      continue;
    unknown++;
    /* A hint only when it is close: at most 2 edits, and fewer than the
     * key's own length so short keys do not match everything. */
    if (closest && best <= 2 && best < strlen(child->key))
      sr_config_add_error(child, true, "unknown key (did you mean '%s'?)", closest);
    else
      sr_config_add_error(child, true, "unknown key");
  }
  return unknown;
}

/* ---- parsing ---- */

typedef struct parse_state {
  sr_config *cfg;
  yaml_parser_t parser;
  bool failed; /* a syntax error was recorded: stop */
} parse_state;

static void syntax_error(parse_state *ps) {
  yaml_parser_t *p = &ps->parser;
  char msg[512];
  if (p->context)
    snprintf(msg, sizeof msg, "YAML syntax error: %s %s", p->problem ? p->problem : "error",
             p->context);
  else
    snprintf(msg, sizeof msg, "YAML syntax error: %s", p->problem ? p->problem : "error");
  add_error_at(ps->cfg, (unsigned)p->problem_mark.line + 1, (unsigned)p->problem_mark.column + 1,
               NULL, msg);
  ps->failed = true;
  ps->cfg->syntax_error = true;
}

static bool next_event(parse_state *ps, yaml_event_t *ev) {
  if (ps->failed)
    return false;
  if (!yaml_parser_parse(&ps->parser, ev)) {
    syntax_error(ps);
    return false;
  }
  return true;
}

static sr_config_node *node_new(parse_state *ps, sr_config_type type, const char *key,
                                const char *path, const yaml_mark_t *mark) {
  sr_config_node *n = calloc(1, sizeof *n);
  if (!n)
    return NULL;
  n->type = type;
  n->doc = ps->cfg;
  n->key = key ? strdup(key) : NULL;
  n->path = strdup(path);
  n->line = n->key_line = (unsigned)mark->line + 1;
  n->column = n->key_column = (unsigned)mark->column + 1;
  if ((key && !n->key) || !n->path) {
    node_free(n);
    return NULL;
  }
  return n;
}

static bool node_append(sr_config_node *parent, sr_config_node *child) {
  sr_config_node **grown = realloc(parent->items, (parent->count + 1) * sizeof *grown);
  if (!grown)
    return false;
  parent->items = grown;
  parent->items[parent->count++] = child;
  return true;
}

/* Expands ${NAME} and ${NAME:-default}; "$${" stays a literal "${". Records
 * an error for an unset variable without default. Returns a new string. */
static char *expand_env(sr_config_node *n, const char *text) {
  size_t cap = strlen(text) + 1, len = 0;
  char *out = malloc(cap);
  if (!out)
    return NULL;
  for (const char *p = text; *p;) {
    const char *piece = p;
    size_t piece_len = 1;
    char *owned = NULL;
    if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
      piece = "${";
      piece_len = 2;
      p += 3;
    } else if (p[0] == '$' && p[1] == '{') {
      const char *end = strchr(p + 2, '}');
      if (!end) {
        sr_config_add_error(n, false, "unterminated ${...} in value");
        free(out);
        return NULL;
      }
      char name[256];
      size_t name_len = (size_t)(end - (p + 2));
      if (name_len == 0 || name_len >= sizeof name) {
        sr_config_add_error(n, false, "bad ${...} variable name");
        free(out);
        return NULL;
      }
      memcpy(name, p + 2, name_len);
      name[name_len] = '\0';
      const char *def = NULL;
      char *sep = strstr(name, ":-");
      if (sep) {
        *sep = '\0';
        def = sep + 2;
      }
      const char *val = getenv(name);
      if (!val || (!*val && def))
        val = def;
      if (!val) {
        sr_config_add_error(n, false, "environment variable %s is not set", name);
        free(out);
        return NULL;
      }
      if (!n->env_name)
        n->env_name = strdup(name);
      owned = strdup(val);
      if (!owned) {
        free(out);
        return NULL;
      }
      piece = owned;
      piece_len = strlen(owned);
      p = end + 1;
    } else {
      p++;
    }
    if (len + piece_len + 1 > cap) {
      cap = (len + piece_len + 1) * 2;
      char *grown = realloc(out, cap);
      if (!grown) {
        free(owned);
        free(out);
        return NULL;
      }
      out = grown;
    }
    memcpy(out + len, piece, piece_len);
    len += piece_len;
    free(owned);
  }
  out[len] = '\0';
  return out;
}

static sr_config_node *parse_node(parse_state *ps, yaml_event_t *ev, const char *key,
                                  const char *path, int depth);

static bool parse_children(parse_state *ps, sr_config_node *n, bool is_map, int depth) {
  for (size_t index = 0;; index++) {
    yaml_event_t ev;
    if (!next_event(ps, &ev))
      return false;
    yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
    if (ev.type == end) {
      yaml_event_delete(&ev);
      return true;
    }
    char *child_path = NULL;
    char *key = NULL;
    yaml_mark_t key_mark = ev.start_mark;
    if (is_map) {
      if (ev.type != YAML_SCALAR_EVENT) {
        add_error_at(ps->cfg, (unsigned)ev.start_mark.line + 1, (unsigned)ev.start_mark.column + 1,
                     n->path, "map keys must be plain text");
        yaml_event_delete(&ev);
        ps->failed = true;
        return false;
      }
      key = strdup((const char *)ev.data.scalar.value);
      yaml_event_delete(&ev);
      if (!key)
        return false;
      child_path = *n->path ? dup_printf("%s.%s", n->path, key) : strdup(key);
      if (!child_path || !next_event(ps, &ev)) {
        free(key);
        free(child_path);
        return false;
      }
    } else {
      child_path = dup_printf("%s[%zu]", n->path, index);
      if (!child_path) {
        yaml_event_delete(&ev);
        return false;
      }
    }
    sr_config_node *child = parse_node(ps, &ev, key, child_path, depth + 1);
    free(child_path);
    if (!child) {
      free(key);
      return false;
    }
    if (is_map) {
      child->key_line = (unsigned)key_mark.line + 1;
      child->key_column = (unsigned)key_mark.column + 1;
      if (sr_config_get(n, key))
        sr_config_add_error(child, true, "duplicate key");
    }
    free(key);
    if (!node_append(n, child)) {
      node_free(child);
      return false;
    }
  }
}

/* Builds the node starting with event `ev` (consumed). NULL on error. */
static sr_config_node *parse_node(parse_state *ps, yaml_event_t *ev, const char *key,
                                  const char *path, int depth) {
  sr_config_node *n = NULL;
  if (depth > MAX_DEPTH) {
    add_error_at(ps->cfg, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
                 path, "nested too deeply");
    ps->failed = true;
  } else if (ev->type == YAML_SCALAR_EVENT) {
    n = node_new(ps, SR_CONFIG_SCALAR, key, path, &ev->start_mark);
    /* Quoted scalars are taken literally as text too; only plain ones are
     * "~"/"null" candidates, which we treat as text like everything else. */
    if (n && !(n->value = expand_env(n, (const char *)ev->data.scalar.value)))
      n->value = strdup("");
  } else if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT) {
    bool is_map = ev->type == YAML_MAPPING_START_EVENT;
    n = node_new(ps, is_map ? SR_CONFIG_MAP : SR_CONFIG_LIST, key, path, &ev->start_mark);
    if (n && !parse_children(ps, n, is_map, depth)) {
      yaml_event_delete(ev);
      /* keep what was read so far only as a map root; children are freed */
      node_free(n);
      return NULL;
    }
  } else if (ev->type == YAML_ALIAS_EVENT) {
    add_error_at(ps->cfg, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
                 path, "YAML aliases (*name) are not supported: write the value out");
    ps->failed = true;
  } else {
    add_error_at(ps->cfg, (unsigned)ev->start_mark.line + 1, (unsigned)ev->start_mark.column + 1,
                 path, "unexpected YAML content");
    ps->failed = true;
  }
  yaml_event_delete(ev);
  return n;
}

static void parse_document(parse_state *ps) {
  yaml_event_t ev;
  /* stream start, document start (or stream end for an empty file) */
  while (next_event(ps, &ev)) {
    yaml_event_type_t type = ev.type;
    if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_START_EVENT) {
      yaml_event_delete(&ev);
      continue;
    }
    if (type == YAML_STREAM_END_EVENT) {
      yaml_event_delete(&ev);
      return;
    }
    if (type == YAML_DOCUMENT_END_EVENT) {
      yaml_event_delete(&ev);
      if (next_event(ps, &ev)) {
        if (ev.type != YAML_STREAM_END_EVENT)
          add_error_at(ps->cfg, (unsigned)ev.start_mark.line + 1,
                       (unsigned)ev.start_mark.column + 1, NULL, "only one YAML document per file");
        yaml_event_delete(&ev);
      }
      return;
    }
    if (ps->cfg->root) {
      yaml_event_delete(&ev);
      return;
    }
    yaml_mark_t mark = ev.start_mark;
    sr_config_node *root = parse_node(ps, &ev, NULL, "", 0);
    if (!root)
      return;
    if (root->type != SR_CONFIG_MAP) {
      add_error_at(ps->cfg, (unsigned)mark.line + 1, (unsigned)mark.column + 1, NULL,
                   "the file must be a map of sections (key: value)");
      node_free(root);
      return;
    }
    ps->cfg->root = root;
  }
}

static sr_config *config_new(const char *name) {
  sr_config *cfg = calloc(1, sizeof *cfg);
  if (!cfg)
    return NULL;
  cfg->file = strdup(name);
  const char *slash = strrchr(name, '/');
  cfg->dir = slash ? strndup(name, (size_t)(slash - name) + (slash == name)) : strdup(".");
  if (!cfg->file || !cfg->dir) {
    sr_config_free(cfg);
    return NULL;
  }
  return cfg;
}

static void ensure_root(sr_config *cfg) {
  if (cfg->root)
    return;
  parse_state ps = {.cfg = cfg};
  yaml_mark_t start = {0};
  cfg->root = node_new(&ps, SR_CONFIG_MAP, NULL, "", &start);
}

sr_config *sr_config_load_string(const char *name, const char *text, size_t len) {
  sr_config *cfg = config_new(name);
  if (!cfg)
    return NULL;
  parse_state ps = {.cfg = cfg};
  if (!yaml_parser_initialize(&ps.parser)) {
    sr_config_free(cfg);
    return NULL;
  }
  yaml_parser_set_input_string(&ps.parser, (const unsigned char *)text, len);
  parse_document(&ps);
  yaml_parser_delete(&ps.parser);
  ensure_root(cfg);
  if (!cfg->root) {
    sr_config_free(cfg);
    return NULL;
  }
  return cfg;
}

sr_config *sr_config_load_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    int err = errno;
    sr_config *cfg = config_new(path);
    if (cfg) {
      ensure_root(cfg);
      char msg[256];
      snprintf(msg, sizeof msg, "cannot open: %s", strerror(err));
      add_error_at(cfg, 1, 1, NULL, msg);
    }
    return cfg;
  }
  char *text = malloc(MAX_FILE_SIZE + 1);
  size_t len = text ? fread(text, 1, MAX_FILE_SIZE + 1, f) : 0;
  bool read_error = ferror(f);
  fclose(f);
  if (!text)
    return NULL;
  sr_config *cfg;
  if (read_error || len > MAX_FILE_SIZE) {
    cfg = config_new(path);
    if (cfg) {
      ensure_root(cfg);
      add_error_at(cfg, 1, 1, NULL,
                   read_error ? "cannot read the file" : "file is larger than 4 MiB");
    }
  } else {
    cfg = sr_config_load_string(path, text, len);
  }
  free(text);
  return cfg;
}
