/*
 * sr-cloud's shared state and the functions its parts call on each other:
 * the REST API (api_*.c), authentication (auth.c), release orchestration
 * (releases.c) and the MQTT side (broker.c). One instance per process; any
 * number of processes may share the database and the broker.
 */
#ifndef CLOUD_CLOUD_H
#define CLOUD_CLOUD_H

#include <ev.h>
#include <jansson.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "http_server.h"
#include "instance.h"
#include "mqtt_channel.h"
#include "route.h"
#include "service_config.h"
#include "web_files.h"
#include "worker_pool.h"

struct sr_aead;
struct cloud_copies;

typedef struct cloud {
  struct ev_loop *loop;
  sr_config *doc;
  sr_service_config cfg;
  cloud_db *db;
  sr_http_server *http;
  sr_mqtt *mqtt;
  bool mqtt_connected;
  char instance_id[40];         /* this process's MQTT client id, "sr-cloud-<random>" */
  unsigned db_reconnections;    /* cloud_db_reconnections when the sweep last looked */
  ev_timer acl_again;           /* tells the broker once more after ACL changes (broker_acl.c) */
  char operator_token_hash[65]; /* "" when no operator token is configured */
  char *enroll_ca_cert, *enroll_ca_key; /* PEM, NULL: no enrollment */
  ev_timer sweep;                       /* release timeouts and job expiry */
  sr_loader *loader;
  sr_instance *idps[8]; /* identity providers with registration flows */
  size_t n_idps;
  struct sr_aead *master;  /* seals secrets at rest; NULL without master_key_file */
  uint8_t privacy_key[32]; /* derived from the master key: title hashes, pseudonyms */
  bool has_privacy_key;
  char mqtt_username[512];     /* the cloud's own subject, as the broker sees it */
  sr_worker_pool *pool;        /* blocking steps (identity providers, storage), off the loop */
  struct cloud_copies *copies; /* copies.c: storage instances and their sweep */
  sr_web_files web;            /* the console's and portal's files (console_web.c) */
  char public_url[256];        /* console.public_url, or https://ADDRESS:PORT of listen */
} cloud;

/* ---- auth.c ---- */

/* Writes `bytes` random bytes as lower-case hex into out (2 * bytes + 1). */
void cloud_random_hex(char *out, size_t bytes);
/* A new secret token (43 characters of base64url), NUL-terminated. */
void cloud_new_token(char out[64]);
/* SHA-256 of `token` in hex: what the database keeps instead of tokens. */
void cloud_token_hash(const char *token, char out[65]);
/* The tenant a tenant-admin bearer token belongs to, or false (and a 401
 * in resp). */
bool cloud_auth_admin(cloud *c, const sr_http_request *req, sr_http_response *resp,
                      char tenant[64]);
/* True for the operator token (creates tenants). */
bool cloud_auth_operator(cloud *c, const sr_http_request *req);
/* The scout row of the verified client certificate, of `kind` ("print" or
 * "site"; NULL: either), or NULL (and a 401/403 in resp). Caller decrefs. */
json_t *cloud_auth_scout(cloud *c, const sr_http_request *req, sr_http_response *resp,
                         const char *kind);

/* ---- secrets.c ---- */

/* Reads the master key (64 hex digits, mode 0600) into c->master. */
int cloud_secrets_load(cloud *c, const char *path, char *err, size_t err_size);
/* Seals `plain` for `purpose` (bound as AAD): "sealed:v1:..." (caller frees),
 * or NULL without a master key or on failure. */
char *cloud_secret_seal(cloud *c, const char *purpose, const char *plain);
/* Opens what cloud_secret_seal made for the same purpose; NULL if it does
 * not authenticate. Free with cloud_secret_free (wipes it). */
char *cloud_secret_open(cloud *c, const char *purpose, const char *sealed);
void cloud_secret_free(char *plain);
bool cloud_secret_is_sealed(const char *text);
/* The purpose a tenant's CA key is sealed for. */
void cloud_tenant_key_purpose(const char *tenant, char out[96]);
/* Checks that every sealed tenant CA key opens with the master key, and
 * seals those an older version stored in clear. */
int cloud_secrets_check(cloud *c, char *err, size_t err_size);

/* ---- broker_acl.c ---- */

/* Learns the cloud's own MQTT username and writes the ACL (if configured). */
int cloud_broker_acl_init(cloud *c, char *err, size_t err_size);
/* Rewrites the broker's ACL from the scouts table and tells the broker to
 * reload it. SR_OK also when no ACL file is configured. */
int cloud_broker_acl_update(cloud *c, char *err, size_t err_size);

/* ---- api.c ---- */

/* The HTTP handler of the whole REST API (sr_http_handler). */
void cloud_api_handle(void *ctx, const sr_http_request *req, sr_http_response *resp);

/* ---- api_shared.c (what every handler uses; never calls the router) ---- */

/* Parses the body as a JSON object whose keys are all in `allowed`
 * (NULL-terminated); else NULL and a 400 in resp. Caller decrefs. */
json_t *cloud_api_body(const sr_http_request *req, sr_http_response *resp,
                       const char *const *allowed);
/* The first key of `object` that is not in `allowed` (NULL-terminated),
 * or NULL when all are (the key is borrowed from object). */
const char *cloud_unknown_field(json_t *object, const char *const *allowed);
/* A 500 for a database failure while doing `what` (the cause is logged
 * where it happened): never a "not found" or "unauthenticated". */
void cloud_api_db_error(sr_http_response *resp, const char *what);
/* RFC 3339 UTC text of a Unix time. */
void cloud_rfc3339(int64_t t, char out[32]);

