#include "scan_schedule.h"

double scan_schedule_next(const sr_discovery_schedule_config *s, time_t now, double random01) {
  if (s->every == SR_DISCOVERY_NEVER || s->window_start < 0 || s->window_end < 0)
    return -1;
  int span = s->window_end - s->window_start;
  if (span <= 0)
    span += 24 * 60; /* over midnight */
  int minute = s->window_start + (int)(random01 * span);
  struct tm today;
  localtime_r(&now, &today);
  /* the first day from today whose window starts on an allowed day and
   * whose chosen minute is still ahead */
  for (int ahead = 0; ahead <= 8; ahead++) {
    struct tm start = today;
    start.tm_mday += ahead;
    start.tm_hour = start.tm_min = start.tm_sec = 0;
    start.tm_isdst = -1;
    mktime(&start); /* normalises the date and sets tm_wday */
    if (s->every == SR_DISCOVERY_WEEKLY && start.tm_wday != s->day)
      continue;
    struct tm at = start;
    at.tm_min = minute; /* mktime carries minutes past 23:59 into the next day */
    at.tm_isdst = -1;
    time_t when = mktime(&at);
    if (when > now)
      return difftime(when, now);
  }
  return -1; /* unreachable: some day in nine is right */
}
