#include "scan_targets.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t address_len(int family) { return family == AF_INET ? 4 : 16; }

static int address_cmp(const scan_address *a, const scan_address *b) {
  return memcmp(a->bytes, b->bytes, address_len(a->family));
}

/* a + 1; false when it wraps past the last address of its family. */
static bool address_increment(scan_address *a) {
  for (size_t i = address_len(a->family); i-- > 0;)
    if (++a->bytes[i] != 0)
      return true;
  return false;
}

static bool parse_address(const char *text, scan_address *out) {
  memset(out, 0, sizeof *out);
  if (inet_pton(AF_INET, text, out->bytes) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text, out->bytes) == 1) {
    out->family = AF_INET6;
    return true;
  }
  return false;
}

/* The number of addresses in r, capped just above the limit. */
static uint64_t range_size(const scan_range *r) {
  size_t len = address_len(r->first.family);
  uint64_t size = 0;
  for (size_t i = 0; i < len; i++) {
    int d = (int)r->last.bytes[i] - (int)r->first.bytes[i];
    if (size > SCAN_MAX_RANGE_SIZE)
      return (uint64_t)SCAN_MAX_RANGE_SIZE + 1;
    size = size * 256 + (uint64_t)(int64_t)d; /* borrows fold in as negative digits */
  }
  return size + 1;
}

/* A host name as RFC 1123 allows: letters, digits, '-', dots. */
static bool host_name_ok(const char *text) {
  size_t n = strlen(text);
  if (n == 0 || n > 253 || text[0] == '.' || text[0] == '-')
    return false;
  bool letter = false;
  for (const char *p = text; *p; p++) {
    if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
      return false;
    letter = letter || isalpha((unsigned char)*p);
  }
  return letter; /* all digits and dots is a mistyped address, not a name */
}

scan_parse_result scan_target_parse(const char *text, scan_range *out, char *err, size_t err_size) {
  char buf[128];
  if (strlen(text) >= sizeof buf) {
    snprintf(err, err_size, "too long for an address, range or host name");
    return SCAN_PARSE_ERROR;
  }
  snprintf(buf, sizeof buf, "%s", text);
  char *slash = strchr(buf, '/'), *dash = strchr(buf, '-');
  if (slash) {
    *slash = 0;
    char *end;
    long bits = strtol(slash + 1, &end, 10);
    if (!parse_address(buf, &out->first) || *end || end == slash + 1) {
      snprintf(err, err_size, "expected a CIDR block such as 10.1.0.0/22 or fd00::/120");
      return SCAN_PARSE_ERROR;
    }
    int total = (int)address_len(out->first.family) * 8;
    if (bits < 0 || bits > total) {
      snprintf(err, err_size, "prefix length /%ld is not from 0 to %d", bits, total);
      return SCAN_PARSE_ERROR;
    }
    out->last = out->first;
    for (int i = 0; i < total; i++) {
      uint8_t bit = (uint8_t)(0x80 >> (i % 8));
      if (i < bits)
        continue;
      out->first.bytes[i / 8] &= (uint8_t)~bit; /* a host address inside the block is fine */
      out->last.bytes[i / 8] |= bit;
    }
  } else if (dash && (*dash = 0, parse_address(buf, &out->first))) {
    if (!parse_address(dash + 1, &out->last) || out->last.family != out->first.family) {
      snprintf(err, err_size, "expected a range such as 10.2.0.5-10.2.0.40 (same family)");
      return SCAN_PARSE_ERROR;
    }
    if (address_cmp(&out->first, &out->last) > 0) {
      snprintf(err, err_size, "the range ends before it starts");
      return SCAN_PARSE_ERROR;
    }
  } else if ((dash ? *dash = '-' : 0), parse_address(buf, &out->first)) {
    out->last = out->first;
  } else if (host_name_ok(buf)) {
    return SCAN_PARSE_HOST;
  } else {
    snprintf(err, err_size, "expected an address, a range A-B, a CIDR block or a host name");
    return SCAN_PARSE_ERROR;
  }
  if (range_size(out) > SCAN_MAX_RANGE_SIZE) {
    snprintf(err, err_size, "more than %u addresses: split it or narrow it", SCAN_MAX_RANGE_SIZE);
    return SCAN_PARSE_ERROR;
  }
  return SCAN_PARSE_RANGE;
}

bool scan_targets_add(scan_targets *t, const scan_range *r, bool excluded) {
  scan_range **list = excluded ? &t->exclude : &t->include;
  size_t *n = excluded ? &t->n_exclude : &t->n_include;
  scan_range *grown = realloc(*list, (*n + 1) * sizeof *grown);
  if (!grown)
    return false;
  grown[(*n)++] = *r;
  *list = grown;
  return true;
}

static bool add_host(scan_targets *t, const char *name) {
  char **grown = realloc(t->hosts, (t->n_hosts + 1) * sizeof *grown);
  if (!grown)
    return false;
  t->hosts = grown;
  return (t->hosts[t->n_hosts] = strdup(name)) != NULL && ++t->n_hosts;
}