/* Who may call a route; the router checks it before the handler runs. */
typedef enum cloud_caller {
  CLOUD_ANYONE,
  CLOUD_OPERATOR,      /* the operator's token */
  CLOUD_ADMIN,         /* a tenant administrator's token */
  CLOUD_PRINT_SCOUT,   /* a print scout's certificate */
  CLOUD_SITE,          /* a site scout's certificate */
  CLOUD_PANEL_SESSION, /* a site scout's certificate and a panel session it made */
  CLOUD_SCOUT,         /* any scout's certificate, print or site (the handler decides more) */
  /* CLOUD_ADMIN also admits a browser session (web_sessions.c) of role
   * administrator, and for GET one of role helpdesk or readonly */
  CLOUD_HELPDESK, /* as CLOUD_ADMIN, and a helpdesk session for changes too */
  CLOUD_USER,     /* any browser session of the tenant (the portal's /me calls) */
  CLOUD_TOKEN,    /* the operator's token or a tenant administrator's token */
} cloud_caller;

/* One call as the router hands it to a handler: who is calling, the path's
 * {id}, and the body fields the route accepts. */
typedef struct cloud_call {
  cloud *c;
  const sr_http_request *req;
  sr_http_response *resp;
  const char *const *fields; /* for cloud_api_body; NULL: the route takes no body */
  char id[128];              /* the path's {id} segment, "" without one */
  char tenant[64];           /* CLOUD_ADMIN, HELPDESK, USER: the token's or session's tenant */
  char user[64];             /* a browser session's user id, "" for a token */
  char role[16];             /* administrator, helpdesk, readonly, user; "" for scouts */
  char actor[160];           /* for the audit log: the session's email, or "token" */
  json_t *scout;             /* scouts and sessions: the certificate's scout row */
  json_t *session;           /* CLOUD_PANEL_SESSION: the session row */
} cloud_call;

/* The value of query parameter `name` of `query` ("a=1&b=2"), %-decoded,
 * into out; false if it is absent or does not fit. */
bool cloud_query_param(const char *query, const char *name, char *out, size_t out_size);
/* True if every query parameter of the call is in `known` (NULL-terminated);
 * else false and a 400 naming the first other one. */
bool cloud_query_known(cloud_call *k, const char *const *known);
/* The `limit` query parameter into *limit, `fallback` when absent; false
 * and a 400 unless it is 1 to `max`. */
bool cloud_query_limit(cloud_call *k, int64_t fallback, int64_t max, int64_t *limit);
/* Job lists paged newest first by (submitted_at, id), or by (submitted_at,
 * sequence, id) where jobs held in the same second keep their scout's
 * order (the panel's): the cursor is the last row's key as
 * "<submitted_at>[.<sequence>].<id>", so each page is one indexed range
 * however many jobs there are, and rows added meanwhile never shift a
 * page. cloud_jobs_cursor: the `cursor` query parameter into *after_time,
 * *after_seq (if not NULL: the list has the sequence) and after_id
 * (INT64_MAX and "" when absent, the first page); false and a 400 if it is
 * not one this API gave. cloud_jobs_next: `rows` fetched with LIMIT limit
 * + 1 cut to `limit`; the next page's cursor (new reference), or JSON null
 * on the last page. */
bool cloud_jobs_cursor(cloud_call *k, int64_t *after_time, int64_t *after_seq, char after_id[128]);
json_t *cloud_jobs_next(json_t *rows, int64_t limit, bool with_sequence);

/* ---- audit.c (the tenant's audit log) ---- */

/* Records that the caller of `k` did `action` ("settings.update",
 * "user.add", ...) to `object` (an id, may be NULL) in k->tenant, now.
 * `detail` is stolen (may be NULL) and must never hold a secret. A row
 * that cannot be stored is logged, not answered. */
void cloud_audit(cloud *c, const cloud_call *k, const char *action, const char *object,
                 json_t *detail);
/* cloud_audit when k->resp holds a 2xx answer (else drops `detail`);
 * `object` NULL: the answer's "id", else the path's {id}. For handlers
 * with several ways to succeed or fail: call it last. */
void cloud_audit_succeeded(cloud_call *k, const char *action, const char *object, json_t *detail);
/* The fields `keep` (NULL-terminated) of the call's JSON body, as a new
 * object for cloud_audit's detail (empty without a body). Caller owns it. */
json_t *cloud_audit_fields(const cloud_call *k, const char *const *keep);
#define CLOUD_KEEP(...) ((const char *const[]){__VA_ARGS__, NULL})
/* GET /api/v1/audit?limit&cursor: the log, newest first, paged. */
void cloud_admin_audit(cloud_call *k);

/* ---- stats.c (the console's overview) ---- */

/* GET /api/v1/stats?days=N: per day (UTC) the jobs held, printed, failed
 * and expired, pages printed and saved; now: scouts online and printers in
 * error. */
void cloud_admin_stats(cloud_call *k);
/* DELETE /api/v1/jobs/{id}: an administrator deletes a held job. */
void cloud_admin_job_remove(cloud_call *k);

typedef struct cloud_route {
  sr_route r; /* method and path pattern */
  cloud_caller caller;
  void (*handle)(cloud_call *call);
  const char *const *fields; /* accepted body fields (NULL-terminated), NULL: no body */
} cloud_route;

/* sr_http_options.spooled and .spool_admit: the routes that take files
 * (api.c's spooled_routes), admitted by their caller and their head
 * check before the body is written (ctx: the cloud). */
bool cloud_api_spooled(void *ctx, const char *method, const char *path);
bool cloud_api_spool_admit(void *ctx, const sr_http_request *head, sr_http_response *refusal);

/* The API's routes (also printed by `sr-cloud --routes`). */
const cloud_route *cloud_routes(size_t *n);
/* The routes as JSON, for `--routes`: [{method, path, caller, fields}]. */
json_t *cloud_routes_json(void);

/* The route handlers (api_admin.c, api_scout.c, api_panel.c, api_enroll.c). */
/* submission_keys.c: the sites' public submission keys. The heartbeat's
 * `submission_key` value of site `scout_id`: checked and kept; false when
 * refused (a 400 is in resp). */
bool cloud_site_submission_key(cloud *c, const char *scout_id, json_t *value,
                               sr_http_response *resp);
