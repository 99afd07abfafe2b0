#include "call_error.h"

#include <stdio.h>

#include "sr/abi.h"

/* One record per thread: a thread makes one plugin call at a time. */
static _Thread_local struct {
  const sr_plugin *plugin; /* whose reason `message` is; not owned */
  int code;
  char message[512];
} last;

void sr_call_error_begin(const sr_plugin *plugin) {
  last.plugin = plugin;
  last.code = SR_OK;
  last.message[0] = '\0';
}

void sr_call_error_setv(const sr_plugin *plugin, int code, const char *fmt, va_list ap) {
  last.plugin = plugin;
  last.code = code;
  vsnprintf(last.message, sizeof last.message, fmt, ap);
}

const char *sr_call_error_message(const sr_plugin *plugin) {
  return plugin && last.plugin == plugin ? last.message : "";
}
