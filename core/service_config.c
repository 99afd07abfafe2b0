#include "service_config.h"

#include "scan_targets.h"

#include <stdio.h>
#include <string.h>

#define F(type, field) offsetof(type, field)

static const char *const service_names[] = {"cloud", "print-scout", "device-scout", NULL};
static const char *const level_names[] = {"debug", "info", "warn", "error", NULL};
static const char *const db_drivers[] = {"sqlite", "postgresql", NULL};
/* The `snmp:` section (status reads, monitoring) has no v3 credentials yet:
 * "3" was accepted and read as v2c with the community, so it is refused. */
static const char *const snmp_versions[] = {"1", "2c", NULL};
static const char *const card_formats[] = {"decimal", "hex", "raw", NULL};
static const char *const user_sources[] = {"registration", "directory", NULL};
static const char *const held_states[] = {"pending-held", "pending", NULL};
const char *const sr_title_privacy_names[] = {"keep", "hash", "drop", NULL};
const char *const sr_user_privacy_names[] = {"keep", "pseudonym", NULL};

const char *sr_service_kind_name(int kind) {
  return kind >= 0 && kind <= SR_SERVICE_DEVICE_SCOUT ? service_names[kind] : "unknown";
}

static const sr_schema log_schema = {"log",
                                     (const sr_schema_field[]){{.key = "level",
                                                                .type = SR_FIELD_ENUM,
                                                                .offset = F(sr_log_config, level),
                                                                .def = "info",
                                                                .choices = level_names},
                                                               {0}}};

static const sr_schema plugins_schema = {
    "plugins", (const sr_schema_field[]){{.key = "paths",
                                          .type = SR_FIELD_STRING_LIST,
                                          .offset = F(sr_plugins_config, paths),
                                          .help = "directories holding sr_<kind>_<name>.so files"},
                                         {0}}};

static const sr_schema tls_schema = {
    "tls", (const sr_schema_field[]){
               {.key = "cert", .type = SR_FIELD_PATH, .offset = F(sr_tls_config, cert)},
               {.key = "key", .type = SR_FIELD_PATH, .offset = F(sr_tls_config, key)},
               {.key = "ca", .type = SR_FIELD_PATH, .offset = F(sr_tls_config, ca)},
               {0}}};

/* Extra fields after the port go in `...` (the queue's socket). */
#define LISTEN_SCHEMA(var, name, default_port, ...)                                                \
  static const sr_schema var = {                                                                   \
      name, (const sr_schema_field[]){{.key = "address",                                           \
                                       .type = SR_FIELD_STRING,                                    \
                                       .offset = F(sr_listen_config, address),                     \
                                       .def = "127.0.0.1"},                                        \
                                      {.key = "port",                                              \
                                       .type = SR_FIELD_INT,                                       \
                                       .offset = F(sr_listen_config, port),                        \
                                       .def = default_port,                                        \
                                       .min = 0,                                                   \
                                       .max = 65535,                                               \
                                       .help = "a TCP port, 0 picks a free one"},                  \
                                      ##__VA_ARGS__,                                               \
                                      {0}}}

LISTEN_SCHEMA(cloud_listen_schema, "listen", "8443");
LISTEN_SCHEMA(queue_schema, "queue", "8631",
              {.key = "socket",
               .type = SR_FIELD_PATH,
               .offset = F(sr_listen_config, socket),
               .help = "a Unix-domain socket the queue also listens on"},
              {.key = "held_jobs_as",
               .type = SR_FIELD_ENUM,
               .offset = F(sr_listen_config, held_jobs_as),
               .def = "pending-held",
               .choices = held_states,
               .help = "job-state of a held job: pending-held, or pending so that CUPS follows "
                       "it until released (docs/clients.md)"});
LISTEN_SCHEMA(panel_schema, "panel", "9443",
              {.key = "public_url",
               .type = SR_FIELD_STRING,
               .offset = F(sr_listen_config, public_url),
               .help = "the release page's base URL as phones reach it, https://HOST[:PORT][/PATH] "
                       "(in labels' and rotating QR codes; default https://ADDRESS:PORT)"},
              {.key = "web_root",
               .type = SR_FIELD_PATH,
               .offset = F(sr_listen_config, web_root),
               .help = "the release page's files (web/release); unset: the installed copy"});

#define ALIM(field) F(sr_api_limits_config, field)
static const sr_schema api_limits_schema = {
    "api_limits",
    (const sr_schema_field[]){
        {.key = "header_timeout",
         .type = SR_FIELD_DURATION,
         .offset = ALIM(header_timeout),
         .def = "10s",
         .min = 1,
         .max = 600,
         .help = "time a client has to send a request's head (a new connection's first one "
                 "counted from its accept, TLS handshake included); slower clients are dropped"},
        {.key = "body_timeout",
         .type = SR_FIELD_DURATION,
         .offset = ALIM(body_timeout),
         .def = "30s",
         .min = 1,
         .max = 3600,
         .help = "time a client has to send a whole request body after its head"},
        {.key = "idle_timeout",
         .type = SR_FIELD_DURATION,
         .offset = ALIM(idle_timeout),
         .def = "30s",
         .min = 1,
         .max = 3600,
         .help = "time a kept-alive connection has after an answer to send its next "
                 "request's head"},
        {.key = "max_connections",
         .type = SR_FIELD_INT,
         .offset = ALIM(max_connections),
         .def = "1024",
         .min = 1,
         .max = 65536,
         .help = "connections open at once; a client beyond it is answered 503 (busy) and "
                 "closed (the process's open-file limit must allow them)"},
        {.key = "max_connections_per_address",
         .type = SR_FIELD_INT,
         .offset = ALIM(max_connections_per_address),
         .def = "256",
         .min = 1,
         .max = 65536,
         .help = "connections open at once from one client address, so one host cannot take "
                 "them all; beyond it a client is answered 503 (busy) and closed (raise it if "
                 "many clients reach the API through one proxy or NAT)"},
        {0}}};

