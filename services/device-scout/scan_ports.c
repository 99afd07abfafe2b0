#include "scan_ports.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct ports_run ports_run;

typedef struct one_check {
  ev_io io;
  ev_timer timer;
  int fd;
  scan_port_check *check;
  ports_run *run;
} one_check;

struct ports_run {
  struct ev_loop *loop;
  one_check *items;
  size_t n, pending;
  ev_idle finish; /* `done` runs from the loop, never inside scan_ports_check */
  scan_ports_done_fn done;
  void *ctx;
};

static void on_finish(struct ev_loop *loop, ev_idle *w, int revents) {
  (void)revents;
  ports_run *run = w->data;
  ev_idle_stop(loop, w);
  scan_ports_done_fn done = run->done;
  void *ctx = run->ctx;
  free(run->items);
  free(run);
  done(ctx);
}

static void end_check(one_check *c, bool open) {
  ports_run *run = c->run;
  c->check->open = open;
  ev_io_stop(run->loop, &c->io);
  ev_timer_stop(run->loop, &c->timer);
  close(c->fd);
  c->fd = -1;
  if (--run->pending == 0)
    ev_idle_start(run->loop, &run->finish);
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop, (void)revents;
  one_check *c = w->data;
  int error = 0;
  socklen_t len = sizeof error;
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
  end_check(c, error == 0);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  end_check(w->data, false);
}

/* Starts one connect; false if it failed at once (port closed). */
static bool start_check(ports_run *run, one_check *c, double timeout) {
  struct sockaddr_storage ss;
  socklen_t len = scan_address_sockaddr(&c->check->address, c->check->port, &ss);
  c->fd = socket(c->check->address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return false;
  if (connect(c->fd, (struct sockaddr *)&ss, len) != 0 && errno != EINPROGRESS) {
    close(c->fd);
    return false;
  }
  ev_io_init(&c->io, on_writable, c->fd, EV_WRITE);
  c->io.data = c;
  ev_io_start(run->loop, &c->io);
  ev_timer_init(&c->timer, on_timeout, timeout, 0);
  c->timer.data = c;
  ev_timer_start(run->loop, &c->timer);
  run->pending++;
  return true;
}

bool scan_ports_check(struct ev_loop *loop, scan_port_check *checks, size_t n, double timeout,
                      scan_ports_done_fn done, void *ctx) {
  ports_run *run = calloc(1, sizeof *run);
  if (!run || !(run->items = calloc(n ? n : 1, sizeof *run->items))) {
    free(run);
    return false;
  }
  *run = (ports_run){.loop = loop, .items = run->items, .n = n, .done = done, .ctx = ctx};
  ev_idle_init(&run->finish, on_finish);
  run->finish.data = run;
  for (size_t i = 0; i < n; i++) {
    run->items[i] = (one_check){.check = &checks[i], .run = run, .fd = -1};
    checks[i].open = false;
    start_check(run, &run->items[i], timeout);
  }
  if (run->pending == 0)
    ev_idle_start(loop, &run->finish);
  return true;
}
