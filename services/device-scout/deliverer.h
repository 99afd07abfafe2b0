/*
 * The site service as a deliverer (document_handling `site`,
 * docs/storage.md): connected to the broker like a print scout (its
 * enrollment certificate, its own topics), it takes the release commands
 * the cloud gives it when a job's workstation is away, fetches the job's
 * cloud copy into its cache (ciphertext), authenticates and decrypts it
 * with the site key, checks the printer over SNMP and delivers it through
 * the transports, one job at a time per printer, and reports the outcome
 * as a print scout would (core/release.c). The copy is removed from the
 * cache once the release ends.
 */
#ifndef DEVICE_SCOUT_DELIVERER_H
#define DEVICE_SCOUT_DELIVERER_H

#include <stdbool.h>
#include <stddef.h>

#include "loader.h"
#include "release_link.h"
#include "site_key.h"
#include "web_intake.h"

#define DELIVERER_MAX_TRANSPORTS 8

typedef struct deliverer {
  sr_instance *cache; /* owned */
  sr_instance *transports[DELIVERER_MAX_TRANSPORTS];
  size_t n_transports;
  sr_instance *driver;      /* owned; NULL: no status check */
  const char *printers[65]; /* NULL-terminated; borrowed from the configuration */
  sr_cloud_client *cloud;   /* fetches copies; owned */
  scout_job_table *jobs;    /* the site holds none of its own: always empty; owned */
  sr_release_link link;
  web_intake intake; /* checks web uploads the cloud asks about (web_intake.h) */
} deliverer;

/* Starts the deliverer if the configuration has a `cache` (else does
 * nothing and returns true): plugins from `loader`, the key `key`
 * (borrowed), copies fetched with a client made from `cloud` (the site's
 * own options, copied), MQTT as the site's certificate's CN. It prints to
 * the `printers` hosts, else to the printers of the list the site signs
 * itself, `book` (borrowed; NULL: none). False with every problem printed
 * on stderr. */
bool deliverer_start(deliverer *d, const sr_config *doc, const sr_service_config *cfg,
                     sr_loader *loader, const sr_site_key *key, const sr_cloud_options *cloud,
                     sr_printer_book *book);

/* The site's scout id: its enrollment certificate's CN (cloud_tls.cert),
 * as the broker's ACL and the cloud know it. False if it cannot be read. */
bool site_scout_id(const sr_config *doc, const sr_tls_config *tls, char *id, size_t size);

/* Stops it (after the loop) and frees what it made; harmless if never
 * started. */
void deliverer_free(deliverer *d);

#endif
