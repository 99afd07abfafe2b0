#include "ipp_intake.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_END 0x03
#define TAG_EXTENSION 0x7f
#define TAG_BEGIN_COLLECTION 0x34
#define TAG_END_COLLECTION 0x37

typedef struct span {
  size_t off, len;
} span;

/* One attribute being read: where its name and kept values are in the
 * output, to compare the next ones with. */
typedef struct reader {
  http_t *http;
  scout_intake *in;
  span names[SCOUT_INTAKE_MAX_ATTRIBUTES]; /* this group's attribute names */
  size_t n_names;
  span values[SCOUT_INTAKE_MAX_VALUES]; /* the current attribute's values */
  size_t n_values;
  bool keep;   /* the current attribute is kept */
  bool dedupe; /* its repeated values are dropped */
  bool too_large;
  unsigned char name[65536], value[65536];
} reader;

static bool read_exact(reader *rd, void *buf, size_t n) {
  if (rd->in->raw + n > SCOUT_INTAKE_MAX_BYTES) {
    rd->too_large = true;
    return false;
  }
  for (size_t got = 0; got < n;) {
    ssize_t k = httpRead2(rd->http, (char *)buf + got, n - got);
    if (k <= 0)
      return false;
    got += (size_t)k;
  }
  rd->in->raw += n;
  return true;
}

static bool append(scout_intake *in, const void *p, size_t n) {
  if (in->len + n > in->cap) {
    size_t cap = in->cap ? in->cap * 2 : 4096;
    while (cap < in->len + n)
      cap *= 2;
    unsigned char *grown = realloc(in->data, cap);
    if (!grown)
      return false;
    in->data = grown;
    in->cap = cap;
  }
  memcpy(in->data + in->len, p, n);
  in->len += n;
  return true;
}

static bool append_element(scout_intake *in, unsigned char tag, const unsigned char *name,
                           size_t name_len, const unsigned char *value, size_t value_len) {
  unsigned char nl[2] = {(unsigned char)(name_len >> 8), (unsigned char)name_len};
  unsigned char vl[2] = {(unsigned char)(value_len >> 8), (unsigned char)value_len};
  return append(in, &tag, 1) && append(in, nl, 2) && append(in, name, name_len) &&
         append(in, vl, 2) && append(in, value, value_len);
}

static bool same(const scout_intake *in, span s, const unsigned char *p, size_t n) {
  return s.len == n && memcmp(in->data + s.off, p, n) == 0;
}

static void over_cap(scout_intake *in, const char *what, const reader *rd) {
  if (in->over_cap[0])
    return;
  span n = rd->n_names ? rd->names[rd->n_names - 1] : (span){0, 0};
  snprintf(in->over_cap, sizeof in->over_cap, "%s%.*s", what, (int)(n.len > 64 ? 64 : n.len),
           (const char *)in->data + n.off);
}

static void note_repeated(scout_intake *in, const unsigned char *name, size_t name_len) {
  if (name_len >= sizeof in->repeated[0])
    name_len = sizeof in->repeated[0] - 1;
  for (size_t i = 0; i < in->n_repeated; i++)
    if (strlen(in->repeated[i]) == name_len && memcmp(in->repeated[i], name, name_len) == 0)
      return;
  if (in->n_repeated == SCOUT_INTAKE_MAX_REPEATED)
    return;
  memcpy(in->repeated[in->n_repeated], name, name_len);
  in->repeated[in->n_repeated++][name_len] = '\0';
}

bool scout_intake_repeated(const scout_intake *in, const char *name) {
  for (size_t i = 0; in && i < in->n_repeated; i++)
    if (strcmp(in->repeated[i], name) == 0)
      return true;
  return false;
}

/* A new attribute (named element at the top level): kept unless this group
 * already has one of that name (libcups would only ever use the first). */
static void begin_attribute(reader *rd, size_t name_len) {
  scout_intake *in = rd->in;
  rd->n_values = 0;
  rd->keep = true;
  for (size_t i = 0; i < rd->n_names && rd->keep; i++)
    if (same(in, rd->names[i], rd->name, name_len))
      rd->keep = false;
  if (!rd->keep) {
    in->dropped++;
    note_repeated(in, rd->name, name_len);
    return;
  }
  if (rd->n_names == SCOUT_INTAKE_MAX_ATTRIBUTES) {
    rd->keep = false;
    snprintf(in->over_cap, sizeof in->over_cap, "more than %d attributes in one group",
             SCOUT_INTAKE_MAX_ATTRIBUTES);
    return;
  }
  rd->dedupe = name_len == 20 && memcmp(rd->name, "requested-attributes", 20) == 0;
}

