/*
 * Who may do what in the scout's queue (docs/workstation-users.md).
 *
 * The operating system names the account behind a connection
 * (peer_identity.c). Only a trusted spooler (the OS's own print system,
 * which has already authenticated its user) is believed when it names the
 * user in requesting-user-name; any other account is itself, whatever it
 * writes. A job belongs to the user it was submitted as; its owner and an
 * administrator (root) may see its private values (job-name,
 * job-originating-user-name, as CUPS's JobPrivateValues) and delete it.
 */
#ifndef SCOUT_QUEUE_ACCESS_H
#define SCOUT_QUEUE_ACCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "job_table.h"

/* The account at the other end of one connection. */
typedef struct scout_peer {
  bool known;        /* the OS told us who it is */
  uid_t uid;         /* valid when known */
  char account[256]; /* its login name ("#UID" if it has none) */
  bool spooler;      /* a trusted spooler: requesting-user-name is believed */
  char why[160];     /* when unknown: why not */
} scout_peer;

/* Whom one request acts as. */
typedef struct scout_requester {
  bool known;     /* false: an unknown peer, who owns nothing */
  bool admin;     /* root: every job */
  char name[256]; /* the user it acts as (a job's owner name) */
  char via[256];  /* the account that connected */
} scout_requester;

/* Identifies the peer of the connected socket `fd` (left open).
 * `trusted_spoolers` is a NULL-terminated list of account names (may be
 * NULL: none). */
void scout_peer_identify(int fd, const char *const *trusted_spoolers, scout_peer *out);

/* Whom a request from `peer` acts as; `requesting_user` is the request's
 * requesting-user-name or NULL. */
void scout_requester_of(const scout_peer *peer, const char *requesting_user, scout_requester *out);

/* True if `who` may see the job's private values and delete it: its owner
 * or an administrator. */
bool scout_may_manage(const scout_requester *who, const scout_job *job);

#endif