void cloud_admin_submission_keys(cloud_call *k);
void cloud_me_submission_key(cloud_call *k);
/* printer_lists.c: the sites' signed printer lists, kept verbatim. */
void cloud_site_printer_list_put(cloud_call *k);
void cloud_scout_printer_lists(cloud_call *k);
void cloud_admin_tenant_add(cloud_call *k);
void cloud_admin_users(cloud_call *k);
void cloud_admin_user_add(cloud_call *k);
void cloud_admin_user_remove(cloud_call *k);
/* release_urls.c: the devices with their release pages' URLs, and the
 * site heartbeat that reports a site's (docs/devices.md, "Labels") */
void cloud_admin_devices(cloud_call *k);
void cloud_admin_device(cloud_call *k);
void cloud_site_heartbeat(cloud_call *k);
void cloud_admin_device_add(cloud_call *k);
/* PATCH /api/v1/devices/{id}: what its label shows (name, location). */
void cloud_admin_device_update(cloud_call *k);
void cloud_admin_device_remove(cloud_call *k);
void cloud_admin_scouts(cloud_call *k);
void cloud_admin_scout_add(cloud_call *k);
void cloud_admin_scout_remove(cloud_call *k);
void cloud_admin_jobs(cloud_call *k);
void cloud_admin_delegations(cloud_call *k);
void cloud_admin_delegation_add(cloud_call *k);
void cloud_admin_delegation_remove(cloud_call *k);
void cloud_scout_job_add(cloud_call *k);
void cloud_scout_job_remove(cloud_call *k);
void cloud_scout_passcode(cloud_call *k);
void cloud_scout_register(cloud_call *k);
void cloud_scout_register_complete(cloud_call *k);
void cloud_panel_session_add(cloud_call *k);
void cloud_panel_session_end(cloud_call *k);
void cloud_panel_jobs(cloud_call *k);
void cloud_panel_job(cloud_call *k);
void cloud_panel_job_remove(cloud_call *k);
void cloud_panel_release(cloud_call *k);
void cloud_panel_delegations(cloud_call *k);
void cloud_panel_delegation_add(cloud_call *k);
void cloud_panel_delegation_remove(cloud_call *k);
void cloud_api_enroll(cloud_call *k);
/* The panel session of the bearer token, made by `site`; NULL and a 401
 * (500 if the database failed). Caller decrefs. */
json_t *cloud_panel_session(cloud *c, const json_t *site, const sr_http_request *req,
                            sr_http_response *resp);

/* ---- web_sessions.c (the console's and portal's sign-in sessions) ---- */

#define CLOUD_SESSION_COOKIE "__Host-sr_session"
/* True if `role` is one of administrator, helpdesk, readonly, user. */
bool cloud_web_role_ok(const char *role);
/* Signs `user` (a users row, borrowed) of `tenant` in with `role`: a new
 * session, its cookie added to resp (Set-Cookie). False and a 500 in
 * resp if it could not be stored. */
bool cloud_web_session_open(cloud *c, const char *tenant, const json_t *user, const char *role,
                            sr_http_response *resp);
typedef enum cloud_web_admit {
  CLOUD_WEB_NONE,     /* the request carries no session cookie */
  CLOUD_WEB_SESSION,  /* a live session: k's tenant, user, role, actor are set */
  CLOUD_WEB_ANSWERED, /* refused (401 session over, 403 csrf) or 500: resp has it */
} cloud_web_admit;
/* The browser session of k's request; for a method other than GET, only
 * with the session's CSRF token and the cloud's own Origin. */
cloud_web_admit cloud_web_session_admit(cloud_call *k);
/* True if the request's Origin header is the cloud's public origin. */
bool cloud_web_origin_ok(const cloud *c, const sr_http_request *req);
/* GET and DELETE /api/v1/session (CLOUD_USER). */
void cloud_web_session_get(cloud_call *k);
void cloud_web_session_end(cloud_call *k);
/* Ends every browser session of a user (removed); false if the database
 * failed. */
bool cloud_web_sessions_forget_user(cloud *c, const char *tenant, const char *user_id);
/* Deletes sessions, sign-ins and links past their time. On the loop. */
void cloud_web_sessions_sweep(cloud *c);

/* ---- console_links.c (one-time sign-in links) ---- */

/* POST /api/v1/sign-in-links (CLOUD_TOKEN) and POST
 * /api/v1/sign-in-links/redeem (CLOUD_ANYONE; sets the session cookie). */
void cloud_sign_in_link_add(cloud_call *k);
void cloud_sign_in_link_redeem(cloud_call *k);

/* ---- console_oidc.c (signing in to the console with OpenID Connect) ---- */

/* GET /console/login and /portal/login: starts a sign-in (302 to the
 * provider); GET /console/oidc/callback: finishes it (302 to `next` with
 * the session cookie), answered later. */
void cloud_console_login(cloud *c, const sr_http_request *req, sr_http_response *resp);
void cloud_console_callback(cloud *c, const sr_http_request *req, sr_http_response *resp);
/* The console role the tenant's console_roles gives `groups` ("user" for
 * none). */
const char *cloud_console_role(cloud *c, const char *tenant, char *const *groups, size_t n);

/* ---- console_web.c (the console's and portal's pages) ---- */

/* Finds the web files (console.web_root) and the public origin. */
bool cloud_console_init(cloud *c, char *err, size_t err_size);
/* True for a path the console serves (everything outside /api/). */
bool cloud_console_path(const char *path);
/* Answers a page, an asset, or a sign-in step (/console/login,
 * /console/oidc/callback, /portal/login). */
void cloud_console_handle(cloud *c, const sr_http_request *req, sr_http_response *resp);

/* ---- api_me.c (the user portal's own calls; docs/console.md "User portal") ---- */

/* GET /api/v1/me/jobs?limit&cursor: the caller's jobs, newest first, paged. */
void cloud_me_jobs(cloud_call *k);
/* DELETE /api/v1/me/jobs/{id}: the caller's own held job; 404 for any other. */
void cloud_me_job_remove(cloud_call *k);
/* GET, POST /api/v1/me/delegations, DELETE /api/v1/me/delegations/{id}:
 * the delegations the caller gave (and received, listed only). */
