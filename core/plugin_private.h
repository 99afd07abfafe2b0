/* The loader's record of one loaded plugin; shared by loader.c and host.c. */
#ifndef SR_CORE_PLUGIN_PRIVATE_H
#define SR_CORE_PLUGIN_PRIVATE_H

#include "loader.h"

struct sr_plugin {
  sr_loader *loader;
  char *path;
  void *handle;        /* from dlopen() */
  sr_plugin_decl decl; /* host-size copy; decl.ops points at `ops` */
  sr_plugin_ops_copy ops;
};

/* The event loop the plugin's loader was made with. */
void *sr_loader_event_loop(const sr_loader *loader);

#endif
