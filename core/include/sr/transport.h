/*
 * securerelease plugin SDK: transport plugins (IPPS, IPP, RAW, ...).
 *
 * A transport delivers one decrypted document to a printer. The host tries
 * the configured transports in order and falls back to the next one only
 * when open() or send() returns SR_ERR_CONNECT, which a plugin may return
 * only while the printer has accepted no byte of the document.
 */
#ifndef SR_TRANSPORT_H
#define SR_TRANSPORT_H

#include <stdbool.h>

#include "plugin.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Job attributes for the printer. Owned by the host, valid during send(). */
typedef struct sr_job_attrs {
  uint32_t struct_size; /* set by the host: read only members that fit */
  /* ---- ABI 1.0 ---- */
  const char *job_name;        /* title shown at the printer */
  const char *user_name;       /* requesting user's display name */
  const char *document_format; /* MIME type, e.g. "application/pdf" */
  int32_t copies;              /* >= 1 */
  const char *sides;           /* IPP keyword: "one-sided", "two-sided-long-edge", ... */
  const char *color_mode;      /* IPP keyword: "color", "monochrome", "auto" */
  int64_t size;                /* document bytes, or -1 if unknown */
} sr_job_attrs;

typedef enum sr_print_job_state {
  SR_PRINT_UNKNOWN = 0,    /* the transport cannot tell (RAW) */
  SR_PRINT_PENDING = 1,    /* queued at the printer */
  SR_PRINT_PROCESSING = 2, /* printing */
  SR_PRINT_COMPLETED = 3,  /* done */
  SR_PRINT_CANCELED = 4,
  SR_PRINT_ABORTED = 5, /* the printer gave up; see reason */
} sr_print_job_state;

typedef struct sr_transport_status {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.0 ---- */
  int32_t state;    /* sr_print_job_state */
  char reason[256]; /* printer's reason, NUL-terminated, "" if none */
} sr_transport_status;

/*
 * Execution (sr/plugin.h): open, send, job_state, cancel and close may
 * block; the host calls them on a worker thread, never the event loop's,
 * one at a time per instance unless the plugin declares
 * SR_PLUGIN_THREAD_SAFE. The host sets no timeout on them: bound your own
 * I/O. claims must not block: it is called on the delivering worker
 * thread outside that serialisation (during other calls of the instance).
 *
 * Statuses of open and send: SR_ERR_CONNECT tries the next transport;
 * SR_ERR_BUSY (ABI 1.2) tries the same printer again later; any other
 * failure, SR_ERR_TIMEOUT included, ends the delivery (no fallback) and
 * the release fails with the set_error reason. From job_state the host
 * takes SR_ERR_CONNECT and SR_ERR_BUSY as ordinary failures (SR_ERR_PEER):
 * the printer already has the document.
 */
typedef struct sr_transport_ops {
  sr_instance_ops base;
  /* ---- ABI 1.0 ---- */

  /* Required. True if this transport handles URIs of `scheme` ("ipps").
   * No I/O, no set_error: answer from what create() stored. */
  bool (*claims)(void *instance, const char *scheme);
  /* Required. Connects to `uri` and negotiates. On SR_OK *conn is owned by
   * the plugin until close(). SR_ERR_CONNECT: unreachable or negotiation
   * failed (the host may try the next transport). SR_ERR_BUSY (ABI 1.2):
   * the printer refuses for now (the host tries it again later). */
  int (*open)(void *instance, const char *uri, void **conn);
  /* Required. Streams the document from `read` with `attrs`. Returns once
   * the printer has the whole document. SR_ERR_CONNECT only if no byte was
   * accepted; afterwards failures are SR_ERR_PEER or SR_ERR_IO, except
   * SR_ERR_BUSY (ABI 1.2) when the printer answered that it is busy and
   * discarded what it was sent (the host sends the whole document again
   * later). */
  int (*send)(void *conn, const sr_job_attrs *attrs, sr_read_fn read, void *read_ctx);
  /* Optional. The printer's state of the job send() created. */
  int (*job_state)(void *conn, sr_transport_status *out);
  /* Optional. Cancels the job at the printer (the host does not call it
   * yet). */
  int (*cancel)(void *conn);
  /* Required. Closes the connection and frees `conn`. */
  void (*close)(void *conn);
} sr_transport_ops;

#ifdef __cplusplus
}
#endif

#endif