void cloud_me_delegations(cloud_call *k);
void cloud_me_delegation_add(cloud_call *k);
void cloud_me_delegation_remove(cloud_call *k);
/* GET /api/v1/me/printers: the tenant's devices with their release pages. */
void cloud_me_printers(cloud_call *k);

/* ---- me_store.c (the portal's queries: ownership is in the SQL) ---- */

#define CLOUD_ME_PAGE_MAX 200
/* Up to `limit` (1..CLOUD_ME_PAGE_MAX) jobs owned by `user` of `tenant`,
 * newest first (submitted_at, then id), after `cursor` (NULL or "": the
 * first page). Deleted jobs are left out. Writes the cursor of the next
 * page to next ("" when this was the last). Returns the rows (caller
 * decrefs), or NULL: *bad_cursor says whether the cursor was malformed,
 * else the database failed. */
json_t *cloud_me_jobs_page(cloud_db *db, const char *tenant, const char *user, int64_t limit,
                           const char *cursor, char next[160], bool *bad_cursor);
/* Job `id` of `tenant` if `user` owns it, else NULL (also for another
 * user's or tenant's: the caller answers 404 either way; check
 * cloud_db_failed for a failure). Caller decrefs. */
json_t *cloud_me_job(cloud_db *db, const char *tenant, const char *user, const char *id);
/* (release_urls.c) The tenant's devices as the portal shows them: id,
 * name, location, release_url (null when no site reported its release
 * page); never their addresses or SNMP settings. NULL if the database
 * failed. Caller decrefs. */
json_t *cloud_me_printer_rows(cloud_db *db, const char *tenant);

/* ---- readers.c (network card readers) ---- */

/* GET, POST /api/v1/readers and DELETE /api/v1/readers/{id} (a tenant
 * administrator): a reader bound to a device, its one-time enrollment
 * token; removal revokes its credential at once. */
void cloud_admin_readers(cloud_call *k);
void cloud_admin_reader_add(cloud_call *k);
void cloud_admin_reader_remove(cloud_call *k);
/* POST /api/v1/site/readers/enroll (a site service): the token for the
 * reader's credential, shown once. */
void cloud_site_reader_enroll(cloud_call *k);
/* POST /api/v1/site/readers/swipe (a site service, the reader's credential
 * as bearer): releases the card owner's held jobs at the reader's device. */
void cloud_site_reader_swipe(cloud_call *k);
/* The reader (or panel app: a kiosk enrolls as a reader) whose credential
 * is the bearer token, enrolled through this site service (k->scout) of its
 * tenant; NULL and a 401 reader_unknown (500 if the database failed).
 * Caller decrefs. */
json_t *cloud_site_reader(cloud_call *k);

/* ---- kiosk.c (the release page's device info, the panel app's code) ---- */

/* GET /api/v1/site/panel/devices/{id} (a site service): what the release
 * page shows of a device, its name and location, and the tenant's
 * release_codes; nothing else. */
void cloud_site_panel_device(cloud_call *k);
/* GET /api/v1/site/panel/kiosk (a site service, the panel app's
 * credential as bearer): the kiosk's device, so that the site mints its
 * rotating code; 409 rotating_disabled when the tenant uses static labels
 * only. */
void cloud_site_panel_kiosk(cloud_call *k);
/* The tenant's release_codes setting ("static", "rotating" or "both"),
 * copied to out (16 bytes); false if it could not be read. */
bool cloud_release_codes(cloud *c, const char *tenant, char out[16]);

/* ---- api_register.c ---- */

/* POST /api/v1/scout/register[/complete] from print scout `scout`. */
void cloud_api_register(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp,
                        const char *rest);
/* Drops registrations that expired (all of them when `all`), on the loop;
 * the identity provider is told on c->pool (c->pool NULL: the loop has
 * stopped, so here). */
void cloud_registrations_sweep(cloud *c, bool all);

/* ---- panel_login.c ---- */

/* The user with `email` in `tenant`, added (with `name`, may be NULL, and
 * marked as a directory user) if the directory knows them and the cloud
 * does not yet. NULL if `email` is not an address. Caller decrefs. */
json_t *cloud_directory_user(cloud *c, const char *tenant, const char *email, const char *name);

/* Seconds `key` of `tenant` is still locked out for after failed attempts
 * (0: not); a failed read shows in cloud_db_errors(). */
int64_t cloud_lockout_left(cloud *c, const char *tenant, const char *key);

/* Counts a failed attempt against `key`, locking it out (lockout.duration)
 * once it has `attempts` of them. False if it could not be counted: the
 * caller must not answer as if it had been. */
bool cloud_lockout_count(cloud *c, const char *tenant, const char *key, int64_t attempts);

/* Answers 429 locked_out with Retry-After: `wait` seconds. */
void cloud_reply_locked_out(sr_http_response *resp, int64_t wait);

/* True for 64 lower-case hex digits: a keyed hash made at the site. */
bool cloud_is_site_hash(const char *s);

/* The lockout gate every login passes first: false, answered (429
 * locked_out, or 500 when the lockouts cannot be read), when `identity`
 * ("card:HASH", "email:ADDRESS", ...) or device `device` of `tenant` is
 * locked out. `method` names the attempt in the log. */
bool cloud_login_admit(cloud *c, const char *tenant, const char *identity, const char *device,
                       const char *method, sr_http_response *resp);
/* Counts a failed login against `identity` (lockout.attempts) and against
 * `device` (4 x lockout.attempts). False, answered 500, if it could not
 * be counted. */
bool cloud_login_failed(cloud *c, const char *tenant, const char *identity, const char *device,
                        const char *method, sr_http_response *resp);

typedef enum cloud_card_verdict {
  CLOUD_CARD_KNOWN,    /* *user is the card's user (caller decrefs) */
  CLOUD_CARD_UNKNOWN,  /* nobody's card; the failure is counted */
  CLOUD_CARD_ANSWERED, /* locked out or the database failed: resp has the answer */
} cloud_card_verdict;
/* A card (its site hash) presented at `device` of `tenant`, with the
 * lockouts of a card login at a panel (readers.c). */
