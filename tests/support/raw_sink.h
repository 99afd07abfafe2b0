/*
 * A RAW (port 9100) printer for tests: socat on 127.0.0.1 writing each
 * connection to its own file in `spool`, byte for byte.
 */
#ifndef SR_TEST_RAW_SINK_H
#define SR_TEST_RAW_SINK_H

#include "peer.h"

typedef struct sr_test_raw_sink {
  char dir[64];
  char spool[96];
  int port;
  sr_peer socat;
} sr_test_raw_sink;

bool sr_test_raw_sink_start(sr_test_raw_sink *s);
void sr_test_raw_sink_stop(sr_test_raw_sink *s);

/* Number of files received; the path of the last one read in `path`. */
int sr_test_raw_sink_files(const sr_test_raw_sink *s, char *path, size_t size);

#endif
