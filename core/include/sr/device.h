/*
 * securerelease plugin SDK: device driver plugins.
 *
 * A driver recognises printer models from what discovery read and turns the
 * device's SNMP data into status, meters, supplies and alerts. The host owns
 * the SNMP session (v1/v2c/v3, credentials, timeouts) and lends it to the
 * driver through sr_device_target, so drivers need no SNMP library.
 */
#ifndef SR_DEVICE_H
#define SR_DEVICE_H

#include "plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What discovery read from a device. Owned by the host, valid during the
 * call; any member may be NULL. */
typedef struct sr_device_probe {
  uint32_t struct_size; /* set by the host: read only members that fit */
  /* ---- ABI 1.0 ---- */
  const char *address;         /* IP address or host name */
  const char *sys_object_id;   /* SNMPv2-MIB sysObjectID, dotted */
  const char *sys_descr;       /* SNMPv2-MIB sysDescr */
  const char *hr_device_descr; /* HOST-RESOURCES-MIB hrDeviceDescr */
  const char *make_and_model;  /* IPP printer-make-and-model */
  /* ---- ABI 1.3 ---- */
  const char *ipp_uri;      /* an ipp:// or ipps:// URI of the device, if known */
  const char *serial;       /* prtGeneralSerialNumber, if discovery read it */
  const char *snmp_address; /* "HOST:PORT" of its agent, NULL if none answered */
} sr_device_probe;

/* Called by walk() for each variable; return SR_OK to go on. */
typedef int (*sr_snmp_walk_fn)(void *fctx, const char *oid, const char *value);

/* A device to read, with the host's SNMP session. Owned by the host. */
typedef struct sr_device_target {
  uint32_t struct_size;
  /* ---- ABI 1.0 ---- */
  const char *address;
  void *snmp_ctx; /* pass to the functions below */
  /* Reads one OID ("1.3.6.1.2.1.1.1.0") as text into `value`. */
  int (*snmp_get)(void *snmp_ctx, const char *oid, char *value, size_t value_size);
  /* Walks the subtree under `oid`. */
  int (*snmp_walk)(void *snmp_ctx, const char *oid, sr_snmp_walk_fn fn, void *fctx);
  /* ---- ABI 1.3 ---- */
  /* ipp:// or ipps:// URI for drivers that read the device over IPP, NULL
   * if it has none; with no SNMP agent, snmp_get/snmp_walk are NULL. */
  const char *ipp_uri;
} sr_device_target;

typedef struct sr_device_identity {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.0 ---- */
  int32_t score; /* 0-100: how sure; the host picks the highest */
  char vendor[64];
  char model[128];
  char serial[64];
} sr_device_identity;

typedef enum sr_device_state {
  SR_DEVICE_UNKNOWN = 0,
  SR_DEVICE_IDLE = 1,
  SR_DEVICE_PRINTING = 2,
  SR_DEVICE_WARMUP = 3,
  SR_DEVICE_ERROR = 4, /* cannot print now: see alerts */
  SR_DEVICE_OFFLINE = 5,
} sr_device_state;

/* Conditions, as bits of sr_device_status.alerts. */
enum {
  SR_ALERT_NO_PAPER = 1u << 0,
  SR_ALERT_JAM = 1u << 1,
  SR_ALERT_DOOR_OPEN = 1u << 2,
  SR_ALERT_OFFLINE = 1u << 3,
  SR_ALERT_TONER_LOW = 1u << 4,
  SR_ALERT_TONER_EMPTY = 1u << 5,
  SR_ALERT_OUTPUT_FULL = 1u << 6,
  SR_ALERT_SERVICE = 1u << 7,
};

typedef struct sr_device_status {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.0 ---- */
  int32_t state;     /* sr_device_state */
  uint32_t alerts;   /* SR_ALERT_* bits */
  char message[256]; /* the device's own words, "" if none */
} sr_device_status;

typedef struct sr_device_meters {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.0 ---- */
  int64_t total_pages; /* -1 when unknown */
  int64_t mono_pages;
  int64_t color_pages;
  /* ---- ABI 1.3 ---- (PWG Imaging System Counter MIB, IPP
   * printer-impressions-completed and friends; -1 when unknown) */
  int64_t sheets;            /* media sheets used */
  int64_t two_sided_sheets;  /* of which printed on both sides */
  int64_t mono_impressions;  /* impressions in monochrome */
  int64_t color_impressions; /* impressions in colour */
} sr_device_meters;

