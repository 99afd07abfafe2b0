/*
 * Latency figures shared by the benchmarks: a monotonic clock in seconds
 * and nearest-rank percentiles of samples in milliseconds.
 */
#ifndef SR_BENCH_LATENCY_H
#define SR_BENCH_LATENCY_H

#include <stddef.h>

typedef struct bench_latency {
  double p50_ms, p95_ms, p99_ms, max_ms;
} bench_latency;

/* p50/p95/p99/max of n samples in ms (sorts the array in place; nearest
 * rank). All zero when n is 0. The caller keeps ownership of samples_ms. */
bench_latency bench_latency_of(double *samples_ms, size_t n);

/* CLOCK_MONOTONIC in seconds: every timestamp the benchmarks compare comes
 * from here, so they share one clock across threads. */
double bench_now_s(void);

#endif
