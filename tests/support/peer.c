#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The same picker as the shell tests (scripts/lib/free_port.py: below the
 * ephemeral range, claimed for this process), so C and shell tests running in
 * parallel never pick one port twice. */
int sr_test_free_port(void) {
  char command[512];
  snprintf(command, sizeof command, "python3 %s/scripts/lib/free_port.py %ld",
           SR_TEST_SOURCE_DIR, (long)getpid());
  FILE *out = popen(command, "r");
  int port = -1;
  if (out) {
    if (fscanf(out, "%d", &port) != 1)
      port = -1;
    pclose(out);
  }
  return port;
}

bool sr_test_tmpdir(const char *name, char *dir) {
  snprintf(dir, 64, "/tmp/sr-test-%.20s-XXXXXX", name);
  return mkdtemp(dir) != NULL;
}

void sr_test_rmtree(const char *dir) {
  if (strncmp(dir, "/tmp/sr-test-", 13) != 0)
    return; /* only what sr_test_tmpdir made */
  pid_t pid = fork();
  if (pid == 0) {
    execlp("rm", "rm", "-rf", dir, (char *)NULL);
    _exit(127);
  }
  if (pid > 0)
    waitpid(pid, NULL, 0);
}

bool sr_peer_start(sr_peer *peer, const char *name, char *const argv[], char *const env[],
                   const char *log_path) {
  snprintf(peer->name, sizeof peer->name, "%s", name);
  pid_t parent = getpid();
  peer->pid = fork();
  if (peer->pid < 0)
    return false;
  if (peer->pid == 0) {
    /* die with the test, whatever happens to it */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
      _exit(1);
    setpgid(0, 0);
    int log = open(log_path ? log_path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    int null = open("/dev/null", O_RDONLY);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    if (null >= 0)
      dup2(null, STDIN_FILENO);
    for (size_t i = 0; env && env[i]; i++)
      putenv(env[i]);
    execvp(argv[0], argv);
    fprintf(stderr, "cannot start %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  return true;
}

/* True if /proc/net/FILE lists a socket in state `state` on `port`. */
static bool proc_net_has(const char *file, int port, const char *state) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/net/%s", file);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    char local[128], remote[128], st[8];
    if (sscanf(line, " %*d: %127s %127s %7s", local, remote, st) != 3)
      continue;
    char *colon = strrchr(local, ':');
    if (colon && strtol(colon + 1, NULL, 16) == port && strcmp(st, state) == 0)
      found = true;
  }
  fclose(f);
  return found;
}

static bool peer_alive(const sr_peer *peer) {
  return peer->pid > 0 && waitpid(peer->pid, NULL, WNOHANG) == 0;
}

bool sr_peer_wait_listening(const sr_peer *peer, int port, bool udp, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    bool up = udp ? proc_net_has("udp", port, "07") || proc_net_has("udp6", port, "07")
                  : proc_net_has("tcp", port, "0A") || proc_net_has("tcp6", port, "0A");
    if (up)
      return true;
    if (!peer_alive(peer))
      return false;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return false;
}

void sr_peer_stop(sr_peer *peer) {
  if (peer->pid <= 0)
    return;
  kill(-peer->pid, SIGTERM); /* its process group: shells and their children too */
  kill(peer->pid, SIGTERM);
  for (int i = 0; i < 200; i++) {
    if (waitpid(peer->pid, NULL, WNOHANG) == peer->pid) {
      peer->pid = 0;
      return;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill(-peer->pid, SIGKILL);
  kill(peer->pid, SIGKILL);
  waitpid(peer->pid, NULL, 0);
  peer->pid = 0;
}

char *sr_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *grown = realloc(buf, (cap *= 2) + 1);
      if (!grown) {
        free(buf);
        buf = NULL;
      }
      buf = grown;
    }
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

bool sr_test_wait_file_size(const char *path, size_t size, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 10) {
    struct stat st;
    if (stat(path, &st) == 0 && (size_t)st.st_size == size)
      return true;
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return false;
}
