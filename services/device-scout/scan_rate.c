#include "scan_rate.h"

static void refill(scan_rate *b, double now) {
  if (now > b->last) {
    b->tokens += (now - b->last) * b->rate;
    if (b->tokens > b->burst)
      b->tokens = b->burst;
    b->last = now;
  }
}

void scan_rate_init(scan_rate *b, double rate, double burst, double now) {
  *b = (scan_rate){.rate = rate, .burst = burst < 1 ? 1 : burst, .tokens = 1, .last = now};
}

bool scan_rate_take(scan_rate *b, double now) {
  refill(b, now);
  if (b->tokens < 1)
    return false;
  b->tokens -= 1;
  return true;
}

double scan_rate_wait(scan_rate *b, double now) {
  refill(b, now);
  return b->tokens >= 1 ? 0 : (1 - b->tokens) / b->rate;
}
