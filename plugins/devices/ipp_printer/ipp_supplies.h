/* Supplies from a Get-Printer-Attributes response: printer-supply (PWG
 * 5100.13), else the older marker-* attributes. */
#ifndef IPP_PRINTER_SUPPLIES_H
#define IPP_PRINTER_SUPPLIES_H

#include <cups/cups.h>
#include <sr/device.h>

/* The attributes ipp_supplies_read needs. */
extern const char *const ipp_supply_attributes[];
extern const int ipp_supply_attribute_count;

/* Fills `out` (count, items, and more[] when it fits) from `response`. */
void ipp_supplies_read(ipp_t *response, sr_device_supplies *out);

#endif
