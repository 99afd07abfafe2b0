/*
 * Which local account is at the other end of one of the queue's
 * connections, as the kernel knows it (never as the client says).
 */
#ifndef SCOUT_PEER_IDENTITY_H
#define SCOUT_PEER_IDENTITY_H

#include <stddef.h>
#include <sys/types.h>

/* The UID that owns the client end of the connected socket `fd`:
 * SO_PEERCRED for a Unix-domain socket, the kernel's socket diagnostics
 * for TCP over loopback (IPv4, IPv6, IPv4-mapped IPv6). SR_OK with *uid
 * set; otherwise SR_ERR_NOT_FOUND (a peer on another host, or a client that
 * has already gone) or SR_ERR_IO, with `why` saying which. `fd` stays the
 * caller's. */
int scout_peer_uid(int fd, uid_t *uid, char *why, size_t why_size);

#endif
