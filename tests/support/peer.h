/*
 * Real test peers (socat, ippeveprinter, snmpd, mosquitto, ...) for the
 * integration tests: started in a temporary directory on a free loopback
 * port, and always stopped, even when the test process dies (the peer gets
 * SIGTERM from the kernel when its parent exits).
 */
#ifndef SR_TEST_PEER_H
#define SR_TEST_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct sr_peer {
  pid_t pid;
  char name[32];
} sr_peer;

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int sr_test_free_port(void);

/* Makes a new directory /tmp/sr-test-NAME-XXXXXX; writes its path to `dir`
 * (at least 64 bytes). Returns false on failure. */
bool sr_test_tmpdir(const char *name, char *dir);

/* Removes a directory tree made by sr_test_tmpdir(). */
void sr_test_rmtree(const char *dir);

/* Starts argv[0] (searched in PATH) with argv, stdout and stderr appended to
 * `log_path` (or /dev/null). `env` is a NULL-terminated list of NAME=VALUE
 * added to the environment, or NULL. Returns false if it could not start. */
bool sr_peer_start(sr_peer *peer, const char *name, char *const argv[], char *const env[],
                   const char *log_path);

/* Waits until something listens on 127.0.0.1:`port` (TCP) or [::1], or on
 * UDP when `udp`, reading /proc/net (no probe connection is made, which
 * would disturb sinks). False after `timeout_ms`, or if the peer exited. */
bool sr_peer_wait_listening(const sr_peer *peer, int port, bool udp, int timeout_ms);

/* SIGTERM, then SIGKILL after 2 s; reaps the process. Idempotent. */
void sr_peer_stop(sr_peer *peer);

/* Reads a whole small file into a new buffer (free() it); NULL if absent. */
char *sr_test_read_file(const char *path, size_t *len);

/* Waits until `path` exists with `size` bytes (a sink finishing a file). */
bool sr_test_wait_file_size(const char *path, size_t size, int timeout_ms);

#endif
