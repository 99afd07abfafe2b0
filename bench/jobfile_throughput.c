/*
 * jobfile-throughput: job file encrypt and decrypt speed through the
 * streaming API, memory to memory, beside `openssl speed -evp aes-256-gcm`
 * at the same block size measured in the same run; and peak memory of a
 * streamed round trip at two file sizes, to show it does not grow.
 *
 * usage: build/bench/jobfile-throughput [MiB]   (large document, default 256)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobfile.h"
#include "sr/abi.h"

#define BLOCK (1u << 20) /* the caller's write size */

typedef struct mem_sink {
  uint8_t *data;
  size_t len, cap;
} mem_sink;

static int sink_copy(void *ctx, const void *p, size_t len) {
  mem_sink *m = ctx;
  if (m->len + len > m->cap)
    return SR_ERR_NOMEM;
  memcpy(m->data + m->len, p, len);
  m->len += len;
  return SR_OK;
}

static int sink_discard(void *ctx, const void *p, size_t len) {
  (void)p;
  *(size_t *)ctx += len;
  return SR_OK;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill_random(uint8_t *p, size_t len) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i + 8 <= len; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    memcpy(p + i, &x, 8);
  }
}

/* Returns MB/s (10^6 bytes) of encrypting `plain` into `file`. */
static double encrypt_once(const sr_site_key *key, const sr_jobfile_options *opts,
                           const uint8_t *plain, size_t len, mem_sink *file) {
  file->len = 0;
  sr_jobfile_writer *w;
  double t0 = now();
  if (sr_jobfile_writer_new(key, opts, "{\"title\":\"bench\"}", sink_copy, file, &w) != SR_OK)
    exit(1);
  for (size_t off = 0; off < len; off += BLOCK)
    if (sr_jobfile_writer_write(w, plain + off, len - off < BLOCK ? len - off : BLOCK) != SR_OK)
      exit(1);
  if (sr_jobfile_writer_finish(w) != SR_OK)
    exit(1);
  double t = now() - t0;
  sr_jobfile_writer_free(w);
  return (double)len / t / 1e6;
}

static double decrypt_once(const sr_site_key *key, const mem_sink *file, mem_sink *plain) {
  plain->len = 0;
  sr_jobfile_reader *r;
  double t0 = now();
  if (sr_jobfile_reader_new(key, sink_copy, plain, &r) != SR_OK)
    exit(1);
  for (size_t off = 0; off < file->len; off += BLOCK)
    if (sr_jobfile_reader_feed(r, file->data + off,
                               file->len - off < BLOCK ? file->len - off : BLOCK) != SR_OK) {
      fprintf(stderr, "decrypt: %s\n", sr_jobfile_reader_error(r));
      exit(1);
    }
  if (sr_jobfile_reader_finish(r) != SR_OK)
    exit(1);
  double t = now() - t0;
  sr_jobfile_reader_free(r);
  return (double)plain->len / t / 1e6;
}

/* openssl speed's AES-256-GCM figure for `block` bytes, in MB/s. */
static double openssl_speed(unsigned block) {
  char cmd[160], line[512], last[512] = "";
  snprintf(cmd, sizeof cmd, "openssl speed -evp aes-256-gcm -bytes %u -seconds 3 2>/dev/null",
           block);
  FILE *p = popen(cmd, "r");
  if (!p)
    return 0;
  while (fgets(line, sizeof line, p))
    if (strncasecmp(line, "aes-256-gcm", 11) == 0)
      snprintf(last, sizeof last, "%s", line);
  pclose(p);
  char *k = strrchr(last, 'k'); /* "AES-256-GCM   4567890.12k" in 1000s of bytes/s */
  if (!k)
    return 0;
  while (k > last && k[-1] != ' ')
    k--;
  return strtod(k, NULL) / 1000.0;
}

/* Streams `mib` MiB writer -> reader in a child process; returns its peak
 * resident memory in KiB. */