#define QLIM(field) F(sr_queue_limits_config, field)
static const sr_schema queue_limits_schema = {
    "queue_limits",
    (const sr_schema_field[]){
        {.key = "max_connections",
         .type = SR_FIELD_INT,
         .offset = QLIM(max_connections),
         .def = "64",
         .min = 1,
         .max = 4096,
         .help = "IPP connections open at once; more are answered 503 (busy) and closed"},
        {.key = "header_timeout_ms",
         .type = SR_FIELD_INT,
         .offset = QLIM(header_timeout_ms),
         .def = "10000",
         .min = 100,
         .max = 600000,
         .help = "milliseconds a client has to send a request's headers (and to start its next "
                 "request on a kept-alive connection); slower clients are dropped"},
        {.key = "body_timeout_ms",
         .type = SR_FIELD_INT,
         .offset = QLIM(body_timeout_ms),
         .def = "30000",
         .min = 100,
         .max = 3600000,
         .help = "the longest pause, in milliseconds, inside a request's body; the job is "
                 "aborted"},
        {.key = "min_upload_rate",
         .type = SR_FIELD_INT,
         .offset = QLIM(min_upload_rate),
         .def = "1024",
         .min = 1,
         .max = 1073741824,
         .help = "bytes a second a document must bring, measured over each "
                 "upload_rate_window_ms; a slower one is aborted (client-error-timeout), so a "
                 "trickle cannot hold a connection however short its pauses"},
        {.key = "upload_rate_window_ms",
         .type = SR_FIELD_INT,
         .offset = QLIM(upload_rate_window_ms),
         .def = "30000",
         .min = 100,
         .max = 3600000,
         .help = "milliseconds over which min_upload_rate is measured; a trickle is aborted "
                 "within this and body_timeout_ms"},
        {.key = "max_upload_memory",
         .type = SR_FIELD_INT,
         .offset = QLIM(max_upload_memory),
         .def = "536870912",
         .min = 1048576,
         .max = 68719476736LL,
         .help = "bytes of documents being received, all uploads together; past it a job is "
                 "refused as busy"},
        {.key = "max_connections_per_account",
         .type = SR_FIELD_INT,
         .offset = QLIM(max_connections_per_account),
         .def = "0",
         .min = 0,
         .max = 4096,
         .help = "connections one local account may have open at once (peers the system "
                 "cannot name count as one); more are answered 503; 0: half of "
                 "max_connections"},
        {.key = "max_upload_memory_per_account",
         .type = SR_FIELD_INT,
         .offset = QLIM(max_upload_memory_per_account),
         .def = "0",
         .min = 0,
         .max = 68719476736LL,
         .help = "bytes of documents one user's uploads may hold together; past it their job "
                 "is refused as busy; 0: half of max_upload_memory"},
        {.key = "incoming_expiry",
         .type = SR_FIELD_INT,
         .offset = QLIM(incoming_expiry),
         .def = "300",
         .min = 1,
         .max = 86400,
         .help = "seconds a job created without a document (Create-Job) waits for it; then it "
                 "expires"},
        {.key = "max_jobs_per_user",
         .type = SR_FIELD_INT,
         .offset = QLIM(max_jobs_per_user),
         .def = "200",
         .min = 1,
         .max = 10000,
         .help = "unfinished jobs (waiting for a document, held, printing) one user may have"},
        {0}}};

static const sr_schema database_schema = {
    "database", (const sr_schema_field[]){{.key = "driver",
                                           .type = SR_FIELD_ENUM,
                                           .offset = F(sr_database_config, driver),
                                           .def = "sqlite",
                                           .choices = db_drivers},
                                          {.key = "path",
                                           .type = SR_FIELD_PATH,
                                           .offset = F(sr_database_config, path),
                                           .def = "cloud.db"},
                                          {.key = "url",
                                           .type = SR_FIELD_STRING,
                                           .offset = F(sr_database_config, url),
                                           .help = "a PostgreSQL connection string"},
                                          {0}}};

/* The keep-alive is each service's own: the cloud sits beside its broker
 * and wants a lost connection noticed soon; a print scout sits behind a
 * home or office NAT, and its pings are most of its traffic when idle (one
 * exchange of 48 bytes each interval: 30 s made 1.15 MB a month of the
 * 1.6 MB, bench/bandwidth). 3 minutes stays under the shortest common NAT
 * and load-balancer idle timeouts (4 minutes). */
#define MQTT_SCHEMA(var, default_keepalive)                                                        \
  static const sr_schema var = {"mqtt",                                                            \
                                (const sr_schema_field[]){{.key = "host",                          \
                                                           .type = SR_FIELD_STRING,                \
                                                           .offset = F(sr_mqtt_config, host),      \
                                                           .def = "127.0.0.1"},                    \
                                                          {.key = "port",                          \
                                                           .type = SR_FIELD_INT,                   \
                                                           .offset = F(sr_mqtt_config, port),      \
                                                           .def = "8883",                          \
                                                           .min = 1,                               \
                                                           .max = 65535},                          \
                                                          {.key = "tls",                           \
                                                           .type = SR_FIELD_SECTION,               \
                                                           .offset = F(sr_mqtt_config, tls),       \
                                                           .section = &tls_schema},                \
                                                          {.key = "keepalive",                     \
                                                           .type = SR_FIELD_DURATION,              \
                                                           .offset = F(sr_mqtt_config, keepalive), \
                                                           .def = default_keepalive,               \
                                                           .min = 5,                               \
                                                           .max = 3600,                            \
                                                           .help = "MQTT needs 5s to 1h"},         \
                                                          {0}}}

MQTT_SCHEMA(cloud_mqtt_schema, "30s");
MQTT_SCHEMA(scout_mqtt_schema, "3m");
MQTT_SCHEMA(site_mqtt_schema, "30s"); /* always on, on the company network */

static const sr_schema snmp_schema = {
    "snmp", (const sr_schema_field[]){{.key = "version",
                                       .type = SR_FIELD_ENUM,
                                       .offset = F(sr_snmp_config, version),
                                       .def = "2c",
                                       .choices = snmp_versions},
                                      {.key = "community",
                                       .type = SR_FIELD_STRING,
                                       .offset = F(sr_snmp_config, community),
                                       .def = "public"},
                                      {.key = "timeout_ms",
                                       .type = SR_FIELD_INT,
                                       .offset = F(sr_snmp_config, timeout_ms),
                                       .def = "1000",
                                       .min = 10,
                                       .max = 60000},
                                      {.key = "retries",
                                       .type = SR_FIELD_INT,
                                       .offset = F(sr_snmp_config, retries),
                                       .def = "1",
                                       .min = 0,
                                       .max = 10},
                                      {0}}};

static const sr_schema identity_schema = {
    "identity", (const sr_schema_field[]){
                    {.key = "card_format",
                     .type = SR_FIELD_ENUM,
                     .offset = F(sr_identity_config, card_format),
                     .def = "decimal",
                     .choices = card_formats},
                    {.key = "card_strip_leading_zeros",
                     .type = SR_FIELD_BOOL,
                     .offset = F(sr_identity_config, card_strip_zeros),
                     .def = "true"},
                    {.key = "pin_length",
                     .type = SR_FIELD_INT,
                     .offset = F(sr_identity_config, pin_length),
                     .def = "4",
                     .min = 4,
                     .max = 12},
                    {.key = "secret_file",
                     .type = SR_FIELD_PATH,
                     .offset = F(sr_identity_config, secret_file),
                     .help = "a file holding the site secret, readable by this service only"},
                    {0}}};

