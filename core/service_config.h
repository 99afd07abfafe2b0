/*
 * The configuration schema of every securerelease service, in one place so
 * that srctl can check any service's file and each service loads its own
 * with the same rules. The top-level `service:` key says which one a file is.
 */
#ifndef SR_CORE_SERVICE_CONFIG_H
#define SR_CORE_SERVICE_CONFIG_H

#include "config_schema.h"

typedef enum sr_service_kind {
  SR_SERVICE_CLOUD = 0,
  SR_SERVICE_PRINT_SCOUT = 1,
  SR_SERVICE_DEVICE_SCOUT = 2,
} sr_service_kind;

typedef struct sr_log_config {
  int level; /* sr_log_level */
} sr_log_config;

typedef struct sr_plugins_config {
  const sr_config_node *paths; /* list of directories searched in order */
} sr_plugins_config;

typedef struct sr_listen_config {
  const char *address;
  int64_t port;
  const char *socket; /* print scout's queue only: a Unix-domain socket too, or NULL */
  /* print scout's queue only: the job-state a held job is reported in,
   * 0 pending-held, 1 pending (docs/clients.md) */
  int held_jobs_as;
  /* the site's panel only: the release page's base URL as people reach it
   * (labels' and rotating QR codes), or NULL: https://ADDRESS:PORT */
  const char *public_url;
  /* site service's panel only: the release page's files, or NULL for the
   * installed copy (services/device-scout/web_files.h) */
  const char *web_root;
} sr_listen_config;

/* Slow and idle clients of a REST API (core/http_server.h). */
typedef struct sr_api_limits_config {
  int64_t header_timeout; /* seconds to send a request's head */
  int64_t body_timeout;   /* seconds to send a whole body */
  int64_t idle_timeout;   /* seconds a kept-alive connection may idle */
  int64_t max_connections;
  int64_t max_connections_per_address; /* of max_connections, from one client address */
} sr_api_limits_config;

typedef struct sr_tls_config {
  const char *cert; /* PEM certificate chain */
  const char *key;  /* PEM private key */
  const char *ca;   /* CA bundle to verify peers with */
} sr_tls_config;

typedef struct sr_database_config {
  int driver;       /* 0 sqlite, 1 postgresql */
  const char *path; /* sqlite file */
  const char *url;  /* postgresql connection string */
} sr_database_config;

typedef struct sr_mqtt_config {
  const char *host;
  int64_t port;
  sr_tls_config tls;
  int64_t keepalive;
} sr_mqtt_config;

typedef struct sr_enrollment_config {
  const char *ca_cert, *ca_key; /* signs each tenant's CA */
  int64_t token_ttl;            /* seconds an enrollment token lives */
  int64_t cert_days;            /* validity of a scout certificate */
} sr_enrollment_config;

/* The broker's ACL file, which the cloud writes: one entry per scout, bound
 * to its tenant (see services/cloud/broker_acl.c). */
typedef struct sr_broker_acl_config {
  const char *file;     /* mosquitto acl_file; NULL: the operator manages ACLs */
  const char *pid_file; /* mosquitto pid_file: told to reload (SIGHUP) */
} sr_broker_acl_config;

typedef struct sr_lockout_config {
  int64_t attempts; /* failed panel logins before a lockout */
  int64_t duration; /* seconds it lasts */
} sr_lockout_config;

/* The mail relay the cloud sends users' notices through (expiry warnings). */
typedef struct sr_smtp_config {
  const char *url;      /* smtp://HOST:PORT (STARTTLS required) or smtps://; NULL: no mail */
  const char *ca_file;  /* the relay's CA, or NULL: the system's */
  const char *from;     /* the sender address */
  const char *username; /* optional SMTP login */
  const char *password;
} sr_smtp_config;
/* What the cloud keeps about a job for reporting, per region. */
typedef enum sr_title_privacy {
  SR_TITLE_KEEP = 0, /* the title as printed */
  SR_TITLE_HASH = 1, /* a keyed hash: equal titles match, none can be read */
  SR_TITLE_DROP = 2, /* nothing */
} sr_title_privacy;

typedef enum sr_user_privacy {
  SR_USER_KEEP = 0,      /* the user's id */
  SR_USER_PSEUDONYM = 1, /* a keyed pseudonym once the job has ended */
} sr_user_privacy;

/* Their words in the configuration, indexed by the enums; NULL-terminated. */
extern const char *const sr_title_privacy_names[];
extern const char *const sr_user_privacy_names[];

/* One storage region of the cloud (services/cloud/regions.c uses them). */
typedef struct sr_region_config {
  const char *name;    /* [a-z0-9-], unique */
  const char *storage; /* the name of one of the cloud's storage instances */
  const char *prefix;  /* key prefix inside it, "" for none */
  const char *label;   /* for people: "EU (Frankfurt)" */
  int title;           /* sr_title_privacy */
  int user;            /* sr_user_privacy */
} sr_region_config;

#define SR_MAX_REGIONS 64