cloud_card_verdict cloud_card_user(cloud *c, const char *tenant, const char *device,
                                   const char *card_hash, json_t **user, sr_http_response *resp);

/* POST .../sessions from a site (its scout row): checks the credential,
 * counts failures, answers 201 with a session or the error. */
void cloud_panel_login(cloud *c, const json_t *site, const sr_http_request *req,
                       sr_http_response *resp, const char *const *fields);
/* After a login that proved `user` (borrowed) at `device` of site `site`'s
 * tenant by `method` (for the log): binds the card of `bind_token` if
 * `may_bind` (the answer has card_bound whenever a token was sent; NULL:
 * none) and answers 201 with a new panel session, or 500. */
void cloud_panel_session_open(cloud *c, const json_t *site, const char *device, const json_t *user,
                              const char *method, const char *bind_token, bool may_bind,
                              sr_http_response *resp);

/* ---- panel_oidc.c (logins by OpenID Connect authorization code + PKCE) ---- */

/* True when a login body (checked by cloud_api_body) names an OpenID
 * Connect login: any of oidc_code, code_verifier, redirect_uri, nonce. */
bool cloud_panel_oidc_requested(const json_t *body);
/* Such a login from `site`: checked, the code redeemed with the identity
 * providers on c->pool, and answered later through `req` (201 with a
 * session, 400, 401 bad_credentials, 404 unknown_device, 502
 * idp_unreachable); `resp` is filled only when it is answered at once. The
 * caller keeps `body`. */
void cloud_panel_oidc_login(cloud *c, const json_t *site, const sr_http_request *req,
                            sr_http_response *resp, json_t *body);
/* GET /api/v1/site/panel/oidc: what the release page needs to start the
 * authorization (200), or 404 oidc_not_configured, 502 idp_unreachable. */
void cloud_site_panel_oidc(cloud_call *k);
/* Whether browser logins by OpenID Connect are offered (for a device's
 * panel info): an identity provider can do them and has not said it is
 * not set up for them. Never blocks. */
bool cloud_panel_oidc_offered(const cloud *c);
/* The provider's authorization endpoint and scope as last learnt (NULL
 * before the first answer; a stale answer also starts a new look-up):
 * for the console's sign-in (console_oidc.c). Points into static state
 * of the loop's thread: copy before the loop runs again. */
bool cloud_oidc_authorization(cloud *c, const char **endpoint, const char **scope);
/* Asks the identity providers once, off the loop, so that
 * cloud_panel_oidc_offered knows before the first page asks. */
void cloud_panel_oidc_probe(cloud *c);

/* ---- releases.c ---- */

/* Starts releasing job `job_id` of `tenant` for `user_id` at `device_id`
 * with optional settings (borrowed), from a panel of site service `site`
 * (its scout id; NULL: none), to the first deliverer of the tenant's
 * document_handling that is available (deliverers.c). Returns {"job","state"[,"reason"]}
 * (caller decrefs); idempotent while a release is under way. */
json_t *cloud_release_start(cloud *c, const char *tenant, const char *job_id, const char *user_id,
                            const char *device_id, const char *site, json_t *settings);
/* Handles a scout event from MQTT (topic and payload untrusted), within
 * the scout's event rate (event_limit.c). */
void cloud_release_event(cloud *c, const char *tenant, const char *scout, const char *payload,
                         size_t len);
/* Fails releases whose scout did not answer in time, expires held jobs
 * (expiry.c), forgets ended ones past their retention (retention.c). Run
 * by one instance at a time (main.c, cloud_db_sweep_begin). */
void cloud_release_sweep(cloud *c);
/* Re-sends the commands of releases still under way (after a restart the
 * scouts answer them again; they never print twice). */
void cloud_release_resume(cloud *c);
/* Deletes a held job everywhere: marks it `state` (deleted, expired) and
 * tells its scout (or flags it cleanup_pending). Expiry goes through here
 * too, so whatever a deletion removes is removed on expiry. False if the
 * job was not held. */
bool cloud_job_delete(cloud *c, const char *tenant, const char *job_id, const char *state);

/* True if scout `scout` holds a release of job `job_id` under way now (a
 * deliverer may fetch the job's cloud copy). */
bool cloud_release_holder(cloud *c, const char *tenant, const char *job_id, const char *scout);

/* A scout came online: asks it again about the releases it holds (its
 * answers may be lost) and sends it the deletions it missed. */
void cloud_scout_online(cloud *c, const char *tenant, const char *scout);

/* ---- expiry.c ---- */

/* When a job of `tenant` submitted at `submitted_at` (the workstation's
 * clock) and announced now expires, and when its owner is warned (0: not),
 * from the tenant's hold_time and expiry_warning. */
void cloud_job_expiry(cloud *c, const char *tenant, int64_t submitted_at, int64_t *expires_at,
                      int64_t *warn_at);
/* True if job row `job` (with expires_at) has expired at `now`. */
bool cloud_job_expired(const json_t *job, int64_t now);
/* Expires the held jobs whose time came (cloud_job_delete "expired") and
 * warns the owners whose warning time came, each job once. On the loop. */
void cloud_expiry_sweep(cloud *c);

/* ---- retention.c ---- */

/* Deletes ended jobs (and their releases and notifications) older than
 * their tenant's retention; does its work every few seconds. On the loop. */
void cloud_retention_sweep(cloud *c);

/* ---- notifications.c ---- */

/* Mails notice `id` of `tenant` (recorded in notifications) to `to`: job
 * `title` expires at `expires_at`. On c->pool; marks the row mailed once
 * sent. Without a relay configured it says so in the log once and mails
 * nothing. Strings are copied. */
void cloud_notification_mail(cloud *c, const char *tenant, const char *id, const char *to,
                             const char *title, int64_t expires_at);