#define COMMON_FIELDS                                                                              \
  {.key = "service",                                                                               \
   .type = SR_FIELD_ENUM,                                                                          \
   .offset = F(sr_service_config, service),                                                        \
   .required = true,                                                                               \
   .choices = service_names},                                                                      \
      {.key = "log",                                                                               \
       .type = SR_FIELD_SECTION,                                                                   \
       .offset = F(sr_service_config, log),                                                        \
       .section = &log_schema},                                                                    \
  {                                                                                                \
    .key = "plugins", .type = SR_FIELD_SECTION, .offset = F(sr_service_config, plugins),           \
    .section = &plugins_schema                                                                     \
  }

static const sr_schema enrollment_schema = {
    "enrollment",
    (const sr_schema_field[]){
        {.key = "ca_cert",
         .type = SR_FIELD_PATH,
         .offset = F(sr_enrollment_config, ca_cert),
         .help = "the CA that signs tenant CAs (and that the broker trusts)"},
        {.key = "ca_key", .type = SR_FIELD_PATH, .offset = F(sr_enrollment_config, ca_key)},
        {.key = "token_ttl",
         .type = SR_FIELD_DURATION,
         .offset = F(sr_enrollment_config, token_ttl),
         .def = "24h",
         .min = 60,
         .max = 30 * 86400},
        {.key = "cert_days",
         .type = SR_FIELD_INT,
         .offset = F(sr_enrollment_config, cert_days),
         .def = "365",
         .min = 1,
         .max = 3650},
        {0}}};

static const sr_schema broker_acl_schema = {
    "broker_acl", (const sr_schema_field[]){
                      {.key = "file",
                       .type = SR_FIELD_PATH,
                       .offset = F(sr_broker_acl_config, file),
                       .help = "the broker's acl_file, written by sr-cloud"},
                      {.key = "pid_file",
                       .type = SR_FIELD_PATH,
                       .offset = F(sr_broker_acl_config, pid_file),
                       .help = "the broker's pid_file: it is sent SIGHUP to reload the ACL"},
                      {0}}};

static const sr_schema lockout_schema = {
    "lockout", (const sr_schema_field[]){{.key = "attempts",
                                          .type = SR_FIELD_INT,
                                          .offset = F(sr_lockout_config, attempts),
                                          .def = "5",
                                          .min = 1,
                                          .max = 100,
                                          .help = "failed logins before a lockout"},
                                         {.key = "duration",
                                          .type = SR_FIELD_DURATION,
                                          .offset = F(sr_lockout_config, duration),
                                          .def = "5m",
                                          .min = 1,
                                          .max = 86400},
                                         {0}}};

#define SMTP(field) F(sr_smtp_config, field)
static const sr_schema smtp_schema = {
    "smtp", (const sr_schema_field[]){
                {.key = "url",
                 .type = SR_FIELD_STRING,
                 .offset = SMTP(url),
                 .help = "smtp://HOST:PORT (STARTTLS is required) or smtps://HOST:PORT"},
                {.key = "ca_file",
                 .type = SR_FIELD_PATH,
                 .offset = SMTP(ca_file),
                 .help = "the relay's CA; default the system's"},
                {.key = "from",
                 .type = SR_FIELD_STRING,
                 .offset = SMTP(from),
                 .help = "the sender address (required with url)"},
                {.key = "username", .type = SR_FIELD_STRING, .offset = SMTP(username)},
                {.key = "password",
                 .type = SR_FIELD_STRING,
                 .offset = SMTP(password),
                 .help = "write ${ENV_VARIABLE}: never the password itself"},
                {0}}};
#define CONSOLE(field) F(sr_console_config, field)
static const sr_schema console_schema = {
    "console", (const sr_schema_field[]){
                   {.key = "public_url",
                    .type = SR_FIELD_STRING,
                    .offset = CONSOLE(public_url),
                    .help = "https://HOST[:PORT] browsers reach the cloud at (the only origin "
                            "accepted for browser changes); default the listen address"},
                   {.key = "web_root",
                    .type = SR_FIELD_PATH,
                    .offset = CONSOLE(web_root),
                    .help = "the web files (console/, portal/, shared/); default the installed "
                            "copy"},
                   {.key = "client_id",
                    .type = SR_FIELD_STRING,
                    .offset = CONSOLE(client_id),
                    .def = "securerelease-console",
                    .help = "the console's client id at the OpenID provider"},
                   {.key = "session_idle",
                    .type = SR_FIELD_DURATION,
                    .offset = CONSOLE(session_idle),
                    .def = "30m",
                    .min = 60,
                    .max = 86400,
                    .help = "a browser session unused this long is over"},
                   {.key = "session_max",
                    .type = SR_FIELD_DURATION,
                    .offset = CONSOLE(session_max),
                    .def = "12h",
                    .min = 300,
                    .max = 7 * 86400,
                    .help = "a browser session is over this long after sign-in, used or not"},
                   {0}}};

/* A region's items are only validated by the schema (NULL slot); the
 * cloud's table is filled by check_regions below, which also checks what a
 * schema cannot: unique names and storage names that exist. */
static const sr_schema region_privacy_schema = {
    "privacy",
    (const sr_schema_field[]){{.key = "title",
                               .type = SR_FIELD_ENUM,
                               .def = "keep",
                               .choices = sr_title_privacy_names,
                               .help = "what is kept of a job's title: keep, hash (a keyed hash) "
                                       "or drop"},
                              {.key = "user",
                               .type = SR_FIELD_ENUM,
                               .def = "keep",
                               .choices = sr_user_privacy_names,
                               .help = "who printed it: keep, or pseudonym once the job ended"},
                              {0}}};

static const sr_schema region_schema = {
    "regions",
    (const sr_schema_field[]){
        {.key = "name",
         .type = SR_FIELD_STRING,
         .required = true,
         .help = "the region's name, 1 to 32 of a-z, 0-9 and '-'"},
        {.key = "storage",
         .type = SR_FIELD_STRING,
         .required = true,
         .help = "the name of one of the storage: instances"},
        {.key = "prefix", .type = SR_FIELD_STRING, .help = "key prefix inside that storage"},
        {.key = "label", .type = SR_FIELD_STRING, .help = "the region's name for people"},
        {.key = "privacy", .type = SR_FIELD_SECTION, .section = &region_privacy_schema},
        {0}}};