#define SR_DEVICE_MAX_SUPPLIES 32

typedef struct sr_device_supply {
  char name[64];         /* "Black Toner" */
  char type[32];         /* Printer-MIB prtMarkerSuppliesType keyword: "toner", ... */
  int32_t level_percent; /* 0-100, -1 unknown */
} sr_device_supply;

/* ABI 1.3: what RFC 3805 adds per supply; item i of sr_device_supplies.more
 * describes items[i] (a separate array keeps items[]' stride). */
typedef struct sr_device_supply_detail {
  char color[32];   /* prtMarkerColorantValue / IPP marker-colors: "black", "cyan", "" */
  int32_t level;    /* prtMarkerSuppliesLevel: units, or -1 other, -2 unknown, -3 some left */
  int32_t capacity; /* prtMarkerSuppliesMaxCapacity: units, or -1 / -2 as above */
  char unit[24];    /* prtMarkerSuppliesSupplyUnit keyword: "percent", "impressions", "" */
} sr_device_supply_detail;

typedef struct sr_device_supplies {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.0 ---- */
  uint32_t count;
  sr_device_supply items[SR_DEVICE_MAX_SUPPLIES];
  /* ---- ABI 1.3 ---- */
  sr_device_supply_detail more[SR_DEVICE_MAX_SUPPLIES];
} sr_device_supplies;

#define SR_DEVICE_MAX_ALERTS 32

/* Severity of an alert, as prtAlertSeverityLevel. */
typedef enum sr_alert_severity {
  SR_ALERT_OTHER = 1,
  SR_ALERT_CRITICAL = 3,
  SR_ALERT_WARNING = 4,
  SR_ALERT_WARNING_EVENT = 5, /* warningBinaryChangeEvent */
} sr_alert_severity;

/* One row of the device's active alerts (prtAlertTable, or IPP
 * printer-state-reasons). */
typedef struct sr_device_alert {
  int32_t severity;      /* sr_alert_severity */
  int32_t code;          /* prtAlertCode (RFC 3805 PrtAlertCodeTC), 1 if none */
  char group[32];        /* prtAlertGroup keyword: "input", "marker", "cover", ... */
  char reason[64];       /* a PWG keyword: "media-empty", "toner-low", "door-open", ... */
  char description[192]; /* the device's own words, "" if none */
} sr_device_alert;

typedef struct sr_device_alerts {
  uint32_t struct_size; /* set by the host; write only members that fit */
  /* ---- ABI 1.3 ---- */
  uint32_t count;
  sr_device_alert items[SR_DEVICE_MAX_ALERTS];
} sr_device_alerts;

/*
 * Execution (sr/plugin.h): operations may block (they read the device
 * over SNMP or HTTP); the host calls them on a worker thread, never the
 * event loop's, one at a time per instance unless the plugin declares
 * SR_PLUGIN_THREAD_SAFE.
 */
typedef struct sr_device_ops {
  sr_instance_ops base;
  /* ---- ABI 1.0 ---- */

  /* Required. SR_OK with out->score > 0 if this driver knows the device,
   * SR_ERR_UNSUPPORTED if not. */
  int (*identify)(void *instance, const sr_device_probe *probe, sr_device_identity *out);
  /* Optional readers: each fills the caller's struct. */
  int (*read_status)(void *instance, const sr_device_target *target, sr_device_status *out);
  int (*read_meters)(void *instance, const sr_device_target *target, sr_device_meters *out);
  int (*read_supplies)(void *instance, const sr_device_target *target, sr_device_supplies *out);
  /* Optional panel integration: points the device's embedded panel app at
   * the site service's panel API. */
  int (*panel_configure)(void *instance, const sr_device_target *target, const char *panel_api_url);
  /* ---- ABI 1.3 ---- */
  /* Optional: the device's active alerts. */
  int (*read_alerts)(void *instance, const sr_device_target *target, sr_device_alerts *out);
} sr_device_ops;

#ifdef __cplusplus
}
#endif

#endif
