/*
 * Why a plugin call failed, kept per thread.
 *
 * A plugin reports the reason for a failure with host->set_error(self, ...)
 * from inside the call that fails. One buffer per plugin would let two calls
 * failing at once (two releases on two worker threads) overwrite each
 * other's reason, so the reason is kept in a record of the calling thread:
 * the host clears it when a call begins (sr_call_error_begin) and reads it
 * after the call returns, on the same thread, before that thread makes its
 * next plugin call.
 */
#ifndef SR_CORE_CALL_ERROR_H
#define SR_CORE_CALL_ERROR_H

#include <stdarg.h>

#include "sr/host.h"

/* Forgets this thread's last reason; the next one recorded is `plugin`'s. */
void sr_call_error_begin(const sr_plugin *plugin);

/* Records `plugin`'s reason (printf format) for this thread's current call.
 * Called by host->set_error on the thread of the call. */
void sr_call_error_setv(const sr_plugin *plugin, int code, const char *fmt, va_list ap);

/* The reason `plugin` recorded on this thread since the last begin, or ""
 * (also when the last reason on this thread was another plugin's). The
 * string belongs to the thread and is valid until its next begin or set. */
const char *sr_call_error_message(const sr_plugin *plugin);

#endif