static bool add_list(const sr_config_node *list, scan_targets *t, bool excluded) {
  bool ok = true;
  for (size_t i = 0; list && i < list->count; i++) {
    const sr_config_node *item = list->items[i];
    if (item->type != SR_CONFIG_SCALAR)
      continue; /* the schema said so */
    scan_range r;
    char err[160];
    scan_parse_result kind = scan_target_parse(item->value, &r, err, sizeof err);
    if (kind == SCAN_PARSE_HOST && excluded) {
      /* excluding by name would depend on what it resolves to at scan time */
      sr_config_add_error(item, false, "exclude by address, range or CIDR block, not host name");
      ok = false;
    } else if (kind == SCAN_PARSE_ERROR) {
      sr_config_add_error(item, false, "'%s': %s", item->value, err);
      ok = false;
    } else if (!(kind == SCAN_PARSE_HOST ? add_host(t, item->value)
                                         : scan_targets_add(t, &r, excluded))) {
      sr_config_add_error(item, false, "out of memory");
      ok = false;
    }
  }
  return ok;
}

bool scan_targets_from_config(const sr_config_node *targets, const sr_config_node *exclude,
                              scan_targets *t) {
  memset(t, 0, sizeof *t);
  bool ok = add_list(targets, t, false);
  return add_list(exclude, t, true) && ok;
}

void scan_targets_free(scan_targets *t) {
  free(t->include);
  free(t->exclude);
  for (size_t i = 0; i < t->n_hosts; i++)
    free(t->hosts[i]);
  free(t->hosts);
  memset(t, 0, sizeof *t);
}

bool scan_targets_resolve(scan_targets *t, char *err, size_t err_size) {
  bool ok = true;
  for (size_t i = 0; i < t->n_hosts; i++) {
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    int rc = getaddrinfo(t->hosts[i], NULL, &hints, &res);
    if (rc != 0) {
      snprintf(err, err_size, "discovery target %s does not resolve: %s (check the name or DNS)",
               t->hosts[i], gai_strerror(rc));
      ok = false;
      continue;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
      scan_range r = {0};
      if (ai->ai_family == AF_INET)
        memcpy(r.first.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
      else if (ai->ai_family == AF_INET6)
        memcpy(r.first.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
      else
        continue;
      r.first.family = ai->ai_family;
      r.last = r.first;
      if (!scan_targets_add(t, &r, false))
        ok = false;
    }
    freeaddrinfo(res);
  }
  return ok;
}

static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* `a` in its other form: an IPv4 address as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), such an IPv6 address as IPv4. False if it has none. */
static bool other_form(const scan_address *a, scan_address *out) {
  memset(out, 0, sizeof *out);
  if (a->family == AF_INET) {
    out->family = AF_INET6;
    memcpy(out->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix);
    memcpy(out->bytes + 12, a->bytes, 4);
    return true;
  }
  if (memcmp(a->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix) != 0)
    return false;
  out->family = AF_INET;
  memcpy(out->bytes, a->bytes + 12, 4);
  return true;
}

static const scan_range *excluding_as_written(const scan_targets *t, const scan_address *a) {
  for (size_t i = 0; i < t->n_exclude; i++) {
    const scan_range *e = &t->exclude[i];
    if (e->first.family == a->family && address_cmp(&e->first, a) <= 0 &&
        address_cmp(a, &e->last) <= 0)
      return e;
  }
  return NULL;
}

/* The exclusion holding `a`, or NULL. A dual-stack socket sends to
 * ::ffff:a.b.c.d over IPv4, so an exclusion in either form holds for
 * both: else a mapped target would reach an excluded IPv4 host. */
static const scan_range *excluding(const scan_targets *t, const scan_address *a) {
  scan_address other;
  const scan_range *e = excluding_as_written(t, a);
  if (!e && other_form(a, &other))
    e = excluding_as_written(t, &other);
  return e;
}

bool scan_address_excluded(const scan_targets *t, const scan_address *a) {
  return excluding(t, a) != NULL;
}

/* Moves past c->next, to the next range after `r`'s last address. */
static void cursor_step(scan_cursor *c, const scan_range *r) {
  if (!address_increment(&c->next) || address_cmp(&c->next, &r->last) > 0) {
    c->range++;
    c->started = false;
  }
}

void scan_cursor_init(scan_cursor *c, const scan_targets *t) {
  memset(c, 0, sizeof *c);
  c->t = t;
}

bool scan_cursor_next(scan_cursor *c, scan_address *out) {
  while (c->range < c->t->n_include) {
    const scan_range *r = &c->t->include[c->range];
    if (!c->started) {
      c->next = r->first;
      c->started = true;
    }
    bool inside = address_cmp(&c->next, &r->last) <= 0;
    const scan_range *e = inside ? excluding(c->t, &c->next) : NULL;
    if (inside && !e) {
      *out = c->next;
      cursor_step(c, r);
      return true;
    }
    if (e && e->first.family != c->next.family) { /* held in its other form: this one only */
      cursor_step(c, r);
      continue;
    }
    if (e && address_cmp(&e->last, &r->last) < 0) {
      c->next = e->last; /* jump over the whole exclusion */
      address_increment(&c->next);
      continue;
    }
    c->range++;
    c->started = false;
  }
  return false;
}

uint64_t scan_targets_count(const scan_targets *t) {
  scan_cursor c;
  scan_address a;
  uint64_t n = 0;
  scan_cursor_init(&c, t);
  while (scan_cursor_next(&c, &a))
    n++;
  return n;
}

void scan_address_format(const scan_address *a, char *buf, size_t size) {
  if (!inet_ntop(a->family, a->bytes, buf, (socklen_t)size))
    snprintf(buf, size, "?");
}

socklen_t scan_address_sockaddr(const scan_address *a, int port, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (a->family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)out;
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    memcpy(&in->sin_addr, a->bytes, 4);
    return sizeof *in;
  }
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons((uint16_t)port);
  memcpy(&in6->sin6_addr, a->bytes, 16);
  return sizeof *in6;
}
