/*
 * latency: percentiles and the benchmarks' clock. See latency.h.
 */
#include "latency.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

double bench_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest rank of an ascending array. */
static double rank(const double *v, size_t n, double p) {
  size_t k = (size_t)ceil(p / 100.0 * (double)n);
  return v[k == 0 ? 0 : (k > n ? n : k) - 1];
}

bench_latency bench_latency_of(double *samples_ms, size_t n) {
  bench_latency l = {0, 0, 0, 0};
  if (n == 0)
    return l;
  qsort(samples_ms, n, sizeof *samples_ms, cmp_double);
  l.p50_ms = rank(samples_ms, n, 50);
  l.p95_ms = rank(samples_ms, n, 95);
  l.p99_ms = rank(samples_ms, n, 99);
  l.max_ms = samples_ms[n - 1];
  return l;
}
