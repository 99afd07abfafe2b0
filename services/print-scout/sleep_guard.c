#include "sleep_guard.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "log.h"

#define LOGIND "org.freedesktop.login1"
#define LOGIND_PATH "/org/freedesktop/login1"
#define LOGIND_MANAGER "org.freedesktop.login1.Manager"
/* below logind's default InhibitDelayMaxSec (5 s): the computer waits for
 * us at most that long anyway */
#define FLUSH_SECONDS 4.0

struct scout_sleep_guard {
  scout_copy_uploader *uploader; /* borrowed */
  pthread_t thread;
  atomic_bool stopping;
  sd_bus *bus;
  int lock_fd; /* the delay inhibitor lock; -1 while not held */
};

/* Takes a delay lock on sleep and shutdown; false (logged) if logind
 * refuses. The fd in the reply belongs to the message: keep a copy. */
static bool take_lock(scout_sleep_guard *g) {
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message *reply = NULL;
  int fd = -1;
  int r = sd_bus_call_method(g->bus, LOGIND, LOGIND_PATH, LOGIND_MANAGER, "Inhibit", &error, &reply,
                             "ssss", "sleep:shutdown", "securerelease print scout",
                             "uploading held print jobs to the cloud", "delay");
  if (r >= 0)
    r = sd_bus_message_read(reply, "h", &fd);
  if (r >= 0)
    g->lock_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (r < 0 || g->lock_fd < 0)
    sr_log(SR_LOG_WARN, "sleep",
           "logind gave no inhibitor lock (%s): deferred cloud copies will not be uploaded "
           "before the computer sleeps",
           error.message ? error.message
           : r < 0       ? strerror(-r)
                         : "no file descriptor in its answer");
  sd_bus_error_free(&error);
  sd_bus_message_unref(reply);
  return g->lock_fd >= 0;
}

static void release_lock(scout_sleep_guard *g) {
  if (g->lock_fd >= 0)
    close(g->lock_fd);
  g->lock_fd = -1;
}

/* PrepareForSleep(b) / PrepareForShutdown(b): true before, false after a
 * resume (shutdowns have no after). */
static int on_prepare(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
  (void)ret_error;
  scout_sleep_guard *g = userdata;
  int before = 0;
  if (sd_bus_message_read(m, "b", &before) < 0)
    return 0;
  const char *what =
      strcmp(sd_bus_message_get_member(m), "PrepareForSleep") == 0 ? "sleep" : "shut down";
  if (before) {
    sr_log(SR_LOG_INFO, "sleep", "the computer is about to %s: uploading held jobs first", what);
    bool done = scout_copy_uploader_flush(g->uploader, FLUSH_SECONDS);
    if (!done)
      sr_log(SR_LOG_WARN, "sleep", "uploads not finished within %.0f s; letting the computer %s",
             FLUSH_SECONDS, what);
    release_lock(g);
  } else if (g->lock_fd < 0) {
    take_lock(g); /* resumed: ready for the next time */
  }
  return 0;
}

static void *guard_main(void *arg) {
  scout_sleep_guard *g = arg;
  int r = sd_bus_open_system(&g->bus);
  if (r < 0) {
    sr_log(SR_LOG_INFO, "sleep",
           "no system bus (%s): deferred cloud copies are uploaded only after copy_after",
           strerror(-r));
    return NULL;
  }
  if (sd_bus_match_signal(g->bus, NULL, LOGIND, LOGIND_PATH, LOGIND_MANAGER, "PrepareForSleep",
                          on_prepare, g) < 0 ||
      sd_bus_match_signal(g->bus, NULL, LOGIND, LOGIND_PATH, LOGIND_MANAGER, "PrepareForShutdown",
                          on_prepare, g) < 0 ||
      !take_lock(g))
    return NULL; /* logged: logind is not there */
  sr_log(SR_LOG_INFO, "sleep",
         "holding a logind delay lock: held jobs go to the cloud before "
         "the computer sleeps or shuts down");
  while (!atomic_load(&g->stopping)) {
    r = sd_bus_process(g->bus, NULL);
    if (r > 0)
      continue; /* more may be queued */
    if (r < 0) {
      sr_log(SR_LOG_WARN, "sleep", "lost the system bus (%s); no longer watching for sleep",
             strerror(-r));
      break;
    }
    sd_bus_wait(g->bus, 500000); /* half a second: notices a stop in time */
  }
  return NULL;
}

scout_sleep_guard *scout_sleep_guard_new(scout_copy_uploader *uploader) {
  scout_sleep_guard *g = calloc(1, sizeof *g);
  if (!g)
    return NULL;
  g->uploader = uploader;
  g->lock_fd = -1;
  atomic_init(&g->stopping, false);
  if (pthread_create(&g->thread, NULL, guard_main, g) != 0) {
    free(g);
    return NULL;
  }
  return g;
}

void scout_sleep_guard_free(scout_sleep_guard *g) {
  if (!g)
    return;
  atomic_store(&g->stopping, true);
  pthread_join(g->thread, NULL);
  release_lock(g);
  sd_bus_flush_close_unref(g->bus);
  free(g);
}
