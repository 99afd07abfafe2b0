/*
 * securerelease plugin SDK: ABI version, status codes and symbol visibility.
 *
 * The ABI major changes only when an existing member changes meaning or
 * position; the host refuses a plugin built for another major. A minor
 * release only appends members to the end of structs, so plugins built for
 * an older or newer minor keep loading (see docs/plugins.md).
 */
#ifndef SR_ABI_H
#define SR_ABI_H

#include <stddef.h>
#include <stdint.h>

#define SR_ABI_MAJOR 1
#define SR_ABI_MINOR 5

#if defined(__GNUC__)
#define SR_EXPORT __attribute__((visibility("default")))
#define SR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define SR_EXPORT
#define SR_PRINTF(fmt, args)
#endif

/* True when the struct `p` points to, as its struct_size says, holds
 * `member`: a plugin reads or writes a member of a later minor only then
 * (the host may be older than the plugin). */
#define SR_HAS_MEMBER(p, member)                                                                   \
  ((size_t)(p)->struct_size >= offsetof(__typeof__(*(p)), member) + sizeof((p)->member))

/* Status codes: 0 is success, everything else is negative. Functions named
 * for an action return one of these. */
typedef enum sr_status {
  SR_OK = 0,
  SR_ERR_INVALID = -1,     /* bad argument or malformed input */
  SR_ERR_NOMEM = -2,       /* allocation failed */
  SR_ERR_NOT_FOUND = -3,   /* no such key, user, job or device */
  SR_ERR_EXISTS = -4,      /* already present */
  SR_ERR_UNSUPPORTED = -5, /* the plugin does not do this */
  SR_ERR_IO = -6,          /* local I/O failed */
  SR_ERR_CONNECT = -7,     /* could not connect or negotiate with a peer */
  SR_ERR_PEER = -8,        /* the peer answered with an error */
  SR_ERR_AUTH = -9,        /* credential refused */
  SR_ERR_DEFER = -10,      /* not mine: pass the request to the next plugin */
  SR_ERR_PENDING = -11,    /* not finished yet: ask again later */
  SR_ERR_CORRUPT = -12,    /* data failed an integrity check */
  SR_ERR_ABI = -13,        /* ABI versions do not match */
  SR_ERR_CONFIG = -14,     /* configuration is wrong */
  SR_ERR_TIMEOUT = -15,    /* the peer did not answer in time */
  /* ---- ABI 1.2 ---- */
  SR_ERR_BUSY = -16, /* the peer refused for now (busy); it kept nothing: try again later */
} sr_status;

/* The four plugin kinds. */
typedef enum sr_plugin_kind {
  SR_PLUGIN_IDP = 1,
  SR_PLUGIN_STORAGE = 2,
  SR_PLUGIN_TRANSPORT = 3,
  SR_PLUGIN_DEVICE = 4,
} sr_plugin_kind;

/* Returns a static, human-readable name for a status code. */
static inline const char *sr_status_name(int status) {
  switch (status) {
  case SR_OK: return "ok";
  case SR_ERR_INVALID: return "invalid argument";
  case SR_ERR_NOMEM: return "out of memory";
  case SR_ERR_NOT_FOUND: return "not found";
  case SR_ERR_EXISTS: return "already exists";
  case SR_ERR_UNSUPPORTED: return "unsupported";
  case SR_ERR_IO: return "I/O error";
  case SR_ERR_CONNECT: return "cannot connect";
  case SR_ERR_PEER: return "peer error";
  case SR_ERR_AUTH: return "authentication failed";
  case SR_ERR_DEFER: return "deferred";
  case SR_ERR_PENDING: return "pending";
  case SR_ERR_CORRUPT: return "corrupt data";
  case SR_ERR_ABI: return "ABI mismatch";
  case SR_ERR_CONFIG: return "configuration error";
  case SR_ERR_TIMEOUT: return "timed out";
  case SR_ERR_BUSY: return "busy";
  default: return "unknown error";
  }
}

/* Returns the configuration keyword of a kind ("idp", "storage", ...). */
static inline const char *sr_plugin_kind_name(int kind) {
  switch (kind) {
  case SR_PLUGIN_IDP: return "idp";
  case SR_PLUGIN_STORAGE: return "storage";
  case SR_PLUGIN_TRANSPORT: return "transport";
  case SR_PLUGIN_DEVICE: return "device";
  default: return "unknown";
  }
}

#endif
