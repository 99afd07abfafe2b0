/*
 * The print scout's IPP queue from the bytes a client sends: HTTP framing
 * (libcups), the IPP message, the checks every request goes through and
 * the operations (services/print-scout/ipp_server.c, ipp_ops.c), through
 * scout_queue_serve_one, the function a connection thread calls per
 * request. Anyone on the machine can connect to the queue.
 *
 * Input: an IPP request (plus document data), sent as the body of
 * "POST /ipp/print" with its Content-Length; an input that starts with an
 * upper-case letter is sent as it is instead (whole HTTP requests, several
 * per connection, chunked bodies). The bytes go through a Unix-domain
 * socket pair made by a listener in a private directory, as a client's
 * would. The input's length modulo 4 picks the peer: 0 unknown, 1 a plain
 * local account, 2 and 3 a trusted spooler (whose requesting-user-name is
 * believed). The document store hook keeps nothing.
 */
#include <cups/cups.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "ipp_attributes.h"
#include "ipp_queue_private.h"
#include "job_table.h"
#include "sr/abi.h"

static scout_queue queue;
static int listener = -1;

static int store_nothing(void *ctx, scout_job *job, int fd, char *reason, size_t reason_size) {
  (void)ctx;
  (void)fd;
  (void)reason;
  (void)reason_size;
  job->pages = -1;
  snprintf(job->store_key, sizeof job->store_key, "jobs/%08x.srjob", (unsigned)job->id);
  return SR_OK;
}

static void discard_nothing(void *ctx, const scout_job *job) {
  (void)ctx;
  (void)job;
}

static char dir[] = "/tmp/sr-fuzz-ipp-XXXXXX";
static struct sockaddr_un address = {.sun_family = AF_UNIX};

static void remove_socket(void) {
  unlink(address.sun_path);
  rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet();
  if (!mkdtemp(dir))
    abort();
  snprintf(address.sun_path, sizeof address.sun_path, "%s/queue", dir);
  listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 ||
      listen(listener, 4) != 0)
    abort();
  atexit(remove_socket);
  queue.options.address = "127.0.0.1";
  queue.options.port = 6310;
  queue.options.name = "fuzz";
  queue.options.max_document = 1 << 20;
  /* the limits as the service's defaults set them (scout_queue_start fills
   * zeros; the harness builds the queue by hand) */
  queue.options.max_connections = 64;
  queue.options.header_timeout_ms = 10000;
  queue.options.body_timeout_ms = 30000;
  queue.options.min_upload_rate = 1024;
  queue.options.upload_rate_window_ms = 30000;
  queue.options.max_upload_memory = 64 << 20;
  queue.options.max_connections_per_account = 32;
  queue.options.max_upload_memory_per_account = 32 << 20;
  /* the per-account upload counts, one entry per possible connection */
  static scout_account_upload account_uploads[64];
  queue.account_uploads = account_uploads;
  queue.options.incoming_expiry = 300;
  queue.options.max_jobs_per_user = 1000;
  queue.hooks.store = store_nothing;
  queue.hooks.discard = discard_nothing;
  snprintf(queue.name, sizeof queue.name, "fuzz");
  snprintf(queue.uri, sizeof queue.uri, "ipp://127.0.0.1:6310" SCOUT_QUEUE_RESOURCE);
  queue.port = 6310;
  queue.listen_fd = queue.unix_fd = -1;
  queue.stop_pipe[0] = queue.stop_pipe[1] = -1;
  queue.started = time(NULL);
  queue.attributes = scout_printer_attributes(queue.uri, queue.name,
                                              "urn:uuid:00000000-0000-4000-8000-000000000000",
                                              "http://127.0.0.1:6310/", 4, 8);
  pthread_mutex_init(&queue.lock, NULL);
  return 0;
}

/* Drops what the queue answered, so a long exchange never fills the
 * socket's buffer and blocks the server side (FUZZ_DEBUG=1 in the
 * environment: shows it, to check what a seed reaches). */
static void drain(int fd) {
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
    if (getenv("FUZZ_DEBUG"))
      fwrite(buf, 1, (size_t)n, stderr);
}

static bool send_all(int fd, const void *buf, size_t len) {
  for (size_t off = 0; off < len;) {
    ssize_t n = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    off += (size_t)n;
  }
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* the socket's buffer holds the whole request: the server reads it only
   * after it was all sent */
  if (size > 64 * 1024)
    return 0;
  int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int bufsize = 512 * 1024;
  if (client < 0 || setsockopt(client, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize) != 0 ||
      connect(client, (struct sockaddr *)&address, sizeof address) != 0)
    abort();
  bool raw = size > 0 && data[0] >= 'A' && data[0] <= 'Z';
  if (!raw) {
    char head[256];
    int n = snprintf(head, sizeof head,
                     "POST /ipp/print HTTP/1.1\r\nHost: localhost\r\n"
                     "Content-Type: application/ipp\r\nContent-Length: %zu\r\n\r\n",
                     size);
    if (!send_all(client, head, (size_t)n))
      abort();
  }
  if (!send_all(client, data, size))
    abort();
  shutdown(client, SHUT_WR);

  http_t *http = httpAcceptConnection(listener, 1); /* blocking, as the listener does */
  if (!http)
    abort();
  /* who connected, by the input's length: a peer the OS could not name,
   * a plain local account, or a trusted spooler (whose
   * requesting-user-name is believed) */
  scout_peer peer = {.known = size % 4 != 0, .uid = getuid(), .spooler = size % 4 >= 2};
  snprintf(peer.account, sizeof peer.account, "%s", peer.known ? "fuzz" : "");
  if (!peer.known)
    snprintf(peer.why, sizeof peer.why, "not on loopback");
  queue.jobs = scout_job_table_new();
  /* as a connection thread: requests until one says close (or EOF) */
  for (int i = 0; i < 64 && scout_queue_serve_one(&queue, http, &peer); i++)
    drain(client);
  scout_job_table_free(queue.jobs);
  httpClose(http); /* flushes the last answer */
  drain(client);
  close(client);
  return 0;
}
