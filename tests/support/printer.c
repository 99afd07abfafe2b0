#include "printer.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifndef SR_TEST_SUPPORT_DIR
#error "SR_TEST_SUPPORT_DIR must name tests/support"
#endif

bool sr_test_printer_start(sr_test_printer *p) {
  memset(p, 0, sizeof *p);
  if (!sr_test_tmpdir("printer", p->dir))
    return false;
  snprintf(p->spool, sizeof p->spool, "%s/spool", p->dir);
  snprintf(p->ssl, sizeof p->ssl, "%s/ssl", p->dir);
  char cmd[512], path[128], bus[128], dbus_env[160], log[128], port[16];
  snprintf(cmd, sizeof cmd, "mkdir -p %s %s && %s/make-test-ca.sh %s", p->spool, p->ssl,
           SR_TEST_SUPPORT_DIR, p->ssl);
  if (system(cmd) != 0)
    goto fail;
  /* the print command: keep the job's attributes next to the document;
   * while a file `hold` exists the printer stays busy with the job (at
   * most a minute), as a real one printing a long document */
  snprintf(path, sizeof path, "%s/print.sh", p->dir);
  FILE *f = fopen(path, "w");
  if (!f)
    goto fail;
  fputs("#!/bin/sh\nfor _ in $(seq 1200); do [ -f \"${0%/*}/hold\" ] || break; sleep 0.05; done\n"
        "env | grep '^IPP_' | sort > \"$1.env.tmp\" && mv \"$1.env.tmp\" \"$1.env\"\n",
        f);
  fclose(f);
  chmod(path, 0700);

  snprintf(bus, sizeof bus, "--address=unix:path=%s/bus", p->dir);
  snprintf(log, sizeof log, "%s/dbus.log", p->dir);
  char *dbus_argv[] = {"dbus-daemon", "--session", bus, "--nofork", "--nopidfile", NULL};
  if (!sr_peer_start(&p->dbus, "dbus-daemon", dbus_argv, NULL, log))
    goto fail;
  snprintf(dbus_env, sizeof dbus_env, "DBUS_SYSTEM_BUS_ADDRESS=unix:path=%s/bus", p->dir);
  for (int i = 0; i < 200; i++) { /* the socket must exist before ippeveprinter starts */
    char sock[128];
    struct stat st;
    snprintf(sock, sizeof sock, "%s/bus", p->dir);
    if (stat(sock, &st) == 0)
      break;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }

  p->port = sr_test_free_port();
  snprintf(port, sizeof port, "%d", p->port);
  snprintf(log, sizeof log, "%s/ippeveprinter.log", p->dir);
  char *env[] = {dbus_env, NULL};
  char *argv[] = {"ippeveprinter",
                  "-p",
                  port,
                  "-n",
                  "localhost",
                  "-r",
                  "off",
                  "-d",
                  p->spool,
                  "-k",
                  "-K",
                  p->ssl,
                  "-c",
                  path,
                  "-2",
                  "-s",
                  "10,10",
                  "-f",
                  "application/pdf,application/postscript,image/pwg-raster,application/"
                  "octet-stream",
                  "Test Printer",
                  NULL};
  if (!sr_peer_start(&p->ipp, "ippeveprinter", argv, env, log) ||
      !sr_peer_wait_listening(&p->ipp, p->port, false, 10000))
    goto fail;
  return true;
fail:
  sr_test_printer_stop(p);
  return false;
}

void sr_test_printer_stop(sr_test_printer *p) {
  sr_peer_stop(&p->ipp);
  sr_peer_stop(&p->dbus);
  if (p->dir[0])
    sr_test_rmtree(p->dir);
  p->dir[0] = '\0';
}

bool sr_test_printer_wait_job(const sr_test_printer *p, int job_id, char *doc, size_t doc_size,
                              char *env, size_t env_size, int timeout_ms) {
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%d-", job_id);
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    DIR *d = opendir(p->spool);
    doc[0] = env[0] = '\0';
    for (struct dirent *e; d && (e = readdir(d));) {
      size_t len = strlen(e->d_name);
      if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
        continue;
      if (len > 4 && strcmp(e->d_name + len - 4, ".env") == 0)
        snprintf(env, env_size, "%s/%s", p->spool, e->d_name);
      else if (!strstr(e->d_name, ".env") && !strstr(e->d_name, ".prn"))
        snprintf(doc, doc_size, "%s/%s", p->spool, e->d_name);
    }
    if (d)
      closedir(d);
    if (doc[0] && env[0])
      return true;
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return false;
}