#define CLOUD(field) F(sr_service_config, u.cloud.field)
static const sr_schema cloud_schema = {
    "cloud",
    (const sr_schema_field[]){
        COMMON_FIELDS,
        {.key = "listen",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(listen),
         .section = &cloud_listen_schema},
        {.key = "api_limits",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(api_limits),
         .section = &api_limits_schema},
        {.key = "tls", .type = SR_FIELD_SECTION, .offset = CLOUD(tls), .section = &tls_schema},
        {.key = "database",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(database),
         .section = &database_schema},
        {.key = "mqtt",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(mqtt),
         .section = &cloud_mqtt_schema},
        {.key = "storage",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = CLOUD(storage),
         .help = "the stores job copies go to, each with a distinct name"},
        {.key = "regions",
         .type = SR_FIELD_LIST,
         .offset = CLOUD(regions_node),
         .section = &region_schema,
         .help = "storage regions, each over one storage instance, with privacy settings"},
        {.key = "copy_max_size",
         .type = SR_FIELD_INT,
         .offset = CLOUD(copy_max_size),
         .def = "67108864",
         .min = 4096,
         .max = 4LL * 1024 * 1024 * 1024,
         .help = "bytes of the largest job copy a print scout may upload (64 MiB)"},
        {.key = "job_expiry",
         .type = SR_FIELD_DURATION,
         .offset = CLOUD(job_expiry),
         .def = "48h",
         .min = 60,
         .max = 365 * 86400,
         .help = "the default hold_time of a tenant (kept within 1h to 7d)"},
        {.key = "hold_time_min",
         .type = SR_FIELD_DURATION,
         .offset = CLOUD(hold_time_min),
         .def = "1h",
         .min = 5,
         .max = 7 * 86400,
         .help = "the shortest hold_time a tenant may set: lower it only for demonstrations "
                 "and tests"},
        {.key = "admin_token_file",
         .type = SR_FIELD_PATH,
         .offset = CLOUD(admin_token_file),
         .help = "the operator's token (creates tenants), mode 0600"},
        {.key = "enrollment",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(enrollment),
         .section = &enrollment_schema},
        {.key = "master_key_file",
         .type = SR_FIELD_PATH,
         .offset = CLOUD(master_key_file),
         .help = "64 hex digits (openssl rand -hex 32), mode 0600: seals tenant CA keys"},
        {.key = "broker_acl",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(broker_acl),
         .section = &broker_acl_schema},
        {.key = "release_timeout",
         .type = SR_FIELD_DURATION,
         .offset = CLOUD(release_timeout),
         .def = "30s",
         .min = 1,
         .max = 3600,
         .help = "how long a scout has to start a release"},
        {.key = "release_ack_timeout",
         .type = SR_FIELD_DURATION,
         .offset = CLOUD(release_ack_timeout),
         .def = "5s",
         .min = 2,
         .max = 60,
         .help = "how long a deliverer has to take a release before it goes to the next one "
                 "of the tenant's document_handling"},
        {.key = "site_heartbeat",
         .type = SR_FIELD_DURATION,
         .offset = CLOUD(site_heartbeat),
         .def = "30s",
         .min = 1,
         .max = 600,
         .help = "how often site services call in; one is offline after 2.5 of these"},
        {.key = "panel_session_ttl",
         .type = SR_FIELD_DURATION,
         .offset = CLOUD(panel_session_ttl),
         .def = "5m",
         .min = 10,
         .max = 86400},
        {.key = "lockout",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(lockout),
         .section = &lockout_schema},
        {.key = "idp",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = CLOUD(idp),
         .help = "identity providers for registration, asked in order"},
        {.key = "smtp",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(smtp),
         .section = &smtp_schema,
         .help = "the mail relay for users' notices (expiry warnings); none: no mail"},
        {.key = "console",
         .type = SR_FIELD_SECTION,
         .offset = CLOUD(console),
         .section = &console_schema,
         .help = "the web console and user portal (docs/console.md)"},
        {0}}};

#define DLV(field) F(sr_delivery_config, field)
static const sr_schema delivery_schema = {
    "delivery",
    (const sr_schema_field[]){
        {.key = "busy_deadline",
         .type = SR_FIELD_DURATION,
         .offset = DLV(busy_deadline),
         .def = "5m",
         .min = 0,
         .max = 600,
         .help = "how long a busy printer is tried again (with backoff) before the release "
                 "fails and the job is held again; 0: not at all; at most 10m (the cloud gives "
                 "a started release 15m between two of its events)"},
        {0}}};

#define PINJ(field) F(sr_pin_jobs_config, field)
static const sr_schema pin_jobs_schema = {
    "pin_jobs",
    (const sr_schema_field[]){
        {.key = "enabled",
         .type = SR_FIELD_BOOL,
         .offset = PINJ(enabled),
         .def = "true",
         .help = "take job-password (PWG 5100.11): the job is released only after its PIN is "
                 "entered at the panel; false: jobs with a job-password are refused"},
        {.key = "min_length",
         .type = SR_FIELD_INT,
         .offset = PINJ(min_length),
         .def = "4",
         .min = 1,
         .max = 255,
         .help = "digits a job's PIN has at least"},
        {.key = "max_length",
         .type = SR_FIELD_INT,
         .offset = PINJ(max_length),
         .def = "8",
         .min = 1,
         .max = 255,
         .help = "digits a job's PIN has at most (job-password-supported)"},
        {0}}};

