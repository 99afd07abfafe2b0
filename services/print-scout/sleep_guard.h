/*
 * Uploading deferred cloud copies before the computer sleeps or shuts down
 * (Linux): a systemd-logind "delay" inhibitor lock, taken over the system
 * D-Bus (sd-bus), makes logind wait (up to its InhibitDelayMaxSec, 5 s by
 * default) after announcing PrepareForSleep / PrepareForShutdown. On that
 * signal the guard asks the copy uploader to upload every held job it has
 * not copied yet, at once (scout_copy_uploader_flush), then releases the
 * lock so the computer goes on; after a resume it takes a new lock.
 *
 * The guard has its own thread (sd-bus calls block). Without logind (no
 * system bus, or no login1 on it: containers, other init systems) it logs
 * once and does nothing more: deferred copies then go only after
 * copy_after.
 */
#ifndef SCOUT_SLEEP_GUARD_H
#define SCOUT_SLEEP_GUARD_H

#include "copy_uploader.h"

typedef struct scout_sleep_guard scout_sleep_guard;

/* Starts the guard for `uploader` (borrowed; must outlive the guard). NULL
 * if its thread cannot start (the scout runs on without it). */
scout_sleep_guard *scout_sleep_guard_new(scout_copy_uploader *uploader);

/* Stops the thread, releases the lock. NULL is fine. */
void scout_sleep_guard_free(scout_sleep_guard *g);

#endif
