/*
 * The discovery scan's SNMP engine: net-snmp's asynchronous API on the
 * service's libev loop. One UDP session per address family sends to every
 * address (each request carries its destination), so thousands of requests
 * are in flight on one socket; at most `outstanding` at once, at most
 * `rate` packets a second (retries and probes included).
 *
 * Credential sets are tried in order, one pass each, on the addresses that
 * have not answered yet. A v1/v2c pass sends one GETNEXT per address asking
 * for sysDescr, sysObjectID, prtGeneralSerialNumber and hrDeviceDescr at
 * once; whether the Printer MIB answers tells a printer from any other
 * agent. A v3 pass first sends an engine-ID discovery probe (RFC 3414 4,
 * one unauthenticated packet) and opens a session with the credential set
 * only for the agents that answer it, with their engine ID filled in so
 * net-snmp never probes synchronously.
 */
#ifndef SR_SCAN_ENGINE_H
#define SR_SCAN_ENGINE_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan_targets.h"
#include "service_config.h"

typedef struct scan_options {
  int port;
  double rate;        /* packets a second */
  size_t outstanding; /* requests in flight at most */
  int timeout_ms;     /* per attempt */
  int retries;
  const sr_discovery_credential *credentials; /* borrowed for the scan's life */
  size_t n_credentials;
} scan_options;

/* An agent that answered. Strings are owned by the engine ("" if absent). */
typedef struct scan_found {
  scan_address address;
  size_t credential; /* index into the options' credentials */
  bool printer;      /* it has the Printer MIB */
  char *sys_object_id, *sys_descr, *serial, *hr_device_descr;
} scan_found;

typedef struct scan_engine scan_engine;

/* Called once when every pass is done, from the loop. It may free the engine. */
typedef void (*scan_done_fn)(void *ctx);

/* Starts scanning `targets` (borrowed until the engine is freed; resolved
 * already). NULL with `err` set if no socket could be opened. */
scan_engine *scan_engine_start(struct ev_loop *loop, const scan_targets *targets,
                               const scan_options *options, scan_done_fn done, void *ctx, char *err,
                               size_t err_size);
/* Stops (if still running) and frees everything, the results included. */
void scan_engine_free(scan_engine *e);

/* Progress: address attempts finished and to do, over all passes. */
void scan_engine_progress(const scan_engine *e, uint64_t *done, uint64_t *total);
/* UDP packets sent so far (requests, retries, probes). */
uint64_t scan_engine_packets(const scan_engine *e);
/* Seconds from the first packet to the last, and from the start to the
 * last answer (0 if none): the rate held and the time to find everyone. */
void scan_engine_timing(const scan_engine *e, double *send_seconds, double *last_answer_seconds);
/* The agents that answered, in the order they did. */
const scan_found *scan_engine_found(const scan_engine *e, size_t *count);

#endif