#define SCOUT(field) F(sr_service_config, u.print_scout.field)
static const sr_schema print_scout_schema = {
    "print-scout",
    (const sr_schema_field[]){
        COMMON_FIELDS,
        {.key = "tenant", .type = SR_FIELD_STRING, .offset = SCOUT(tenant), .def = "default"},
        {.key = "scout_id",
         .type = SR_FIELD_STRING,
         .offset = SCOUT(scout_id),
         .def = "",
         .help = "this scout's identity, its certificate's CN; empty: no MQTT"},
        {.key = "user",
         .type = SR_FIELD_STRING,
         .offset = SCOUT(user),
         .required = true,
         .help = "the user this scout is registered to"},
        {.key = "secret_file",
         .type = SR_FIELD_PATH,
         .offset = SCOUT(secret_file),
         .required = true,
         .help = "a file with the site secret, mode 0600"},
        {.key = "max_document",
         .type = SR_FIELD_INT,
         .offset = SCOUT(max_document),
         .def = "268435456",
         .min = 1024,
         .max = 17179869184LL},
        {.key = "hold_time",
         .type = SR_FIELD_DURATION,
         .offset = SCOUT(hold_time),
         .def = "48h",
         .min = 5,
         .max = 7 * 86400,
         .help = "how long a job is kept before the cloud has said (the cloud's answer to its "
                 "announcement, the tenant's hold time, replaces it)"},
        {.key = "announce_retry",
         .type = SR_FIELD_DURATION,
         .offset = SCOUT(announce_retry),
         .def = "15s",
         .min = 1,
         .max = 300,
         .help = "how long after the cloud did not take the held jobs they are announced again "
                 "(doubling with each failed retry, up to 5 min)"},
        {.key = "cloud_timeout",
         .type = SR_FIELD_DURATION,
         .offset = SCOUT(cloud_timeout),
         .def = "10s",
         .min = 1,
         .max = 300,
         .help = "how long one call to the cloud may take (a hung cloud holds up a shutdown at "
                 "most this long)"},
        {.key = "queue",
         .type = SR_FIELD_SECTION,
         .offset = SCOUT(queue),
         .section = &queue_schema},
        {.key = "queue_limits",
         .type = SR_FIELD_SECTION,
         .offset = SCOUT(queue_limits),
         .section = &queue_limits_schema,
         .help = "what one client or account may take of the queue"},
        {.key = "pin_jobs",
         .type = SR_FIELD_SECTION,
         .offset = SCOUT(pin_jobs),
         .section = &pin_jobs_schema,
         .help = "jobs released only with a PIN (IPP job-password)"},
        {.key = "cloud_url",
         .type = SR_FIELD_STRING,
         .offset = SCOUT(cloud_url),
         .def = "https://127.0.0.1:8443"},
        {.key = "tls", .type = SR_FIELD_SECTION, .offset = SCOUT(tls), .section = &tls_schema},
        {.key = "mqtt",
         .type = SR_FIELD_SECTION,
         .offset = SCOUT(mqtt),
         .section = &scout_mqtt_schema},
        {.key = "storage",
         .type = SR_FIELD_PLUGIN,
         .offset = SCOUT(storage),
         .required = true,
         .help = "the local job store"},
        {.key = "transports",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = SCOUT(transports),
         .help = "delivery transports, tried in order"},
        {.key = "driver",
         .type = SR_FIELD_PLUGIN,
         .offset = SCOUT(driver),
         .help = "device driver reading printer status before release"},
        {.key = "pin_length",
         .type = SR_FIELD_INT,
         .offset = SCOUT(pin_length),
         .def = "4",
         .min = 4,
         .max = 12,
         .help = "digits of a PIN chosen at registration (as the site's identity.pin_length)"},
        {.key = "user_source",
         .type = SR_FIELD_ENUM,
         .offset = SCOUT(user_source),
         .def = "registration",
         .choices = user_sources,
         .help = "registration (the user registers) or directory (the login names the user)"},
        {.key = "idp",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = SCOUT(idp),
         .help = "identity providers that find a login's directory entry"},
        {.key = "printers",
         .type = SR_FIELD_STRING_LIST,
         .offset = SCOUT(printers),
         .help = "the site's printer hosts: releases print nowhere else (an override: "
                 "without it, the printer lists the site signed decide)"},
        {.key = "printer_lists",
         .type = SR_FIELD_STRING,
         .offset = SCOUT(printer_lists),
         .help = "file where the printer lists the site signed are kept, with the highest "
                 "version seen per site (needed without 'printers')"},
        {.key = "printer_lists_every",
         .type = SR_FIELD_DURATION,
         .offset = SCOUT(printer_lists_every),
         .def = "10m",
         .min = 1,
         .max = 86400,
         .help = "how often the signed printer lists are fetched again (also at start, and "
                 "when a release names a printer they do not have)"},
        {.key = "delivery",
         .type = SR_FIELD_SECTION,
         .offset = SCOUT(delivery),
         .section = &delivery_schema,
         .help = "releases to printers: one at a time per printer, busy printers tried again"},
        {.key = "trusted_spoolers",
         .type = SR_FIELD_STRING_LIST,
         .offset = SCOUT(trusted_spoolers),
         .help = "accounts of the OS's print spoolers, whose requesting-user-name is believed "
                 "(default: root, lp)"},
        {.key = "serve_others",
         .type = SR_FIELD_BOOL,
         .offset = SCOUT(serve_others),
         .def = "false",
         .help = "print other users' released jobs from their cloud copy when their "
                 "workstation is away (document_handling crowdsource); needs 'cache'"},
        {.key = "cache",
         .type = SR_FIELD_PLUGIN,
         .offset = SCOUT(cache),
         .help = "storage for the cloud copies fetched to print for others (serve_others)"},
        {0}}};

static const char *const credential_versions[] = {"1", "2c", "3", NULL};
static const char *const auth_protocols[] = {"SHA", NULL};
static const char *const priv_protocols[] = {"AES", NULL};
static const char *const discovery_every[] = {"never", "daily", "weekly", NULL};
static const char *const week_days[] = {"sunday",   "monday", "tuesday",  "wednesday",
                                        "thursday", "friday", "saturday", NULL};

/* One item of discovery.credentials; check_discovery() fills the table. */
static const sr_schema credential_schema = {
    "credentials",
    (const sr_schema_field[]){
        {.key = "name", .type = SR_FIELD_STRING, .required = true, .help = "a name for results"},
        {.key = "version", .type = SR_FIELD_ENUM, .required = true, .choices = credential_versions},
        {.key = "community", .type = SR_FIELD_STRING, .help = "v1 and v2c"},
        {.key = "user", .type = SR_FIELD_STRING, .help = "v3: the USM user"},
        {.key = "auth", .type = SR_FIELD_ENUM, .def = "SHA", .choices = auth_protocols},
        {.key = "auth_password", .type = SR_FIELD_STRING, .help = "v3: at least 8 characters"},
        {.key = "priv", .type = SR_FIELD_ENUM, .def = "AES", .choices = priv_protocols},
        {.key = "priv_password", .type = SR_FIELD_STRING, .help = "v3: at least 8 characters"},
        {0}}};

static const sr_schema discovery_schedule_schema = {
    "schedule",
    (const sr_schema_field[]){{.key = "every",
                               .type = SR_FIELD_ENUM,
                               .offset = F(sr_discovery_schedule_config, every),
                               .def = "never",
                               .choices = discovery_every},
                              {.key = "day",
                               .type = SR_FIELD_ENUM,
                               .offset = F(sr_discovery_schedule_config, day),
                               .def = "sunday",
                               .choices = week_days,
                               .help = "weekly: the day of the scan"},
                              {.key = "window",
                               .type = SR_FIELD_STRING,
                               .offset = F(sr_discovery_schedule_config, window),
                               .def = "01:00-05:00",
                               .help = "HH:MM-HH:MM, local time: a scan starts at a random time "
                                       "inside"},
                              {0}}};

