/*
 * Choosing the device driver for a device: every driver's identify() sees
 * what discovery read, and the one most sure of itself wins, so a vendor
 * driver that knows the model beats the generic printer_mib.
 */
#ifndef SR_CORE_DEVICE_PICK_H
#define SR_CORE_DEVICE_PICK_H

#include <stddef.h>

#include "instance.h"

/* Asks each of `drivers[0..n)` to identify the device `probe` describes
 * and returns the index of the driver with the highest score (ties: the
 * earlier in the list), or -1 when none knows it. The winner's identity is
 * copied into *out (its struct_size is set here; may be NULL). Drivers and
 * probe stay the caller's. identify() may block (some drivers ask the
 * device): call this on a worker thread, never on an event loop. */
int sr_device_pick(sr_instance **drivers, size_t n, const sr_device_probe *probe,
                   sr_device_identity *out);

#endif
