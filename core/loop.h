/*
 * The event loop: libev, one loop per service process. Services run it;
 * plugins and modules only add watchers (host->event_loop()).
 */
#ifndef SR_CORE_LOOP_H
#define SR_CORE_LOOP_H

#include <ev.h>

/* Returns the process's loop (libev's default loop, which also handles
 * child processes), or NULL if libev has no usable backend. */
struct ev_loop *sr_loop_default(void);

/* Makes SIGINT and SIGTERM stop `loop` (ev_break) so a service exits
 * through its normal cleanup. Call once before ev_run(). */
void sr_loop_stop_on_signals(struct ev_loop *loop);

#endif
