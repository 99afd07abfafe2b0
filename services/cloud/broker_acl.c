/*
 * The broker's ACL, written by the cloud. The broker (mosquitto with
 * use_subject_as_username) knows each client by its certificate's whole
 * subject, "CN=<scout>,O=<tenant>" for a scout and the cloud's own subject
 * for the cloud. A tenant CA's name constraint lets it issue only subjects
 * beginning with O=<its tenant>, so a username names its tenant truthfully
 * and this file grants each scout exactly its own topic tree. A scout that
 * is not in the file (never made, or removed) may do nothing: rewriting the
 * file and telling the broker to reload it (SIGHUP) is how a removal takes
 * effect on MQTT at once, connections already open included.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud.h"
#include "db.h"
#include "log.h"
#include "sr/abi.h"
#include "x509_issue.h"

/* Reads the broker's pid from its pid_file; 0 if there is none. */
static pid_t broker_pid(const char *path) {
  FILE *f = fopen(path, "r");
  long pid = 0;
  if (f) {
    if (fscanf(f, "%ld", &pid) != 1)
      pid = 0;
    fclose(f);
  }
  return pid > 1 ? (pid_t)pid : 0;
}

#define ACL_AGAIN_S 1.0 /* after the last change, the broker is told again */

/* Tells the broker to reload the ACL file (SIGHUP), if a pid_file is set. */
static int tell_broker(cloud *c, char *err, size_t err_size) {
  const sr_broker_acl_config *a = &c->cfg.u.cloud.broker_acl;
  if (!a->pid_file)
    return SR_OK;
  char pid_path[1024];
  sr_config_path(c->doc, a->pid_file, pid_path, sizeof pid_path);
  pid_t pid = broker_pid(pid_path);
  if (!pid || kill(pid, SIGHUP) != 0) {
    snprintf(err, err_size,
             "broker_acl.pid_file %s: cannot tell the broker to reload its ACL (%s); "
             "is mosquitto running with that pid_file?",
             pid_path, pid ? strerror(errno) : "no pid in it");
    return SR_ERR_CONNECT;
  }
  return SR_OK;
}

static void on_acl_again(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  char err[1200];
  if (tell_broker(w->data, err, sizeof err) != SR_OK)
    sr_log(SR_LOG_WARN, "broker", "%s", err);
}

static bool write_entries(cloud *c, FILE *f, char *err, size_t err_size) {
  fprintf(f,
          "# Written by sr-cloud on every scout change: do not edit.\n"
          "# The cloud\nuser %s\ntopic readwrite sr/v1/#\n",
          c->mqtt_username);
  /* tenant ids are [a-z0-9-] and scout ids s-<hex>: nothing to escape in
   * the RFC 2253 form, which is what the broker compares */
  json_t *rows = cloud_db_rows(c->db, "SELECT tenant, id FROM scouts ORDER BY tenant, id", "");
  if (!rows) {
    snprintf(err, err_size, "database: cannot read the scouts");
    return false;
  }
  size_t i;
  json_t *row;
  json_array_foreach(rows, i, row) {
    const char *tenant = cloud_row_text(row, "tenant"), *id = cloud_row_text(row, "id");
    fprintf(f, "\nuser CN=%s,O=%s\ntopic readwrite sr/v1/%s/scouts/%s/#\n", id, tenant, tenant, id);
  }
  json_decref(rows);
  return true;
}

int cloud_broker_acl_update(cloud *c, char *err, size_t err_size) {
  const sr_broker_acl_config *a = &c->cfg.u.cloud.broker_acl;
  if (!a->file)
    return SR_OK;
  char path[1024], tmp[1100], lock_path[1100];
  sr_config_path(c->doc, a->file, path, sizeof path);
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
  snprintf(lock_path, sizeof lock_path, "%s.lock", path);
  /* instances on this host write in turn, each from the database as it is
   * once the lock is theirs: the last file written lists every scout */
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock < 0 || flock(lock, LOCK_EX) != 0) {
    snprintf(err, err_size, "broker_acl.file %s: cannot lock it: %s", lock_path, strerror(errno));
    if (lock >= 0)
      close(lock);
    return SR_ERR_IO;
  }
  /* 0640: the broker (its group) reads it; it lists every tenant and scout */
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (fd >= 0 && !f)
    close(fd);
  if (!f) {
    snprintf(err, err_size, "broker_acl.file %s: cannot write it: %s", tmp, strerror(errno));
    close(lock);
    return SR_ERR_IO;
  }
  bool ok = write_entries(c, f, err, err_size);
  ok = (fflush(f) == 0 && fsync(fileno(f)) == 0 && ok);
  ok = (fclose(f) == 0 && ok);
  /* rename: the broker never reads half a file */
  if (!ok || rename(tmp, path) != 0) {
    if (ok)
      snprintf(err, err_size, "broker_acl.file %s: cannot replace it: %s", path, strerror(errno));
    unlink(tmp);
    close(lock);
    return SR_ERR_IO;
  }
  close(lock); /* the file is in place: the next writer reads after this */
  int status = tell_broker(c, err, err_size);
  /* mosquitto folds the signals that come while it reloads into that
   * reload, which may have read the file before this change (seen with
   * scouts added a few milliseconds apart: the last ones were refused by
   * the broker): told once more when the changes have settled */
  if (status == SR_OK && c->loop && a->pid_file && ev_cb(&c->acl_again)) {
    ev_timer_stop(c->loop, &c->acl_again);
    ev_timer_set(&c->acl_again, ACL_AGAIN_S, 0.0);
    ev_timer_start(c->loop, &c->acl_again);
  }
  return status;
}

int cloud_broker_acl_init(cloud *c, char *err, size_t err_size) {
  const sr_mqtt_config *m = &c->cfg.u.cloud.mqtt;
  ev_timer_init(&c->acl_again, on_acl_again, ACL_AGAIN_S, 0.0);
  c->acl_again.data = c;
  if (!c->cfg.u.cloud.broker_acl.file)
    return SR_OK;
  char cert[1024];
  sr_config_path(c->doc, m->tls.cert ? m->tls.cert : "", cert, sizeof cert);
  FILE *f = m->tls.cert ? fopen(cert, "r") : NULL;
  char pem[16384];
  size_t n = f ? fread(pem, 1, sizeof pem - 1, f) : 0;
  if (f)
    fclose(f);
  pem[n] = '\0';
  if (sr_x509_mqtt_username(pem, c->mqtt_username, sizeof c->mqtt_username) != SR_OK) {
    snprintf(err, err_size, "broker_acl: cannot read the cloud's MQTT certificate %s", cert);
    return SR_ERR_CONFIG;
  }
  int status = cloud_broker_acl_update(c, err, err_size);
  if (status == SR_ERR_CONNECT) {
    /* the file is written; a broker that starts later reads it anyway */
    sr_log(SR_LOG_WARN, "broker", "%s", err);
    status = SR_OK;
  }
  return status;
}