/* GET /api/v1/notifications (a tenant administrator). */
void cloud_admin_notifications(cloud_call *k);

/* ---- copies.c (cloud copies of job files) ---- */

/* Creates the storage instances of the `storage:` list (c->copies). */
int cloud_copies_init(cloud *c, char *err, size_t err_size);
/* Starts the sweep that deletes copies of ended jobs left in storage. */
void cloud_copies_start(cloud *c);
/* Where spooled copies wait (the database's directory). */
const char *cloud_copies_spool_dir(cloud *c);
/* The head of PUT /api/v1/scout/jobs/{id}/copy: its caller was admitted
 * (a print scout's certificate); the server checks copy_max_size. */
bool cloud_copy_head(cloud_call *k);
/* PUT, GET, DELETE /api/v1/scout/jobs/{id}/copy. */
void cloud_scout_copy_put(cloud_call *k);
void cloud_scout_copy_get(cloud_call *k);
void cloud_scout_copy_remove(cloud_call *k);
/* The job ended (printed, deleted, expired): deletes its copy, if any, on
 * the pool; what fails is deleted again by the sweep. On the loop. */
void cloud_copy_discard(cloud *c, const char *tenant, const char *job_id);
/* Destroys the storage instances; after the pool is freed. */
void cloud_copies_free(cloud *c);
/* What cloud_copy_store reports on the loop: SR_OK and where the copy
 * is (store instance name, key, region), or the failure and why. */
typedef void (*cloud_copy_stored)(void *ctx, int status, const char *store, const char *key,
                                  const char *region, const char *err);
/* Stores the job file `fd` (taken: closed in every case) of `size` bytes
 * as the copy of job `job_id` of `tenant` in region `region` (NULL: the
 * first), where and as any job's copy is stored, on the pool; `done` runs
 * on the loop with ctx. False (done not called) if it could not start:
 * why in `why`. Nothing is recorded in the database. */
bool cloud_copy_store(cloud *c, const char *tenant, const char *job_id, const char *region, int fd,
                      size_t size, cloud_copy_stored done, void *ctx, char *why, size_t why_size);
/* The storage instance and key of `tenant`'s object `name` (a job id, or
 * a job id and a suffix) in region `region` ("" or unknown: the first):
 * where cloud_copy_store puts job `name`'s copy. NULL (and `why`) if the
 * cloud has no storage. */
sr_instance *cloud_copy_place(cloud *c, const char *tenant, const char *name, const char *region,
                              char *key, size_t key_size, char *why, size_t why_size);
/* Deletes the copy under `key` in storage `store` of job `job_id` (one
 * whose row was never written), on the pool; what fails is logged. */
void cloud_copy_forget_stored(cloud *c, const char *tenant, const char *job_id, const char *store,
                              const char *key);

/* ---- uploads.c (web submissions; docs/storage.md, "Web submissions") ---- */

/* Takes the spooled job file of the current call as a new upload of user
 * `user_id` (a user of k's tenant, checked by the caller): checks its
 * header (a job file, no key needed) and the tenant's limits (413
 * too_large, 429 daily_limit), stores it as the job's cloud copy, records
 * the job `checking` and asks a site service to check it; answers 201
 * {"id","state"} later (deferred), or the error now. */
void cloud_upload_intake(cloud_call *k, const char *user_id);
/* The same limits from the request's head alone (the announced length),
 * before the body is written; false with the answer in k->resp. */
bool cloud_upload_head(cloud_call *k, const char *user_id);
/* {max_size, daily_bytes, daily_left, resets_at} of user `user_id`. */
void cloud_upload_limits(cloud_call *k, const char *user_id);
/* POST /api/v1/users/{id}/uploads and GET .../upload-limits (a tenant
 * administrator, on a user's behalf), and the first's head. */
void cloud_admin_user_upload(cloud_call *k);
bool cloud_admin_user_upload_head(cloud_call *k);
void cloud_admin_user_upload_limits(cloud_call *k);
/* POST /api/v1/me/uploads, its head check, and GET /api/v1/me/upload-limits:
 * the same for the portal's signed-in user (CLOUD_USER). */
void cloud_me_upload(cloud_call *k);
bool cloud_me_upload_head(cloud_call *k);
void cloud_me_upload_limits(cloud_call *k);
/* What an upload in parts (part_uploads.c) shares with the one-body
 * intake. cloud_upload_reserve: the limits for a job file of `size` bytes
 * of user `user_id`, then those bytes taken from today's allowance (`day`
 * is today); false with the answer in k->resp. cloud_upload_unreserve
 * gives them back. cloud_upload_file_id: the file id (hex) of job file
 * `fd` of `len` bytes, false (a 400 in resp) unless it is one of version
 * 2. cloud_upload_take: stores job file `fd` (taken) as job `job_id`'s
 * copy, records the job `checking`, asks a site to check it and answers
 * exchange `x` (201, or the error). On failure the bytes are given back,
 * or, for the join of an upload in parts (`from_parts`), the upload is
 * reopened, its bytes still reserved, to be completed again; recorded, it
 * is done (cloud_part_upload_settled). */
bool cloud_upload_reserve(cloud_call *k, const char *user_id, int64_t size, int64_t *day);
void cloud_upload_unreserve(cloud *c, const char *tenant, const char *user_id, int64_t day,
                            int64_t bytes);
bool cloud_upload_file_id(int fd, size_t len, char *hex, sr_http_response *resp);
void cloud_upload_take(cloud *c, sr_http_exchange *x, const char *tenant, const char *user_id,
                       const char *job_id, const char *region, int fd, int64_t size, int64_t day,
                       const char *file_id, bool from_parts);
/* POST /api/v1/site/uploads/{id}/checked: the site's verdict. */
void cloud_site_upload_checked(cloud_call *k);
/* True if site scout `scout` was asked to check upload `job` (its row)
 * and it is still being checked: it may read the job's copy. */
bool cloud_upload_checker(const json_t *job, const char *scout);
/* Asks again the checks no site answered, and fails uploads no site
 * checked within the tenant's hold_time. On the loop (the sweep). */
