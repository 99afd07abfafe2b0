/*
 * cups-release-bench: how fast CUPS itself releases held jobs to one RAW
 * queue (socket backend) on loopback, as the figure our release latency is
 * compared with. Runs a private cupsd on 127.0.0.1 (best as root, like the
 * system's).
 *
 * usage: build/bench/cups-release-bench [--jobs N] [--concurrency C] [--document FILE]
 *        (defaults: 200 jobs, 50 Release-Job requests in flight, a generated
 *        4 KiB PostScript page)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cups_release.h"

static void usage(FILE *f) {
  fprintf(f, "usage: cups-release-bench [--jobs N] [--concurrency C] [--document FILE]\n");
}

/* A small one-page PostScript document of at least 4 KiB in a temporary
 * file; its path in `path`. The RAW queue passes it through unread. */
static int write_default_document(char *path, size_t size) {
  snprintf(path, size, "/tmp/cups-release-doc-XXXXXX");
  int fd = mkstemp(path);
  if (fd < 0)
    return -1;
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    unlink(path);
    return -1;
  }
  long written = fprintf(f, "%%!PS-Adobe-3.0\n/Courier findfont 9 scalefont setfont\n");
  for (int line = 0; written < 4096; line++)
    written += fprintf(f, "36 %d moveto (cups-release-bench line %02d: the quick brown fox) show\n",
                       760 - 12 * line, line);
  fprintf(f, "showpage\n");
  if (fclose(f) != 0) {
    unlink(path);
    return -1;
  }
  return 0;
}

static int parse_count(const char *s, int *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 1 || v > 1000000)
    return -1;
  *out = (int)v;
  return 0;
}

int main(int argc, char **argv) {
  int jobs = 200, concurrency = 50;
  const char *document = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      usage(stderr);
      return 2;
    }
    if (!strcmp(argv[i], "--jobs") && parse_count(argv[i + 1], &jobs) == 0)
      i++;
    else if (!strcmp(argv[i], "--concurrency") && parse_count(argv[i + 1], &concurrency) == 0)
      i++;
    else if (!strcmp(argv[i], "--document"))
      document = argv[++i];
    else {
      usage(stderr);
      return 2;
    }
  }
  /* a cupsd that dies mid-request must give an error, not kill us */
  signal(SIGPIPE, SIG_IGN);

  char generated[64] = "";
  if (!document) {
    if (write_default_document(generated, sizeof generated) != 0) {
      perror("cups-release-bench: generating the document");
      return 1;
    }
    document = generated;
  }
  struct stat st;
  if (stat(document, &st) != 0) {
    perror(document);
    return 1;
  }

  cups_release_figures fig;
  char err[4096];
  int rc = cups_release_run(document, jobs, concurrency, &fig, err, sizeof err);
  if (generated[0])
    unlink(generated);
  if (rc != 0) {
    fprintf(stderr, "cups-release-bench: %s\n", err);
    return 1;
  }
  int in_flight = concurrency < jobs ? concurrency : jobs;
  printf("CUPS hold-and-release: private cupsd, one RAW queue (socket backend) to a sink on "
         "127.0.0.1, %lld-byte document%s + job marker line\n",
         (long long)st.st_size, generated[0] ? " (generated PostScript)" : "");
  printf("cups raw: first byte p50 %.1f ms p95 %.1f ms p99 %.1f ms max %.1f ms; "
         "complete p50 %.1f ms p95 %.1f ms p99 %.1f ms max %.1f ms; "
         "%.1f releases/s (%d jobs, %d in flight)\n",
         fig.first_byte.p50_ms, fig.first_byte.p95_ms, fig.first_byte.p99_ms, fig.first_byte.max_ms,
         fig.complete.p50_ms, fig.complete.p95_ms, fig.complete.p99_ms, fig.complete.max_ms,
         fig.releases_per_s, fig.jobs, in_flight);
  printf("wall %.3f s from the first Release-Job sent to the last document complete at the sink\n",
         fig.wall_s);
  return 0;
}
