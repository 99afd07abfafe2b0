/*
 * A token bucket for the scan's packet rate: every packet (first sends,
 * retries, probes) takes a token; tokens come at `rate` a second and at
 * most `burst` wait unused, so the rate holds over any window longer than
 * burst / rate.
 */
#ifndef SR_SCAN_RATE_H
#define SR_SCAN_RATE_H

#include <stdbool.h>

typedef struct scan_rate {
  double rate;   /* tokens a second */
  double burst;  /* tokens held at most */
  double tokens; /* available now */
  double last;   /* time of the last refill, seconds */
} scan_rate;

/* Starts with one token at time `now` (seconds, any monotonic clock). */
void scan_rate_init(scan_rate *b, double rate, double burst, double now);
/* Takes a token if one is there. */
bool scan_rate_take(scan_rate *b, double now);
/* Seconds until the next token (0 if one is there). */
double scan_rate_wait(scan_rate *b, double now);

#endif
