#include "loop.h"

#include "log.h"

static ev_signal sigint_watcher;
static ev_signal sigterm_watcher;

struct ev_loop *sr_loop_default(void) {
  return ev_default_loop(EVFLAG_AUTO);
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents) {
  (void)revents;
  sr_log(SR_LOG_INFO, "loop", "signal %d: stopping", w->signum);
  ev_break(loop, EVBREAK_ALL);
}

void sr_loop_stop_on_signals(struct ev_loop *loop) {
  ev_signal_init(&sigint_watcher, on_stop_signal, SIGINT);
  ev_signal_init(&sigterm_watcher, on_stop_signal, SIGTERM);
  ev_signal_start(loop, &sigint_watcher);
  ev_signal_start(loop, &sigterm_watcher);
  /* Signal watchers should not keep the loop alive on their own. */
  ev_unref(loop);
  ev_unref(loop);
}