/* A further value of the current attribute: false if it is left out. */
static bool keep_value(reader *rd, const unsigned char *value, size_t value_len) {
  scout_intake *in = rd->in;
  if (!rd->keep)
    return false;
  if (rd->dedupe)
    for (size_t i = 0; i < rd->n_values; i++)
      if (same(in, rd->values[i], value, value_len)) {
        in->dropped++;
        return false;
      }
  if (rd->n_values == SCOUT_INTAKE_MAX_VALUES) {
    over_cap(in, "too many values of ", rd);
    return false;
  }
  return true;
}

scout_intake_status scout_intake_read(http_t *http, scout_intake *in) {
  memset(in, 0, sizeof *in);
  reader *rd = calloc(1, sizeof *rd);
  if (!rd)
    return SCOUT_INTAKE_MALFORMED;
  rd->http = http;
  rd->in = in;
  scout_intake_status status = SCOUT_INTAKE_MALFORMED;
  unsigned char head[8];
  int depth = 0;          /* inside a collection value */
  bool keep_coll = false; /* that collection value is kept */
  bool have_attr = false;
  if (!read_exact(rd, head, sizeof head) || !append(in, head, sizeof head))
    goto out;
  for (;;) {
    unsigned char tag, len[2];
    if (!read_exact(rd, &tag, 1))
      goto out;
    if (tag == TAG_END) {
      if (depth == 0 && append(in, &tag, 1))
        status = SCOUT_INTAKE_OK;
      goto out;
    }
    if (tag < 0x10) { /* a group begins */
      if (depth != 0 || !append(in, &tag, 1))
        goto out;
      rd->n_names = 0;
      have_attr = false;
      continue;
    }
    if (tag == TAG_EXTENSION) /* no client of this queue needs one */
      goto out;
    if (!read_exact(rd, len, 2))
      goto out;
    size_t name_len = (size_t)len[0] << 8 | len[1];
    if (!read_exact(rd, rd->name, name_len) || !read_exact(rd, len, 2))
      goto out;
    size_t value_len = (size_t)len[0] << 8 | len[1];
    if (!read_exact(rd, rd->value, value_len))
      goto out;
    bool keep;
    if (depth > 0) {
      keep = keep_coll;
      if (tag == TAG_BEGIN_COLLECTION && ++depth > SCOUT_INTAKE_MAX_DEPTH)
        goto out;
      if (tag == TAG_END_COLLECTION)
        depth--;
    } else {
      if (tag == TAG_END_COLLECTION)
        goto out;
      if (name_len > 0) {
        begin_attribute(rd, name_len);
        have_attr = true;
        keep = rd->keep;
        if (keep) {
          rd->names[rd->n_names++] = (span){in->len + 3, name_len};
        }
      } else {
        if (!have_attr)
          goto out;
        keep = keep_value(rd, rd->value, value_len);
      }
      if (keep) /* where its value will be in the output */
        rd->values[rd->n_values++] = (span){in->len + 5 + name_len, value_len};
      if (tag == TAG_BEGIN_COLLECTION) {
        depth = 1;
        keep_coll = keep;
      }
    }
    if (keep && !append_element(in, tag, rd->name, name_len, rd->value, value_len))
      goto out;
  }
out:
  if (status == SCOUT_INTAKE_MALFORMED && rd->too_large)
    status = SCOUT_INTAKE_TOO_LARGE;
  free(rd);
  return status;
}

static ssize_t read_memory(void *ctx, ipp_uchar_t *buf, size_t len) {
  scout_intake *in = ctx;
  size_t left = in->len - in->pos;
  if (len > left)
    len = left;
  memcpy(buf, in->data + in->pos, len);
  in->pos += len;
  return (ssize_t)len;
}

ipp_t *scout_intake_parse(scout_intake *in) {
  ipp_t *ipp = ippNew();
  in->pos = 0;
  ipp_state_t state;
  while ((state = ippReadIO(in, read_memory, 1, NULL, ipp)) != IPP_STATE_DATA)
    if (state == IPP_STATE_ERROR) {
      ippDelete(ipp);
      return NULL;
    }
  return ipp;
}

void scout_intake_free(scout_intake *in) {
  free(in->data);
  memset(in, 0, sizeof *in);
}