void cloud_uploads_sweep(cloud *c);

/* ---- part_uploads.c (a web upload in parts; docs/storage.md) ---- */

/* POST /api/v1/me/part-uploads {size}; PUT .../{id}?part=N (spooled, with
 * its head check); POST .../{id}/complete; DELETE .../{id}. */
void cloud_me_part_upload_start(cloud_call *k);
void cloud_me_part_upload_put(cloud_call *k);
bool cloud_me_part_upload_put_head(cloud_call *k);
void cloud_me_part_upload_complete(cloud_call *k);
void cloud_me_part_upload_remove(cloud_call *k);
/* The join of upload `id` of `tenant` ended in intake (uploads.c): `taken`,
 * the job is recorded and the upload done; else it is open again. */
void cloud_part_upload_settled(cloud *c, const char *tenant, const char *id, bool taken);
/* Drops uploads in parts left unfinished, deletes the parts of finished
 * and dropped ones. On the loop (the sweep). */
void cloud_part_uploads_sweep(cloud *c);

/* ---- deliverers.c ---- */

/* The scout of deliverer `kind` (origin, site, crowdsource) that could take
 * a release of `job` (its row) from a panel of site service `site` (may be
 * NULL) now: online, and for site and crowdsource with the job's cloud copy
 * to print from. Its id in `scout`; else false and why not in `why` (a
 * sentence for the user at the printer). */
bool cloud_deliverer_pick(cloud *c, const char *tenant, const char *kind, json_t *job,
                          const char *site, char scout[64], char *why, size_t why_size);
/* What a user calls deliverer `kind`: "the workstation holding this job". */
const char *cloud_deliverer_title(const char *kind);

/* ---- settings.c ---- */

/* The names of the tenant settings (the PATCH route's body fields). */
extern const char *const cloud_setting_names[];
/* Setting `name` of `tenant`: what its administrator set, else the
 * default (new reference; NULL only for an unknown name, a bug). A failed
 * read shows in cloud_db_failed() and gives the default. */
json_t *cloud_setting(cloud *c, const char *tenant, const char *name);
/* A duration setting in seconds. */
int64_t cloud_setting_seconds(cloud *c, const char *tenant, const char *name);
/* A text setting copied to out; false if it is not text or does not fit. */
bool cloud_setting_text(cloud *c, const char *tenant, const char *name, char *out, size_t out_size);
/* GET and PATCH /api/v1/settings (a tenant administrator). */
void cloud_admin_settings(cloud_call *k);
void cloud_admin_settings_set(cloud_call *k);

/* ---- regions.c (docs/storage.md, "Regions and privacy") ---- */

/* The declared region `name`, or NULL. Points into c->cfg. */
const sr_region_config *cloud_region_named(const cloud *c, const char *name);
/* True if `name` is a declared region; else false and a message listing
 * them in `why`. */
bool cloud_region_valid(const cloud *c, const char *name, char *why, size_t why_size);
/* The region a job of `user_id` (may be NULL) in `tenant` goes to, seen
 * from site scout `site_id` (NULL: no site applies): the user's region,
 * else the site's, else the tenant's `region` setting, else the first
 * declared. Its name, storage (an instance name of the cloud's storage:
 * list) and key prefix are in the result, which points into c->cfg (lives
 * as long as c). *source (may be NULL) says which applied: "user", "site",
 * "tenant", "first". NULL when the cloud has no regions (no storage), or
 * else when the database failed. */
const sr_region_config *cloud_region_resolve(cloud *c, const char *tenant, const char *user_id,
                                             const char *site_id, const char **source);
/* Region `region`'s privacy settings; keep/keep (and false) for an
 * undeclared one. */
bool cloud_region_privacy(const cloud *c, const char *region, sr_title_privacy *title,
                          sr_user_privacy *user);
/* What the cloud stores of `title` for a job in `region`: the title, a
 * keyed hash "hmac-sha256:HEX" (per tenant, from the master key), or "".
 * *kept is false unless the title itself is stored. False if it does not
 * fit or the hash cannot be made (no master key). */
bool cloud_region_title(const cloud *c, const char *tenant, const char *region, const char *title,
                        char *out, size_t out_size, bool *kept);
#define CLOUD_PSEUDONYM_SIZE 27 /* "p-" + 24 hex digits + NUL */
/* The pseudonym of `user_id` in reporting rows: "p-" and 24 hex digits of
 * a keyed hash (stable, so reports still count per person, and not
 * reversible without the master key). False without a master key. */
bool cloud_user_pseudonym(const cloud *c, const char *tenant, const char *user_id,
                          char out[CLOUD_PSEUDONYM_SIZE]);
/* Ended jobs of `user: pseudonym` regions: their owner and their
 * releases' users become pseudonyms (a bounded batch; on the sweep timer). */
void cloud_regions_sweep(cloud *c);
/* A reporting row (the admin jobs listing) with columns region, owner_id,
 * owner_email (NULL once pseudonymised) and title_kept: sets "owner" to
 * the email, or to the pseudonym where the region says so, and makes
 * title_kept a boolean. */
void cloud_job_report_owner(const cloud *c, const char *tenant, json_t *row);
/* The title to show for a job row with `title` and `title_kept` columns:
 * "(title not kept)" when the cloud kept a hash or nothing. */
const char *cloud_job_title_shown(const json_t *job);

/* ---- api_regions.c ---- */

/* Body field "region" (absent, null, or a declared region): *given if it
 * is there, *name the region or NULL (borrowed from body). False and a
 * 400 in resp if it names no region. */
bool cloud_region_field(cloud *c, json_t *body, sr_http_response *resp, bool *given,
                        const char **name);
/* Body field "site" (absent, null, or a site scout of `tenant`), likewise;
 * false and a 400 (500 if the database failed) in resp. */
bool cloud_site_field(cloud *c, const char *tenant, json_t *body, sr_http_response *resp,
                      bool *given, const char **site);
