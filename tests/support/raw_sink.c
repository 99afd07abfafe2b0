#include "raw_sink.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sr_test_raw_sink_start(sr_test_raw_sink *s) {
  memset(s, 0, sizeof *s);
  if (!sr_test_tmpdir("raw", s->dir))
    return false;
  snprintf(s->spool, sizeof s->spool, "%s/spool", s->dir);
  char cmd[256], listen[128], log[128];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", s->spool);
  if (system(cmd) != 0)
    goto fail;
  s->port = sr_test_free_port();
  snprintf(listen, sizeof listen, "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork", s->port);
  snprintf(cmd, sizeof cmd, "SYSTEM:cat > %s/job-$(date +%%s%%N).prn", s->spool);
  snprintf(log, sizeof log, "%s/socat.log", s->dir);
  char *argv[] = {"socat", "-u", listen, cmd, NULL};
  if (!sr_peer_start(&s->socat, "socat", argv, NULL, log) ||
      !sr_peer_wait_listening(&s->socat, s->port, false, 5000))
    goto fail;
  return true;
fail:
  sr_test_raw_sink_stop(s);
  return false;
}

void sr_test_raw_sink_stop(sr_test_raw_sink *s) {
  sr_peer_stop(&s->socat);
  if (s->dir[0])
    sr_test_rmtree(s->dir);
  s->dir[0] = '\0';
}

int sr_test_raw_sink_files(const sr_test_raw_sink *s, char *path, size_t size) {
  DIR *d = opendir(s->spool);
  int n = 0;
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    if (path && (size_t)snprintf(path, size, "%s/%s", s->spool, e->d_name) >= size)
      continue;
    n++;
  }
  if (d)
    closedir(d);
  return n;
}
