/*
 * When the next scheduled scan starts: at a random minute of the window
 * (local time, "01:00-05:00"; it may run over midnight), every day or on
 * the configured day of the week, so that sites do not all scan at once.
 */
#ifndef SR_SCAN_SCHEDULE_H
#define SR_SCAN_SCHEDULE_H

#include <time.h>

#include "service_config.h"

/* Seconds from `now` to the next scan; -1 when the schedule is `never`.
 * `random01` in [0, 1) picks the minute inside the window. A weekly window
 * that runs over midnight starts on its day. */
double scan_schedule_next(const sr_discovery_schedule_config *s, time_t now, double random01);

#endif