void cloud_admin_user_update(cloud_call *k);
void cloud_admin_scout_update(cloud_call *k);
void cloud_admin_regions(cloud_call *k);

/* ---- delegations.c ---- */

/* SELECT of the jobs a user may see and release: their own and those of
 * users who delegated to them now. Binds ?1 tenant, ?2 user id, ?3 now;
 * each row has the job's columns and owner_name. Append conditions. */
extern const char *const cloud_visible_jobs_sql;
/* POST body {owner?, delegate, until?}: `owner_id` set (a user at a panel)
 * or NULL (an administrator names the owner by email). */
void cloud_delegation_add(cloud *c, const char *tenant, const char *owner_id, json_t *body,
                          sr_http_response *resp);
/* The tenant's current delegations, or only those `user_id` is part of. */
void cloud_delegation_list(cloud *c, const char *tenant, const char *user_id,
                           sr_http_response *resp);
/* Revokes delegation `id` (only the owner's own when owner_id is set). */
void cloud_delegation_remove(cloud *c, const char *tenant, const char *owner_id, const char *id,
                             sr_http_response *resp);

/* ---- discovered.c (printer discovery; docs/devices.md) ---- */

#define CLOUD_DISCOVERY_MAX_DEVICES 200 /* devices in one upload (a larger scan: parts) */
/* PUT /api/v1/site/discovery: a site's scan result (or a part of it). */
void cloud_site_discovery_put(cloud_call *k);
/* GET /api/v1/discovered[?state=new|known|vanished] (a tenant administrator). */
void cloud_admin_discovered(cloud_call *k);
/* POST /api/v1/discovered/{id}/accept: a discovered printer becomes a device. */
void cloud_admin_discovered_accept(cloud_call *k);
/* GET /api/v1/site/devices: the devices a site serves (with their serials). */
void cloud_site_devices(cloud_call *k);

/* ---- dates.c ---- */

/* A time field `v` (Unix time or RFC 3339 UTC text) into *out, accepted
 * only from `earliest` to `latest`; else false and a 400 naming `name` and
 * the range in resp. */
bool cloud_time_field(json_t *v, const char *name, int64_t earliest, int64_t latest, int64_t *out,
                      sr_http_response *resp);

/* ---- fields.c ---- */

#define CLOUD_NAME_MAX 128     /* bytes of a display name */
#define CLOUD_LOCATION_MAX 200 /* bytes of a device's location */
/* A display name: 1 to CLOUD_NAME_MAX bytes, no control characters. */
bool cloud_name_ok(const char *s);
/* An id: 1 to `max` of a-z, 0-9 and '-', not starting with '-'. */
bool cloud_slug_ok(const char *s, size_t max);
/* A JSON string of at most `max` bytes without control characters. */
bool cloud_text_field_ok(const json_t *v, size_t max);
/* A JSON integer from 0 to `max`. */
bool cloud_count_field_ok(const json_t *v, int64_t max);
/* A body's optional "location" (a device's): absent, null or 1 to
 * CLOUD_LOCATION_MAX bytes of text; else false and a 400 in resp. */
bool cloud_location_field(json_t *body, sr_http_response *resp);

/* ---- event_limit.c ---- */

typedef enum cloud_event_kind {
  CLOUD_EVENT_DROPPED,      /* over the scout's rate */
  CLOUD_EVENT_MALFORMED,    /* not a release event */
  CLOUD_EVENT_UNKNOWN,      /* about a release that is not the scout's */
  CLOUD_EVENT_OUTCOME_OVER, /* an outcome let past the rate (open releases) */
  CLOUD_EVENT_STALE,        /* about a release another deliverer holds now (failover) */
  CLOUD_EVENT_KINDS
} cloud_event_kind;
/* True if scout `scout` may have one more event handled now; false (and
 * counted) when it is over its rate. */
bool cloud_events_admit(const char *scout);
/* The same for an outcome event (printed, failed) of `scout` in `tenant`:
 * over the rate it is still let through, up to as many a second as the
 * scout has open releases in the database (reads c->db). */
bool cloud_events_admit_outcome(cloud *c, const char *tenant, const char *scout);
/* True at most once every few seconds per scout: when its releases may be
 * asked again because it came back (a scout that flaps its presence costs
 * one round of commands, not one per message). */
bool cloud_events_reask_due(const char *scout);
/* Counts a bad event of `scout`, reported in its next summary line. */
void cloud_events_note(const char *scout, cloud_event_kind kind);
/* Logs one line per scout with dropped or bad events, at most every few
 * seconds (`final`: now, and forget everything). */
void cloud_events_report(bool final);

/* ---- broker.c ---- */

/* Connects to the broker (TLS, client certificate); subscribes to every
 * scout's events (shared subscription) and presence, and to the other
 * cloud instances' leaving (then asks the scouts again). */
int cloud_broker_start(cloud *c, char *err, size_t err_size);
/* Says this instance stops (the others ask the scouts again), disconnects
 * and frees the client. On the loop's thread, once the loop has ended. */
void cloud_broker_stop(cloud *c);
/* Publishes a command (JSON, borrowed) to a scout; false if not sent. */
bool cloud_broker_command(cloud *c, const char *tenant, const char *scout, json_t *command);

/* ---- health.c ---- */

/* PUT /api/v1/scout/health: a print scout's or site's health report. */
void cloud_scout_health(cloud_call *k);

/* ---- monitoring.c ---- */

/* POST /api/v1/site/devices/{id}/observations: the sections that changed. */
void cloud_site_observations(cloud_call *k);
/* GET /api/v1/devices/{id}/monitor and /history (admin). */
void cloud_admin_device_monitor(cloud_call *k);
void cloud_admin_device_history(cloud_call *k);
/* Deletes what monitoring kept about a device (it was removed); a failure
 * shows in cloud_db_errors() (the router then answers 500). */
void cloud_monitoring_forget(cloud *c, const char *tenant, const char *device);
/* Deletes history rows past their retention (a batch a minute). On the loop. */
void cloud_monitoring_sweep(cloud *c);

#endif