static long streamed_peak_kib(const sr_site_key *key, size_t mib, bool compress) {
  pid_t pid = fork();
  if (pid == 0) {
    static uint8_t block[BLOCK];
    fill_random(block, sizeof block);
    size_t out = 0;
    sr_jobfile_reader *r;
    sr_jobfile_writer *w;
    sr_jobfile_options opts = {.compress = compress};
    if (sr_jobfile_reader_new(key, sink_discard, &out, &r) != SR_OK ||
        sr_jobfile_writer_new(key, &opts, "{}", (sr_write_fn)sr_jobfile_reader_feed, r, &w) !=
            SR_OK)
      _exit(1);
    for (size_t i = 0; i < mib; i++) {
      block[0] = (uint8_t)i;
      if (sr_jobfile_writer_write(w, block, sizeof block) != SR_OK)
        _exit(1);
    }
    if (sr_jobfile_writer_finish(w) != SR_OK || sr_jobfile_reader_finish(r) != SR_OK ||
        out != mib * BLOCK)
      _exit(1);
    _exit(0);
  }
  int status;
  struct rusage ru;
  if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return -1;
  return ru.ru_maxrss;
}

/* Encrypts and decrypts a `mib` MiB document `rounds` times each way and
 * prints the best figures; returns the compression-off figures. */
static void measure(const sr_site_key *key, size_t mib, int rounds, double ref) {
  size_t len = mib << 20;
  uint8_t *plain = malloc(len);
  mem_sink file = {malloc(len + len / 16 + 65536), 0, len + len / 16 + 65536};
  mem_sink back = {malloc(len), 0, len};
  if (!plain || !file.data || !back.data)
    exit(1);
  fill_random(plain, len);
  /* touch every page once so the first round does not pay for faults */
  memset(file.data, 0, file.cap);
  memset(back.data, 0, back.cap);
  printf("%zu MiB document, best of %d rounds:\n", mib, rounds);
  for (int compress = 0; compress <= 1; compress++) {
    sr_jobfile_options opts = {.compress = compress};
    double enc = 0, dec = 0;
    for (int round = 0; round < rounds; round++) {
      double e = encrypt_once(key, &opts, plain, len, &file);
      double d = decrypt_once(key, &file, &back);
      if (back.len != len || memcmp(back.data, plain, len) != 0) {
        fprintf(stderr, "round trip mismatch\n");
        exit(1);
      }
      enc = e > enc ? e : enc;
      dec = d > dec ? d : dec;
    }
    printf("  compression %-4s encrypt %7.1f MB/s  decrypt %7.1f MB/s", compress ? "zstd" : "off",
           enc, dec);
    if (!compress && ref > 0)
      printf("  = %.0f %% / %.0f %% of openssl speed", 100 * enc / ref, 100 * dec / ref);
    printf("\n");
  }
  free(plain);
  free(file.data);
  free(back.data);
}

int main(int argc, char **argv) {
  size_t big = argc > 1 ? (size_t)atol(argv[1]) : 256;
  uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN] = {0};
  sr_site_key *key;
  sr_site_secret_generate(secret);
  if (sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &key) != SR_OK)
    return 1;

  printf("job file throughput through the streaming API, memory to memory, %u KiB chunks, "
         "writes of %u KiB\n",
         SR_JOBFILE_DEFAULT_CHUNK / 1024, BLOCK / 1024);
  double ref = openssl_speed(SR_JOBFILE_DEFAULT_CHUNK);
  if (ref > 0)
    printf("openssl speed -evp aes-256-gcm -bytes %u: %.1f MB/s (one buffer, in cache)\n",
           SR_JOBFILE_DEFAULT_CHUNK, ref);
  else
    printf("openssl speed: no figure (is the openssl command installed?)\n");
  /* A document that fits the CPU caches shows the code's own overhead; a
   * large one adds main-memory bandwidth, which openssl speed never pays. */
  measure(key, 8, 40, ref);
  measure(key, big, 3, ref);
  printf("target: >= 70 %% of openssl speed, compression off\n");

  printf("peak resident memory of a streamed encrypt+decrypt (separate process each):\n");
  for (int compress = 0; compress <= 1; compress++)
    for (size_t size = 16; size <= 1024; size *= 64)
      printf("  %-4s %5zu MiB: %6ld KiB\n", compress ? "zstd" : "off", size,
             streamed_peak_kib(key, size, compress));
  sr_site_key_free(key);
  return 0;
}
