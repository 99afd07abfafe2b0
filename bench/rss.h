/*
 * The resident memory of this process, for the benchmarks that print what
 * a thing costs per item (bench/scout_load.c, bench/scout_jobs.c).
 */
#ifndef SR_BENCH_RSS_H
#define SR_BENCH_RSS_H

/* VmRSS of this process in KiB, 0 if /proc cannot tell. */
long bench_rss_kib(void);

#endif