/* The web console and user portal the cloud serves (docs/console.md). */
typedef struct sr_console_config {
  /* https://HOST[:PORT] the browsers use: the only Origin a state-changing
   * browser call may come from, and the base of sign-in links and the
   * OpenID redirect URI; NULL: https://ADDRESS:PORT of listen */
  const char *public_url;
  const char *web_root;  /* web/ (console/, portal/, shared/); NULL: the installed copy */
  const char *client_id; /* the console's client at the OpenID provider */
  int64_t session_idle;  /* seconds a browser session lives unused */
  int64_t session_max;   /* seconds a browser session lives at most */
} sr_console_config;

typedef struct sr_cloud_config {
  sr_listen_config listen;
  sr_api_limits_config api_limits;
  sr_tls_config tls;
  sr_database_config database;
  sr_mqtt_config mqtt;
  const sr_config_node *storage;      /* plugin list: the stores regions put job copies in */
  const sr_config_node *regions_node; /* the `regions:` list as written, or NULL */
  /* regions:, checked; without one, a region "default" over the first
   * storage instance (none without storage) */
  sr_region_config regions[SR_MAX_REGIONS];
  size_t n_regions;
  int64_t copy_max_size;        /* bytes of the largest job copy (cloud copy) */
  int64_t job_expiry;           /* seconds a held job waits: the default hold_time */
  int64_t hold_time_min;        /* the shortest hold_time a tenant may set (demos, tests) */
  const char *admin_token_file; /* operator token: creates tenants */
  sr_enrollment_config enrollment;
  int64_t release_timeout;     /* seconds a scout has to start printing */
  int64_t release_ack_timeout; /* seconds before a release goes to the next deliverer */
  int64_t panel_session_ttl;   /* seconds a panel session lives */
  int64_t site_heartbeat;      /* seconds between a site service's heartbeats */
  sr_lockout_config lockout;
  const sr_config_node *idp;   /* plugin list: registration (email, OIDC) */
  const char *master_key_file; /* seals secrets at rest (tenant CA keys), mode 0600 */
  sr_broker_acl_config broker_acl;
  sr_smtp_config smtp;
  sr_console_config console;
} sr_cloud_config;

/* What one client (or one local account) may take of the print scout's IPP
 * queue, so that no one user can stop the others from printing. */
typedef struct sr_queue_limits_config {
  int64_t max_connections;   /* open connections at once; more get 503 and are closed */
  int64_t header_timeout_ms; /* to send a request's headers (also the keep-alive wait) */
  int64_t body_timeout_ms;   /* the longest pause inside a request's body */
  int64_t min_upload_rate;   /* bytes a second a document must bring over each window */
  int64_t upload_rate_window_ms;
  int64_t max_upload_memory; /* bytes of documents in flight, all uploads together */
  /* one account's share of max_connections and max_upload_memory; 0: half */
  int64_t max_connections_per_account;
  int64_t max_upload_memory_per_account;
  int64_t incoming_expiry;   /* seconds a job may wait for its document */
  int64_t max_jobs_per_user; /* unfinished jobs (waiting, held, printing) per user */
} sr_queue_limits_config;

/* PIN jobs (PWG 5100.11 job-password): a job sent with a PIN is released
 * at a panel only after the same PIN is entered there. */
typedef struct sr_pin_jobs_config {
  bool enabled;       /* the queue takes job-password; false: it refuses jobs that carry one */
  int64_t min_length; /* digits a PIN sent in clear (encryption none) must have, at least */
  int64_t max_length; /* and at most (also job-password-length-supported) */
} sr_pin_jobs_config;

/* How the print scout delivers releases to printers. */
typedef struct sr_delivery_config {
  int64_t busy_deadline; /* seconds a busy printer is tried again before the release fails */
} sr_delivery_config;

typedef struct sr_print_scout_config {
  const char *tenant;      /* tenant id (also salts the site key) */
  const char *user;        /* the user this scout is registered to */
  const char *scout_id;    /* this scout's identity (its certificate's CN); "" = no MQTT */
  const char *secret_file; /* the site secret (SR1-...), mode 0600 */
  int64_t max_document;    /* bytes a submitted document may have */
  int64_t hold_time;       /* seconds a job is kept until the cloud says how long */
  int64_t announce_retry;  /* seconds to the first retry of an announcement (then doubling) */
  int64_t cloud_timeout;   /* seconds one call to the cloud may take */
  sr_listen_config queue;  /* the local IPP queue */
  sr_queue_limits_config queue_limits;
  sr_pin_jobs_config pin_jobs;
  const char *cloud_url;
  sr_tls_config tls;
  sr_mqtt_config mqtt;
  const sr_config_node *storage;    /* plugin section: the local job store */
  const sr_config_node *transports; /* plugin list, tried in order */
  const sr_config_node *driver;     /* device driver for printer status, or NULL */
  const sr_config_node *printers;   /* hosts releases may print to (text list) */
  const char *printer_lists;        /* file of the site's signed printer lists (without printers) */
  int64_t printer_lists_every;      /* seconds between fetches of the lists */
  sr_delivery_config delivery;
  int64_t pin_length;        /* digits of a PIN chosen at registration */
  int user_source;           /* 0 registration, 1 directory (the login names the user) */
  const sr_config_node *idp; /* plugin list: directory lookups of logins */
  /* accounts whose requesting-user-name the queue believes (text list);
   * NULL: the default, root and lp */
  const sr_config_node *trusted_spoolers;
  bool serve_others;           /* prints others' jobs from their cloud copy (crowdsource) */
  const sr_config_node *cache; /* plugin section: storage for those copies */
} sr_print_scout_config;

