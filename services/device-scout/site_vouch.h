/*
 * Which hosts the site vouches for as its printers: those its own last
 * scan found as printers (state_dir/discovery.json, devices of kind
 * "printer") and those in its `printers:`. The cloud's device list is
 * taken only where the site vouches for every host of a device: the
 * signer signs nothing else (so a compromised cloud cannot aim a release
 * at a host of its own) and the monitor reads nothing else (so it cannot
 * make the site send its SNMP community or IPP requests to such a host).
 */
#ifndef DEVICE_SCOUT_SITE_VOUCH_H
#define DEVICE_SCOUT_SITE_VOUCH_H

#include <jansson.h>

/* The hosts, as a new array of strings the caller owns. `discovery_path`
 * ("" or NULL: no scan) is read here (a small local file); a file that
 * cannot be read is logged under `component` and adds nothing.
 * `static_hosts` is NULL-terminated, may be NULL. */
json_t *site_vouched_hosts(const char *discovery_path, const char *const *static_hosts,
                           const char *component);

/* NULL if `hosts` hold every host of `device` (the cloud's {id, uris,
 * snmp}), else why not: a new string the caller frees. */
char *site_why_not_vouched(const json_t *hosts, const json_t *device);

#endif
