#include "mib_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mib_get_text(const sr_device_target *t, const char *column, const char *index, char *out,
                 size_t size) {
  char oid[160];
  snprintf(oid, sizeof oid, "%s%s", column, index);
  out[0] = '\0';
  int status = t->snmp_get(t->snmp_ctx, oid, out, size);
  if (status != SR_OK)
    out[0] = '\0';
  return status;
}

int mib_get_int(const sr_device_target *t, const char *column, const char *index, long *out) {
  char value[64];
  int status = mib_get_text(t, column, index, value, sizeof value);
  if (status != SR_OK)
    return status;
  char *end;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (end == value || *end || errno == ERANGE)
    return SR_ERR_PEER; /* text, or more than a long: *out keeps its default */
  *out = n;
  return SR_OK;
}

typedef struct row_walk {
  size_t prefix_len;
  size_t left;
  mib_row_fn fn;
  void *ctx;
} row_walk;

static int walk_row(void *ctx, const char *oid, const char *value) {
  row_walk *w = ctx;
  if (w->left == 0)
    return SR_ERR_EXISTS; /* stops the walk */
  w->left--;
  /* the host walks inside the column: the rest of the OID is the row */
  if (strlen(oid) <= w->prefix_len || oid[w->prefix_len] != '.')
    return SR_OK;
  return w->fn(w->ctx, oid + w->prefix_len, value);
}

int mib_each_row(const sr_device_target *t, const char *column, size_t max, mib_row_fn fn,
                 void *ctx) {
  row_walk w = {strlen(column), max, fn, ctx};
  int status = t->snmp_walk(t->snmp_ctx, column, walk_row, &w);
  return status == SR_ERR_EXISTS ? SR_OK : status;
}

typedef struct first {
  char *index;
  size_t size;
} first;

static int take_first(void *ctx, const char *index, const char *value) {
  (void)value;
  first *f = ctx;
  snprintf(f->index, f->size, "%s", index);
  return SR_ERR_EXISTS;
}

bool mib_first_row(const sr_device_target *t, const char *column, char *index, size_t size,
                   int *status) {
  index[0] = '\0';
  first f = {index, size};
  *status = mib_each_row(t, column, 1, take_first, &f);
  return *status == SR_OK && index[0];
}
