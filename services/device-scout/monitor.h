/*
 * Monitoring the site's printers: the devices the tenant accepted (GET
 * /api/v1/site/devices, fetched again every status cadence, at most every
 * 5 minutes) whose hosts the site vouches for (site_vouch.h) are read through their device driver
 * on the monitor's own worker threads, each section on its cadence (`monitor:` in the
 * configuration: status, alerts, meters, supplies), and only the sections
 * whose value differs from the last one the cloud took are sent (POST
 * /api/v1/site/devices/{id}/observations). A printer that stops answering
 * is reported offline once: the same status is not sent again.
 */
#ifndef DEVICE_SCOUT_MONITOR_H
#define DEVICE_SCOUT_MONITOR_H

#include <ev.h>

#include "cloud_client.h"
#include "instance.h"
#include "service_config.h"
#include "snmp_client.h"

typedef struct monitor monitor;

typedef struct monitor_options {
  struct ev_loop *loop;
  sr_cloud_client *cloud; /* borrowed, given `loop`; freed after monitor_free */
  sr_instance **drivers;  /* borrowed, in the configuration's order; outlive the monitor */
  size_t n_drivers;
  sr_snmp_options snmp;    /* strings borrowed from the configuration */
  sr_monitor_config every; /* seconds between two reads of each section */
  /* what the site vouches for (site_vouch.h): only those devices are read */
  const char *discovery_path;      /* state_dir/discovery.json, "" or NULL: none */
  const char *const *static_hosts; /* the site's `printers:`, NULL-terminated; borrowed */
} monitor_options;

/* Starts monitoring (the device list is asked for now). The caller owns
 * the result (monitor_free); NULL if its threads cannot start or with no
 * driver (then nothing is monitored, which is logged). */
monitor *monitor_start(const monitor_options *options);

/* Stops the timers, waits for the reads in progress (bounded by the SNMP
 * timeouts) and frees the monitor once no cloud call of it is in flight
 * (those end at the latest when the client is freed). On the loop's
 * thread. NULL is fine. */
void monitor_free(monitor *m);

#endif
