/*
 * Reading one printer through a device driver, as JSON the cloud takes
 * (POST /api/v1/site/devices/{id}/observations): status, alerts, meters,
 * supplies. Blocking (SNMP or IPP round trips): call on a worker thread,
 * never on the loop.
 */
#ifndef DEVICE_SCOUT_DEVICE_READ_H
#define DEVICE_SCOUT_DEVICE_READ_H

#include <jansson.h>
#include <stdbool.h>

#include "instance.h"
#include "snmp_client.h"

typedef enum device_section {
  SECTION_STATUS,
  SECTION_ALERTS,
  SECTION_METERS,
  SECTION_SUPPLIES,
  SECTION_COUNT
} device_section;

/* "status", "alerts", "meters", "supplies". */
const char *device_section_name(int section);

/* Where a device is reached; strings borrowed. */
typedef struct device_address {
  const char *snmp;    /* "HOST:PORT" of its agent, or NULL */
  const char *ipp_uri; /* an ipp:// or ipps:// URI, or NULL */
} device_address;

/* The driver of `drivers` (n of them) that knows the device best
 * (sr_device_pick), from what its SNMP agent says and its IPP URI; -1 if
 * none does, -2 if none does and its agent did not answer (offline). */
int device_pick_driver(sr_instance **drivers, size_t n, const device_address *where,
                       const sr_snmp_options *snmp);

/* Reads the sections whose bit (1 << section) is in `wanted` with `driver`
 * into out[section] (NULL where not read: the driver has no such reader or
 * it failed). A device that does not answer gets out[SECTION_STATUS] =
 * {"state": "offline", ...} and nothing else; *answered says which. The
 * caller decrefs out[]. */
void device_read(sr_instance *driver, const device_address *where, const sr_snmp_options *snmp,
                 unsigned wanted, json_t *out[SECTION_COUNT], bool *answered);

#endif
