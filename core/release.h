/*
 * Release commands from the cloud (MQTT, sr/v1/TENANT/scouts/ID/cmd) and
 * their outcome (.../evt). A command names a held job and the printer:
 *   {"type":"release","release":"R","job":"UUID",
 *    "printer":{"device":"ID","uris":["ipps://…","ipp://…","socket://…"],"snmp":"HOST:PORT"},
 *    "settings":{"copies":2,"sides":"two-sided-long-edge","color":"monochrome"},
 *    "deadline":1767225600}
 * A release command received after its deadline (Unix time, by this
 * computer's clock) is dropped without an answer: the cloud has given the
 * release to another deliverer or failed it by then, so a computer that
 * wakes up late never prints a job that went elsewhere. A command without
 * a deadline is ignored too. A command repeated for a release this scout
 * already took is answered as below, deadline or not.
 * {"type":"delete","job":"UUID"} deletes a held job (from the panel, or expired).
 * The scout answers {"type":"release","release":"R","job":"UUID","state":S,...}
 * with S = printing, then printed or failed (with "reason"). In between,
 * S = waiting (with "reason") while the release waits in its printer's
 * line ("waiting for 2 jobs ahead at this printer") or for a busy printer
 * ("waiting for the printer: ..."), which is tried again with backoff for
 * up to `busy_deadline` seconds. A failed release leaves the job held; a
 * command repeated for a release already under way or done prints nothing
 * again and is answered "printing" or "printed" again.
 * The printer must be allowed (printer_allow.h): by the static `printers`
 * hosts, else by a printer list the site signed; a release naming a device
 * the lists held do not allow makes the scout fetch the lists again
 * (`lists_cloud`), once, before it fails with the reason (the job stays
 * held).
 * A release of a job this scout does not hold, when it prints for others
 * (the site service; a print scout with serve_others): "printing" and
 * "waiting" ("fetching the job's cloud copy") at once, then the copy is fetched and the release
 * goes on as above; a copy that cannot be fetched fails the release.
 */
#ifndef SCOUT_RELEASE_H
#define SCOUT_RELEASE_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "cloud_client.h"
#include "instance.h"
#include "job_table.h"
#include "mqtt_channel.h"
#include "printer_book.h"
#include "printer_lines.h"
#include "site_key.h"
#include "worker_pool.h"

typedef struct scout_releaser {
  struct ev_loop *loop;
  scout_job_table *jobs;
  sr_instance *storage;
  const sr_site_key *key;
  sr_instance *const *transports;
  size_t n_transports;
  sr_instance *driver;          /* may be NULL: no status check */
  const char *const *printers;  /* hosts a release may print to, NULL-terminated; empty: book */
  sr_printer_book *book;        /* the site's signed lists; borrowed; NULL: none */
  sr_cloud_client *lists_cloud; /* fetches the lists (at start, every `lists_every` s, and for
                                   an unknown printer); borrowed; NULL: never */
  double lists_every;
  ev_timer lists_timer;
  sr_mqtt *mqtt;
  char evt_topic[256];
  int64_t busy_deadline; /* seconds a busy printer is tried again; 0: not */
  sr_worker_pool *pool;  /* releases run here, off the loop; owned */
  printer_lines *lines;  /* one line per printer; owned */
  /* Failover (docs/storage.md): with `cloud` set, a release of a job this
   * scout does not hold is printed from the job's cloud copy, fetched
   * (ciphertext) into `cache` and authenticated and decrypted with `key`
   * like a job of its own; the copy is removed once the release ends. */
  sr_cloud_client *cloud;      /* GET /api/v1/scout/jobs/{id}/copy; borrowed; NULL: off */
  sr_instance *cache;          /* storage for fetched copies; borrowed */
  scout_job_table *fetched;    /* the jobs fetched, which no queue shows; owned */
  bool stopping;               /* set by scout_releaser_stop: nothing new starts */
  int commands_awaiting_lists; /* releases waiting for a printer-list fetch (loop only) */
} scout_releaser;

/* Prepares the releaser on `loop` (fields above set by the caller first);
 * false if its worker threads cannot start. */
bool scout_releaser_start(scout_releaser *r);

/* Handles one command (on the loop's thread). */
void scout_releaser_command(scout_releaser *r, const char *payload, size_t len);

/* Reads the printer and settings of a release command as
 * scout_releaser_command does before it starts a release, without starting
 * one: true if it would print. For tests/fuzz/fuzz_release_cmd.c (a real
 * release needs a job file, a store and a printer). */
bool scout_release_check_command(const scout_releaser *r, const char *payload, size_t len,
                                 char *why, size_t why_size);

/* Waits for the deliveries in progress (each bounded by the delivery's
 * timeouts) and reports them; the releases still waiting in a line or for
 * a busy printer fail ("the scout stopped"), their jobs held. Stops. */
void scout_releaser_stop(scout_releaser *r);

#endif
