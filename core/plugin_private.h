/* The loader's record of one loaded plugin; shared by loader.c and host.c.
 * host.c reads it but never calls the loader: the loader copies here what
 * the host needs (the event loop), so the two files do not call each other. */
#ifndef SR_CORE_PLUGIN_PRIVATE_H
#define SR_CORE_PLUGIN_PRIVATE_H

#include "loader.h"

struct sr_plugin {
  sr_loader *loader;
  void *event_loop; /* the loader's loop, for host->event_loop() */
  char *path;
  void *handle;        /* from dlopen() */
  sr_plugin_decl decl; /* host-size copy; decl.ops points at `ops` */
  sr_plugin_ops_copy ops;
};

#endif
