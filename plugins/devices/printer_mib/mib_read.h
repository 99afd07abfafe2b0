/*
 * Reading Printer MIB tables through the host's SNMP session: the helpers
 * the printer_mib driver's files share. Values arrive as text
 * (sr_device_target); an agent may answer anything, so every number is
 * parsed defensively and every string copied with its bound.
 */
#ifndef PRINTER_MIB_READ_H
#define PRINTER_MIB_READ_H

#include <sr/device.h>
#include <stdbool.h>

/* Reads column `column` at row `index` (".1.2", with the dot) as an
 * integer. SR_OK, or the host's status (absent: SR_ERR_NOT_FOUND), or
 * SR_ERR_PEER when the value is no number that fits; *out is set only on
 * SR_OK, so callers preset their default. */
int mib_get_int(const sr_device_target *t, const char *column, const char *index, long *out);

/* The same as text, "" when absent. */
int mib_get_text(const sr_device_target *t, const char *column, const char *index, char *out,
                 size_t size);

/* The index of the first row of the table column `column` (".1", with the
 * dot) in `index`; false when the column is empty or the walk fails
 * (*status says which). */
bool mib_first_row(const sr_device_target *t, const char *column, char *index, size_t size,
                   int *status);

/* Calls fn(ctx, index, value) for each row of `column` (index with its
 * leading dot), at most `max` rows. Returns the walk's status. */
typedef int (*mib_row_fn)(void *ctx, const char *index, const char *value);
int mib_each_row(const sr_device_target *t, const char *column, size_t max, mib_row_fn fn,
                 void *ctx);

/* Fills `out` with the device's active alerts (prtAlertTable). */
int mib_read_alerts(const sr_device_target *t, sr_device_alerts *out);

/* Fills `out` with the device's counters: PWG Imaging System Counter MIB
 * where the device has it, prtMarkerLifeCount for the total. */
int mib_read_meters(const sr_device_target *t, sr_device_meters *out);

#endif