typedef struct sr_snmp_config {
  int version; /* 0 v1, 1 v2c, 2 v3 */
  const char *community;
  int64_t timeout_ms;
  int64_t retries;
} sr_snmp_config;

/* How the site normalises identities before hashing them (see idhash.h). */
typedef struct sr_identity_config {
  int card_format;         /* sr_card_format: decimal, hex, raw */
  bool card_strip_zeros;   /* "000123" is "123" */
  int64_t pin_length;      /* digits in a PIN */
  const char *secret_file; /* file holding the site secret (SR1-...) */
} sr_identity_config;

/* One set of SNMP credentials discovery tries, in the order written. */
typedef struct sr_discovery_credential {
  const char *name;
  int version;           /* 0 v1, 1 v2c, 2 v3 */
  const char *community; /* v1, v2c */
  const char *user;      /* v3: USM user, authPriv SHA/AES */
  const char *auth_password;
  const char *priv_password;
} sr_discovery_credential;

#define SR_MAX_DISCOVERY_CREDENTIALS 16
#define SR_MAX_DISCOVERY_PORTS 8

typedef enum sr_discovery_every {
  SR_DISCOVERY_NEVER = 0, /* only `discover --once` */
  SR_DISCOVERY_DAILY = 1,
  SR_DISCOVERY_WEEKLY = 2,
} sr_discovery_every;

typedef struct sr_discovery_schedule_config {
  int every;          /* sr_discovery_every */
  int day;            /* weekly: 0 sunday .. 6 saturday */
  const char *window; /* "HH:MM-HH:MM", local time; may wrap midnight */
  int window_start;   /* minutes after midnight, filled from `window` */
  int window_end;
} sr_discovery_schedule_config;

/* The SNMP scan of the site's networks (services/device-scout/discovery.h). */
typedef struct sr_discovery_config {
  const sr_config_node *targets; /* text list: addresses, ranges, CIDR blocks, host names */
  const sr_config_node *exclude; /* text list of the same, never sent a packet */
  int64_t port;                  /* UDP port of the agents */
  int64_t rate;                  /* packets per second, retries included */
  int64_t outstanding;           /* requests in flight at most */
  int64_t timeout;               /* seconds to wait for an answer */
  int64_t retries;
  const sr_config_node *credentials_node;
  sr_discovery_credential credentials[SR_MAX_DISCOVERY_CREDENTIALS];
  size_t n_credentials;
  sr_discovery_schedule_config schedule;
  const sr_config_node *ipp_ports_node, *raw_ports_node;
  int ipp_ports[SR_MAX_DISCOVERY_PORTS], raw_ports[SR_MAX_DISCOVERY_PORTS];
  size_t n_ipp_ports, n_raw_ports;
} sr_discovery_config;

/* How often the site reads each part of its printers (monitor.c), and
 * sends its health report when nothing changed; seconds. */
typedef struct sr_monitor_config {
  int64_t status, alerts, meters, supplies, health;
} sr_monitor_config;

typedef struct sr_device_scout_config {
  sr_listen_config panel; /* the panel API */
  sr_api_limits_config api_limits;
  sr_tls_config tls; /* the panel API's server certificate */
  const char *tenant;
  const char *cloud_url;
  sr_tls_config cloud_tls; /* client certificate towards the cloud, its CA */
  sr_snmp_config snmp;
  sr_identity_config identity;
  const sr_config_node *drivers; /* plugin list */
  const sr_config_node *idp;     /* plugin list, asked in order */
  /* failover (document_handling site): NULL cache: the site prints nothing */
  const sr_config_node *cache;      /* plugin section: storage for fetched cloud copies */
  sr_mqtt_config mqtt;              /* release commands */
  const sr_config_node *transports; /* plugin list, tried in order */
  const sr_config_node *printers;   /* hosts releases may print to (text list) */
  sr_delivery_config delivery;
  const char *state_dir; /* the site's own state (discovery.json), or NULL */
  sr_discovery_config discovery;
  int64_t printer_list_every; /* seconds between looks at the accepted devices, to sign */
  sr_monitor_config monitor;
} sr_device_scout_config;

typedef struct sr_service_config {
  int service; /* sr_service_kind */
  sr_log_config log;
  sr_plugins_config plugins;
  union {
    sr_cloud_config cloud;
    sr_print_scout_config print_scout;
    sr_device_scout_config device_scout;
  } u;
} sr_service_config;

/* Keyword of a service kind ("cloud", "print-scout", "device-scout"). */
const char *sr_service_kind_name(int kind);

/* Checks the whole document against its service's schema and fills *out
 * (zeroed first; strings point into `doc`). Returns true when the document
 * has no error at all, including errors from parsing. */
bool sr_service_config_apply(sr_config *doc, sr_service_config *out);

#endif