static const sr_schema discovery_ports_schema = {
    "ports", (const sr_schema_field[]){{.key = "ipp",
                                        .type = SR_FIELD_STRING_LIST,
                                        .offset = F(sr_discovery_config, ipp_ports_node),
                                        .help = "TCP ports tried for IPP/IPPS on printers found"},
                                       {.key = "raw",
                                        .type = SR_FIELD_STRING_LIST,
                                        .offset = F(sr_discovery_config, raw_ports_node),
                                        .help = "TCP ports tried for RAW (socket) printing"},
                                       {0}}};

/* `ports` fills fields of the discovery struct itself: its offsets are
 * relative to that struct, so it is applied with offset 0. */
static const sr_schema discovery_schema = {
    "discovery",
    (const sr_schema_field[]){
        {.key = "targets",
         .type = SR_FIELD_STRING_LIST,
         .offset = F(sr_discovery_config, targets),
         .help = "addresses, ranges (A-B), CIDR blocks and host names to scan"},
        {.key = "exclude",
         .type = SR_FIELD_STRING_LIST,
         .offset = F(sr_discovery_config, exclude),
         .help = "addresses, ranges and CIDR blocks never sent a packet"},
        {.key = "port",
         .type = SR_FIELD_INT,
         .offset = F(sr_discovery_config, port),
         .def = "161",
         .min = 1,
         .max = 65535},
        {.key = "rate",
         .type = SR_FIELD_INT,
         .offset = F(sr_discovery_config, rate),
         .def = "500",
         .min = 1,
         .max = 100000,
         .help = "packets per second, retries and all credential sets together"},
        {.key = "outstanding",
         .type = SR_FIELD_INT,
         .offset = F(sr_discovery_config, outstanding),
         .def = "4096",
         .min = 1,
         .max = 65536,
         .help = "requests in flight at most"},
        {.key = "timeout",
         .type = SR_FIELD_DURATION,
         .offset = F(sr_discovery_config, timeout),
         .def = "1s",
         .min = 1,
         .max = 60},
        {.key = "retries",
         .type = SR_FIELD_INT,
         .offset = F(sr_discovery_config, retries),
         .def = "1",
         .min = 0,
         .max = 5},
        {.key = "credentials",
         .type = SR_FIELD_LIST,
         .offset = F(sr_discovery_config, credentials_node),
         .section = &credential_schema,
         .help = "credential sets, tried in order on addresses that have not answered"},
        {.key = "schedule",
         .type = SR_FIELD_SECTION,
         .offset = F(sr_discovery_config, schedule),
         .section = &discovery_schedule_schema},
        {.key = "ports", .type = SR_FIELD_SECTION, .offset = 0, .section = &discovery_ports_schema},
        {0}}};

#define MON(field) F(sr_monitor_config, field)
static const sr_schema monitor_schema = {
    "monitor", (const sr_schema_field[]){
                   {.key = "status",
                    .type = SR_FIELD_DURATION,
                    .offset = MON(status),
                    .def = "60s",
                    .min = 1,
                    .max = 7 * 86400,
                    .help = "how often each printer's status is read"},
                   {.key = "alerts",
                    .type = SR_FIELD_DURATION,
                    .offset = MON(alerts),
                    .def = "60s",
                    .min = 1,
                    .max = 7 * 86400,
                    .help = "how often its alerts are read"},
                   {.key = "meters",
                    .type = SR_FIELD_DURATION,
                    .offset = MON(meters),
                    .def = "1h",
                    .min = 1,
                    .max = 7 * 86400,
                    .help = "how often its meters (page counters) are read"},
                   {.key = "supplies",
                    .type = SR_FIELD_DURATION,
                    .offset = MON(supplies),
                    .def = "15m",
                    .min = 1,
                    .max = 7 * 86400,
                    .help = "how often its supplies (toner levels) are read"},
                   {.key = "health",
                    .type = SR_FIELD_DURATION,
                    .offset = MON(health),
                    .def = "24h",
                    .min = 1,
                    .max = 7 * 86400,
                    .help = "how often the site's health report is sent when nothing changed"},
                   {0}}};

#define DEVICE(field) F(sr_service_config, u.device_scout.field)
static const sr_schema device_scout_schema = {
    "device-scout",
    (const sr_schema_field[]){
        COMMON_FIELDS,
        {.key = "panel",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(panel),
         .section = &panel_schema},
        {.key = "api_limits",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(api_limits),
         .section = &api_limits_schema},
        {.key = "tls", .type = SR_FIELD_SECTION, .offset = DEVICE(tls), .section = &tls_schema},
        {.key = "tenant",
         .type = SR_FIELD_STRING,
         .offset = DEVICE(tenant),
         .required = true,
         .help = "the tenant id (it also salts the site key)"},
        {.key = "cloud_url",
         .type = SR_FIELD_STRING,
         .offset = DEVICE(cloud_url),
         .def = "https://127.0.0.1:8443"},
        {.key = "cloud_tls",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(cloud_tls),
         .section = &tls_schema,
         .help = "the site's client certificate (from enrollment) and the cloud's CA"},
        {.key = "snmp", .type = SR_FIELD_SECTION, .offset = DEVICE(snmp), .section = &snmp_schema},
        {.key = "monitor",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(monitor),
         .section = &monitor_schema,
         .help = "how often the site reads its printers and reports its health"},
        {.key = "identity",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(identity),
         .section = &identity_schema},
        {.key = "drivers",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = DEVICE(drivers),
         .help = "device drivers; the first reads a printer's status before a release"},
        {.key = "cache",
         .type = SR_FIELD_PLUGIN,
         .offset = DEVICE(cache),
         .help = "storage for fetched cloud copies: with it the site service prints releases "
                 "its tenant's document_handling gives it (site)"},
        {.key = "mqtt",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(mqtt),
         .section = &site_mqtt_schema,
         .help = "the broker, for release commands (tls: cloud_tls's if not given)"},
        {.key = "transports",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = DEVICE(transports),
         .help = "delivery transports, tried in order"},
        {.key = "printers",
         .type = SR_FIELD_STRING_LIST,
         .offset = DEVICE(printers),
         .help = "the site's printer hosts: releases print nowhere else, and the site signs "
                 "devices on them (with the printers discovery found)"},
        {.key = "printer_list_every",
         .type = SR_FIELD_DURATION,
         .offset = DEVICE(printer_list_every),
         .def = "60s",
         .min = 1,
         .max = 86400,
         .help = "how often the accepted devices are read, to sign the printer list again "
                 "when they changed"},
        {.key = "delivery",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(delivery),
         .section = &delivery_schema},
        {.key = "idp",
         .type = SR_FIELD_PLUGIN_LIST,
         .offset = DEVICE(idp),
         .help = "identity providers, asked in order"},
        {.key = "state_dir",
         .type = SR_FIELD_PATH,
         .offset = DEVICE(state_dir),
         .help = "the site's own state: discovery.json (the printers a scan found), which the "
                 "signed printer list is held against"},
        {.key = "discovery",
         .type = SR_FIELD_SECTION,
         .offset = DEVICE(discovery),
         .section = &discovery_schema},
        {0}}};

/* The instance name of a storage section, as core/instance.c names it:
 * its `name`, else its plugin's. NULL if the section is malformed. */
static const char *storage_instance_name(const sr_config_node *section) {
  const sr_config_node *name = sr_config_get(section, "name");
  if (!name)
    name = sr_config_get(section, "plugin");
  return name && name->type == SR_CONFIG_SCALAR ? name->value : NULL;
}

static const sr_config_node *storage_named(const sr_config_node *list, const char *name) {
  for (size_t i = 0; list && i < list->count; i++) {
    const char *n = storage_instance_name(list->items[i]);
    if (n && strcmp(n, name) == 0)
      return list->items[i];
  }
  return NULL;
}

static bool region_name_ok(const char *s) {
  size_t n = strlen(s);
  return n >= 1 && n <= 32 && s[0] != '-' &&
         strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A key prefix: plain relative path characters, no way up or out. */
static bool region_prefix_ok(const char *s) {
  return strlen(s) <= 128 && s[0] != '/' && !strstr(s, "..") &&
         strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./") ==
             strlen(s);
}

static int choice_index(const sr_config_node *map, const char *key, const char *const *choices) {
  const sr_config_node *n = sr_config_get(map, key);
  for (int i = 0; n && n->type == SR_CONFIG_SCALAR && choices[i]; i++)
    if (strcmp(n->value, choices[i]) == 0)
      return i;
  return 0;
}

static const char *text_or(const sr_config_node *map, const char *key, const char *fallback) {
  const sr_config_node *n = sr_config_get(map, key);
  return n && n->type == SR_CONFIG_SCALAR ? n->value : fallback;
}

/* Storage instance names must be distinct (a region names one), and each
 * region must be well-formed, unique and over a storage instance that
 * exists. Fills cc->regions; schema errors of an item were reported
 * already, so a malformed item is only skipped. */
static void check_regions(sr_cloud_config *cc) {
  const sr_config_node *storage = cc->storage, *list = cc->regions_node;
  for (size_t i = 0; storage && storage->type == SR_CONFIG_LIST && i < storage->count; i++) {
    const char *name = storage_instance_name(storage->items[i]);
    for (size_t j = 0; name && j < i; j++) {
      const char *earlier = storage_instance_name(storage->items[j]);
      if (earlier && strcmp(earlier, name) == 0) {
        sr_config_add_error(storage->items[i], false,
                            "a second storage instance named '%s' (line %u has the first): give "
                            "each a distinct `name`",
                            name, storage->items[j]->line);
        break;
      }
    }
  }
  if (storage && storage->type != SR_CONFIG_LIST)
    storage = NULL;
  if (!list || list->type != SR_CONFIG_LIST) {
    /* no regions: one over the first storage instance */
    const char *first = storage && storage->count ? storage_instance_name(storage->items[0]) : NULL;
    if (first) {
      cc->regions[0] =
          (sr_region_config){.name = "default", .storage = first, .prefix = "", .label = "Default"};
      cc->n_regions = 1;
    }
    return;
  }
  if (list->count == 0)
    sr_config_add_error(list, false, "declare at least one region, or leave regions out");
  for (size_t i = 0; i < list->count; i++) {
    const sr_config_node *item = list->items[i];
    const sr_config_node *name = sr_config_get(item, "name"),
                         *store = sr_config_get(item, "storage");
    if (item->type != SR_CONFIG_MAP || !name || name->type != SR_CONFIG_SCALAR || !store ||
        store->type != SR_CONFIG_SCALAR)
      continue; /* reported by the schema */
    bool ok = true;
    if (!region_name_ok(name->value)) {
      sr_config_add_error(name, false, "a region's name is 1 to 32 of a-z, 0-9 and '-', got '%s'",
                          name->value);
      ok = false;
    }
    for (size_t j = 0; ok && j < cc->n_regions; j++)
      if (strcmp(cc->regions[j].name, name->value) == 0) {
        sr_config_add_error(name, false, "region '%s' is declared twice", name->value);
        ok = false;
      }
    if (!storage_named(storage, store->value)) {
      char known[256] = "";
      size_t n = 0;
      for (size_t j = 0; storage && j < storage->count && n < sizeof known; j++) {
        const char *sn = storage_instance_name(storage->items[j]);
        n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", n ? ", " : "", sn ? sn : "?");
      }
      sr_config_add_error(store, false, "no storage instance named '%s' (storage: has %s)",
                          store->value, n ? known : "none");
      ok = false;
    }
    const char *prefix = text_or(item, "prefix", "");
    if (!region_prefix_ok(prefix)) {
      sr_config_add_error(sr_config_get(item, "prefix"), false,
                          "a key prefix is up to 128 of A-Z, a-z, 0-9, '-', '_', '.' and '/', not "
                          "starting with '/' and without '..'");
      ok = false;
    }
    if (ok && cc->n_regions == SR_MAX_REGIONS) {
      sr_config_add_error(item, false, "more than %d regions", SR_MAX_REGIONS);
      return;
    }
    if (!ok)
      continue;
    const sr_config_node *privacy = sr_config_get(item, "privacy");
    cc->regions[cc->n_regions++] =
        (sr_region_config){.name = name->value,
                           .storage = store->value,
                           .prefix = prefix,
                           .label = text_or(item, "label", name->value),
                           .title = choice_index(privacy, "title", sr_title_privacy_names),
                           .user = choice_index(privacy, "user", sr_user_privacy_names)};
    /* hashes and pseudonyms are keyed by a key derived from the master key */
    if ((cc->regions[cc->n_regions - 1].title == SR_TITLE_HASH ||
         cc->regions[cc->n_regions - 1].user == SR_USER_PSEUDONYM) &&
        !cc->master_key_file)
      sr_config_add_error(privacy, false,
                          "region '%s': title: hash and user: pseudonym need master_key_file "
                          "(their key is derived from it)",
                          name->value);
  }
}

/* "HH:MM" into minutes after midnight; -1 if malformed. */
static int clock_minutes(const char *text, size_t len) {
  unsigned h, m;
  char rest;
  char buf[8];
  if (len >= sizeof buf)
    return -1;
  memcpy(buf, text, len);
  buf[len] = 0;
  if (sscanf(buf, "%2u:%2u%c", &h, &m, &rest) != 2 || h > 23 || m > 59)
    return -1;
  return (int)(h * 60 + m);
}

/* Ports as text items into numbers; errors at the item. */
static size_t ports_from(const sr_config_node *list, int *out, int fallback) {
  if (!list) {
    out[0] = fallback;
    return 1;
  }
  size_t n = 0;
  for (size_t i = 0; i < list->count; i++) {
    int64_t v;
    const sr_config_node *item = list->items[i];
    if (item->type != SR_CONFIG_SCALAR || !sr_int_parse(item->value, &v) || v < 1 || v > 65535)
      sr_config_add_error(item, false, "expected a TCP port from 1 to 65535");
    else if (n == SR_MAX_DISCOVERY_PORTS)
      sr_config_add_error(item, false, "at most %d ports", SR_MAX_DISCOVERY_PORTS);
    else
      out[n++] = (int)v;
  }
  return n;
}

/* What the schema cannot check in discovery: each credential set has what
 * its version needs, the window reads as a time span. Fills the credential
 * and port tables; schema errors of an item were reported already. */
static void check_discovery(const sr_config_node *root, sr_discovery_config *d) {
  const sr_config_node *section = sr_config_get(root, "discovery");
  const sr_config_node *list = d->credentials_node;
  for (size_t i = 0; list && i < list->count; i++) {
    const sr_config_node *item = list->items[i];
    if (item->type != SR_CONFIG_MAP || !sr_config_get(item, "name") ||
        !sr_config_get(item, "version"))
      continue;
    if (d->n_credentials == SR_MAX_DISCOVERY_CREDENTIALS) {
      sr_config_add_error(item, false, "at most %d credential sets", SR_MAX_DISCOVERY_CREDENTIALS);
      break;
    }
    sr_discovery_credential c = {.name = text_or(item, "name", ""),
                                 .version = choice_index(item, "version", credential_versions),
                                 .community = text_or(item, "community", NULL),
                                 .user = text_or(item, "user", NULL),
                                 .auth_password = text_or(item, "auth_password", NULL),
                                 .priv_password = text_or(item, "priv_password", NULL)};
    for (size_t j = 0; j < d->n_credentials; j++)
      if (strcmp(d->credentials[j].name, c.name) == 0)
        sr_config_add_error(sr_config_get(item, "name"), false,
                            "credential set '%s' is declared twice", c.name);
    if (c.version < 2 && !c.community)
      sr_config_add_error(item, false, "credential set '%s': version %s needs a community", c.name,
                          credential_versions[c.version]);
    if (c.version == 2) {
      if (!c.user || !*c.user)
        sr_config_add_error(item, false, "credential set '%s': version 3 needs a user", c.name);
      /* USM (RFC 3414) refuses shorter passwords */
      if (!c.auth_password || strlen(c.auth_password) < 8)
        sr_config_add_error(item, false,
                            "credential set '%s': auth_password of at least 8 characters needed",
                            c.name);
      if (!c.priv_password || strlen(c.priv_password) < 8)
        sr_config_add_error(item, false,
                            "credential set '%s': priv_password of at least 8 characters needed",
                            c.name);
    }
    d->credentials[d->n_credentials++] = c;
  }
  if (section && d->targets && d->n_credentials == 0)
    sr_config_add_error(section, true, "discovery needs at least one credential set");
  /* targets and exclusions read as addresses, ranges, blocks or names:
   * here, so that srctl config check reports them with the rest */
  scan_targets t;
  scan_targets_from_config(d->targets, d->exclude, &t);
  scan_targets_free(&t);
  const char *w = d->schedule.window;
  const char *dash = w ? strchr(w, '-') : NULL;
  d->schedule.window_start = dash ? clock_minutes(w, (size_t)(dash - w)) : -1;
  d->schedule.window_end = dash ? clock_minutes(dash + 1, strlen(dash + 1)) : -1;
  if (w && (d->schedule.window_start < 0 || d->schedule.window_end < 0 ||
            d->schedule.window_start == d->schedule.window_end)) {
    const sr_config_node *sched = sr_config_get(section, "schedule");
    sr_config_add_error(sched ? sr_config_get(sched, "window") : section, false,
                        "expected a window HH:MM-HH:MM such as 01:00-05:00, got '%s'", w);
  }
  d->n_ipp_ports = ports_from(d->ipp_ports_node, d->ipp_ports, 631);
  d->n_raw_ports = ports_from(d->raw_ports_node, d->raw_ports, 9100);
}

static const sr_schema *const service_schemas[] = {&cloud_schema, &print_scout_schema,
                                                   &device_scout_schema};

bool sr_service_config_apply(sr_config *doc, sr_service_config *out) {
  memset(out, 0, sizeof *out);
  out->service = -1;
  if (sr_config_has_syntax_error(doc))
    return false; /* a partial tree would only add misleading errors */
  const sr_config_node *root = sr_config_root(doc);
  const sr_config_node *service = sr_config_get(root, "service");
  int kind = -1;
  if (!service) {
    sr_config_add_error(root, false,
                        "missing required key 'service' (one of cloud, print-scout, "
                        "device-scout)");
  } else if (service->type == SR_CONFIG_SCALAR) {
    for (int i = 0; service_names[i]; i++)
      if (strcmp(service->value, service_names[i]) == 0)
        kind = i;
  }
  if (kind < 0) {
    /* Without a known service no section can be checked: say only that. */
    if (service) {
      char got[256];
      sr_config_describe(service, got, sizeof got);
      sr_config_add_error(service, false,
                          "expected one of cloud, print-scout, device-scout, got %s", got);
    }
    return false;
  }
  sr_schema_apply(service_schemas[kind], doc, root, out);
  if (kind == SR_SERVICE_CLOUD)
    check_regions(&out->u.cloud);
  if (kind == SR_SERVICE_DEVICE_SCOUT)
    check_discovery(root, &out->u.device_scout.discovery);
  if (kind == SR_SERVICE_PRINT_SCOUT) {
    const sr_pin_jobs_config *pins = &out->u.print_scout.pin_jobs;
    const sr_config_node *node = sr_config_get(root, "pin_jobs");
    if (node && pins->min_length > pins->max_length)
      sr_config_add_error(node, false, "pin_jobs.min_length (%lld) is more than max_length (%lld)",
                          (long long)pins->min_length, (long long)pins->max_length);
  }
  return sr_config_error_count(doc) == 0;
}
