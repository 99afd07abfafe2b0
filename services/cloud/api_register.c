/*
 * Registering the user of a print scout (`sr-print-scout register`): the
 * identity providers with a registration flow (email: a mailed code) are
 * asked in order; the first that takes the hint starts it. When the user
 * completes it, the proven identity becomes the scout's user, with the PIN
 * the user chose (hashed at the workstation with the site secret).
 *
 * The providers' steps block (SMTP, the OpenID provider: up to 20 s), so
 * they run on the cloud's worker pool and the request is answered when the
 * step is done; the REST API keeps serving meanwhile. A registration whose
 * step is under way is `busy`: only that step's worker touches its `reg`,
 * and neither a second step nor the sweep may take it.
 *
 * Between steps, a registration whose provider can save its state as text
 * (ABI 1.5) lives in the database (`registrations`, the text sealed with
 * the master key), so that any cloud instance takes its next step: the
 * step claims the row (busy_until), restores the state on the pool, and
 * saves it again or deletes the row. Other registrations (an older
 * provider, no master key) live in this process for their few minutes, and
 * a scout finishes them with the instance that began them; one that ends
 * unfinished (expired, failed) is cancelled on the pool too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "db.h"
#include "idhash.h"
#include "idp_chain.h"
#include "log.h"

#define MAX_REGISTRATIONS 256
#define STEP_CLAIM_S 60 /* a step's claim on a stored registration: longer than any step */
/* Registrations one scout may have open at once: each mailed code allows
 * a few tries, so without a bound a scout could start registrations (and
 * mail codes) as fast as it likes and guess across them all */
#define MAX_OPEN_PER_SCOUT 3

typedef struct registration {
  char id[40];
  char scout[64], tenant[64];
  sr_instance *idp;
  sr_registration reg;
  time_t expires;
  bool busy;  /* a step runs on the pool: the loop leaves it alone */
  bool in_db; /* stored between steps: in no slot, freed after its step */
} registration;

static registration *registrations[MAX_REGISTRATIONS];

/* One step (begin or complete) handed to the pool. Made and freed on the
 * loop's thread; the worker writes only `status`, `why`, `who` and the
 * registration's idp/reg. */
typedef struct step {
  cloud *c;
  sr_http_exchange *x; /* answered in the step's done */
  size_t slot;
  registration *r;
  bool by_email; /* begin: the hint is `email` */
  char email[SR_ID_MAX];
  char *code;    /* complete: what the user typed, or NULL to poll */
  char pin[65];  /* complete: "" when none */
  int status;    /* the provider's answer */
  char why[512]; /* and its reason, copied on the worker's thread */
  sr_identity who;
  bool keep;   /* begin: save the registration as text if the provider can */
  char *saved; /* the provider's text: to restore (a stored registration's
                * step), then what it saved after the step; NULL: none */
} step;

/* The registration's memory (the provider has forgotten it, or never
 * kept any state). */
static void registration_free(registration *r) {
  free(r->reg.verification_uri);
  free(r->reg.verification_uri_complete);
  free(r->reg.user_code);
  free(r->reg.message);
  free(r);
}

static bool needs_cancel(const registration *r) {
  return r->reg.state && sr_instance_ops_of(r->idp)->idp.registration_cancel;
}

/* On a worker thread (or after the loop has stopped): the provider's
 * cancel may block, or wait for another call of a serialised instance. */
static void cancel_work(void *arg) {
  registration *r = arg;
  sr_instance_call_begin(r->idp);
  sr_instance_ops_of(r->idp)->idp.registration_cancel(r->idp->state, &r->reg);
  sr_instance_call_end(r->idp);
  r->reg.state = NULL; /* the provider's, and freed by it */
}

static void cancel_done(void *arg) { registration_free(arg); }

/* Ends the registration in `slot` on the loop: the provider is told on the
 * pool (never on the loop: docs/plugins.md), then its memory goes. With a
 * full pool it stays in its slot, unfindable and expired, and the next sweep
 * tries again. `c->pool` NULL: the loop has stopped, so the cancel runs
 * here. */
static void registration_end(cloud *c, size_t slot) {
  registration *r = registrations[slot];
  registrations[slot] = NULL;
  if (!needs_cancel(r)) {
    registration_free(r);
  } else if (!c->pool) {
    cancel_work(r);
    registration_free(r);
  } else if (sr_worker_pool_submit(c->pool, cancel_work, cancel_done, r) != SR_OK) {
    r->id[0] = '\0'; /* no step can find it any more */
    r->expires = 0;
    r->busy = false;
    registrations[slot] = r;
  }
}

/* The text of a saved registration may hold a mailed code: wiped. */
static void saved_free(char **saved) {
  if (*saved)
    cloud_secret_free(*saved);
  *saved = NULL;
}

static void step_free(step *s) {
  saved_free(&s->saved);
  free(s->code);
  sr_identity_clear(&s->who);
  free(s);
}

void cloud_registrations_sweep(cloud *c, bool all) {
  time_t now = time(NULL);
  for (size_t i = 0; i < MAX_REGISTRATIONS; i++)
    if (registrations[i] && !registrations[i]->busy && (all || registrations[i]->expires < now))
      registration_end(c, i);
}

/* Defers the request and runs `work` then `done` with `s` on the pool;
 * false (resp filled, `s` still the caller's) when that cannot be. */
static bool run_step(cloud *c, const sr_http_request *req, sr_http_response *resp, step *s,
                     sr_work_fn work, sr_done_fn done) {
  if (!(s->x = sr_http_defer(req))) {
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
    return false;
  }
  if (sr_worker_pool_submit(c->pool, work, done, s) != SR_OK) {
    sr_http_response busy = {.retry_after = 1};
    sr_http_reply_error(&busy, 503, "busy", "too many registration steps at once; try again");
    sr_http_finish(s->x, &busy);
    return false;
  }
  return true;
}

/* On a worker thread: the first provider that takes the hint starts. */
static void begin_work(void *arg) {
  step *s = arg;
  registration *r = s->r;
  s->status = SR_ERR_DEFER;
  for (size_t i = 0; i < s->c->n_idps && s->status == SR_ERR_DEFER; i++) {
    const sr_idp_ops *ops = &sr_instance_ops_of(s->c->idps[i])->idp;
    if (!ops->registration_begin)
      continue;
    memset(&r->reg, 0, sizeof r->reg);
    r->reg.struct_size = sizeof r->reg;
    r->idp = s->c->idps[i];
    sr_instance_call_begin(r->idp);
    s->status = ops->registration_begin(r->idp->state, s->by_email ? s->email : NULL, &r->reg);
    if (s->status == SR_OK && s->keep && ops->registration_save && ops->registration_restore &&
        ops->registration_save(r->idp->state, &r->reg, &s->saved) != SR_OK)
      s->saved = NULL; /* kept in this process instead */
    sr_instance_call_end(r->idp);
    snprintf(s->why, sizeof s->why, "%s", sr_plugin_last_error(r->idp->plugin));
  }
}

/* What a stored registration's text is sealed for: its row and its scout,
 * no other. */
static void saved_purpose(const registration *r, char out[200]) {
  snprintf(out, 200, "registration %s %s %s", r->tenant, r->id, r->scout);
}

/* On the loop: stores a registration the provider saved as text (begin).
 * False (logged) if it could not be. */
static bool store_saved(cloud *c, const registration *r, const char *saved) {
  char purpose[200];
  saved_purpose(r, purpose);
  char *sealed = cloud_secret_seal(c, purpose, saved);
  int n = sealed
              ? cloud_db_run(c->db,
                             "INSERT INTO registrations(tenant, id, scout, idp, saved, "
                             "poll_every, expires_at, busy_until) VALUES(?, ?, ?, ?, ?, ?, ?, 0)",
                             "tttttii", r->tenant, r->id, r->scout, r->idp->name, sealed,
                             (int64_t)r->reg.interval, (int64_t)r->expires)
              : -1;
  free(sealed);
  if (n != 1)
    sr_log(SR_LOG_ERROR, "register", "tenant %s: registration %s could not be stored", r->tenant,
           r->id);
  return n == 1;
}

/* On the loop: answer, and keep the registration if it started. */
static void begin_done(void *arg) {
  step *s = arg;
  registration *r = s->r;
  sr_http_response resp = {0};
  if (s->status == SR_OK) {
    snprintf(r->id, sizeof r->id, "g-");
    cloud_random_hex(r->id + 2, 12);
    r->expires = time(NULL) + (r->reg.expires_in > 0 ? r->reg.expires_in : 600);
    r->busy = false;
    json_t *o = json_pack("{s:s, s:s, s:i, s:i}", "registration", r->id, "message",
                          r->reg.message ? r->reg.message : "", "expires_in",
                          (int)r->reg.expires_in, "interval", (int)r->reg.interval);
    if (r->reg.verification_uri)
      json_object_set_new(o, "verification_uri", json_string(r->reg.verification_uri));
    if (r->reg.verification_uri_complete)
      json_object_set_new(o, "verification_uri_complete",
                          json_string(r->reg.verification_uri_complete));
    if (r->reg.user_code)
      json_object_set_new(o, "user_code", json_string(r->reg.user_code));
    if (!s->saved) {
      sr_http_reply_json(&resp, 202, o); /* it stays in its slot */
    } else {
      /* in the database from now on: any instance takes the next step */
      if (store_saved(s->c, r, s->saved))
        sr_http_reply_json(&resp, 202, o);
      else {
        json_decref(o);
        cloud_api_db_error(&resp, "storing the registration");
      }
      registrations[s->slot] = NULL;
      registration_free(r); /* its state is the saved text */
    }
  } else {
    if (s->status == SR_ERR_DEFER)
      sr_http_reply_error(&resp, 400, "unsupported", "no registration of this kind is set up");
    else
      sr_http_reply_error(&resp, s->status == SR_ERR_CONNECT ? 502 : 500, "registration_failed",
                          "%s", *s->why ? s->why : "the registration could not start");
    if (r->idp)
      sr_log(SR_LOG_WARN, "register", "%s", s->why);
    r->busy = false;
    if (r->idp)
      registration_end(s->c, s->slot); /* what a failed begin filled in */
    else {
      registrations[s->slot] = NULL;
      free(r);
    }
  }
  sr_http_finish(s->x, &resp);
  step_free(s);
}

/* How many registrations scout `scout` has open, here and in the database
 * (-1 if the database failed); *retry: seconds until the first ends. */
static int open_of_scout(cloud *c, const char *tenant, const char *scout, int *retry) {
  time_t now = time(NULL), first_end = 0;
  int n = 0;
  for (size_t i = 0; i < MAX_REGISTRATIONS; i++) {
    const registration *r = registrations[i];
    if (r && strcmp(r->scout, scout) == 0 && strcmp(r->tenant, tenant) == 0 &&
        (r->busy || r->expires >= now)) {
      n++;
      if (r->expires && (!first_end || r->expires < first_end))
        first_end = r->expires;
    }
  }
  json_t *row = cloud_db_row(c->db,
                             "SELECT count(*) AS n, min(expires_at) AS first_end FROM "
                             "registrations WHERE tenant = ? AND scout = ? AND expires_at >= ?",
                             "tti", tenant, scout, (int64_t)now);
  if (!row)
    return -1;
  n += (int)cloud_row_int(row, "n");
  time_t db_end = (time_t)cloud_row_int(row, "first_end");
  if (db_end && (!first_end || db_end < first_end))
    first_end = db_end;
  json_decref(row);
  *retry = first_end > now ? (int)(first_end - now) : 1;
  return n;
}

static void begin(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp) {
  json_t *body = cloud_api_body(req, resp, (const char *[]){"email", "method", NULL});
  if (!body)
    return;
  const char *given = json_string_value(json_object_get(body, "email"));
  const char *method = json_string_value(json_object_get(body, "method"));
  char email[SR_ID_MAX];
  step *s = calloc(1, sizeof *s);
  registration *r = calloc(1, sizeof *r);
  /* no email: a provider with its own sign-in (OpenID Connect) */
  bool by_email = given || !method || strcmp(method, "oidc") != 0;
  size_t slot = MAX_REGISTRATIONS;
  for (size_t i = 0; i < MAX_REGISTRATIONS && slot == MAX_REGISTRATIONS; i++)
    if (!registrations[i])
      slot = i;
  int retry = 0, open = 0;
  if (!s || !r) {
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
  } else if (by_email && (!given || sr_email_normalise(given, email, sizeof email) != 0)) {
    sr_http_reply_error(resp, 400, "invalid",
                        "send 'email' (the address to register) or \"method\": \"oidc\"");
  } else if ((open = open_of_scout(c, cloud_row_text(scout, "tenant"), cloud_row_text(scout, "id"),
                                   &retry)) < 0) {
    cloud_api_db_error(resp, "counting the scout's registrations");
  } else if (open >= MAX_OPEN_PER_SCOUT) {
    resp->retry_after = retry;
    sr_http_reply_error(resp, 429, "too_many",
                        "this workstation has %d registrations in progress; finish one, or try "
                        "again when the first expires (in %d s)",
                        open, retry);
  } else if (slot == MAX_REGISTRATIONS) {
    sr_http_reply_error(resp, 503, "busy", "too many registrations in progress; try again soon");
  } else {
    /* a provider that can save its registrations keeps them in the
     * database when there is a key to seal them with */
    *s = (step){.c = c, .slot = slot, .r = r, .by_email = by_email, .keep = c->master != NULL};
    if (by_email)
      snprintf(s->email, sizeof s->email, "%s", email);
    snprintf(r->scout, sizeof r->scout, "%s", cloud_row_text(scout, "id"));
    snprintf(r->tenant, sizeof r->tenant, "%s", cloud_row_text(scout, "tenant"));
    r->busy = true; /* holds the slot; no id yet, so no one can find it */
    registrations[slot] = r;
    if (run_step(c, req, resp, s, begin_work, begin_done)) {
      json_decref(body);
      return;
    }
    registrations[slot] = NULL;
  }
  free(r);
  free(s);
  json_decref(body);
}

/* On a worker thread: the provider checks the code or polls. */
static void complete_work(void *arg) {
  step *s = arg;
  registration *r = s->r;
  const sr_idp_ops *ops = &sr_instance_ops_of(r->idp)->idp;
  sr_instance_call_begin(r->idp);
  if (r->in_db) { /* its state from the stored text */
    s->status = ops->registration_restore(r->idp->state, s->saved, &r->reg);
    saved_free(&s->saved);
    if (s->status != SR_OK) {
      sr_instance_call_end(r->idp);
      snprintf(s->why, sizeof s->why, "the stored registration could not be read back");
      return;
    }
  }
  s->status = ops->registration_complete(r->idp->state, &r->reg, s->code, &s->who);
  snprintf(s->why, sizeof s->why, "%s", sr_plugin_last_error(r->idp->plugin));
  /* still open (pending, a wrong code): stored again for the next step */
  if (r->in_db && r->reg.state &&
      ops->registration_save(r->idp->state, &r->reg, &s->saved) != SR_OK) {
    s->saved = NULL;
    if (ops->registration_cancel) /* it ends here: the row goes */
      ops->registration_cancel(r->idp->state, &r->reg);
  }
  sr_instance_call_end(r->idp);
}

/* On the loop, after a stored registration's step: saved again with its
 * claim released, or deleted when it ended. */
static void store_after_step(cloud *c, registration *r, step *s) {
  char purpose[200];
  saved_purpose(r, purpose);
  char *sealed = s->saved ? cloud_secret_seal(c, purpose, s->saved) : NULL;
  if (sealed)
    cloud_db_run(c->db,
                 "UPDATE registrations SET saved = ?, poll_every = ?, busy_until = 0 WHERE tenant "
                 "= ? AND id = ?",
                 "titt", sealed, (int64_t)r->reg.interval, r->tenant, r->id);
  else
    cloud_db_run(c->db, "DELETE FROM registrations WHERE tenant = ? AND id = ?", "tt", r->tenant,
                 r->id);
  free(sealed);
}

/* On the loop: the proven identity becomes the scout's user. */
static void complete_done(void *arg) {
  step *s = arg;
  registration *r = s->r;
  cloud *c = s->c;
  sr_http_response resp = {0};
  char email[SR_ID_MAX];
  r->busy = false;
  if (s->status == SR_ERR_PENDING) {
    sr_http_reply_json(&resp, 202,
                       json_pack("{s:s, s:i}", "state", "pending", "interval",
                                 (int)(r->reg.interval > 0 ? r->reg.interval : 5)));
  } else if (s->status != SR_OK || !s->who.email ||
             sr_email_normalise(s->who.email, email, sizeof email) != 0) {
    sr_http_reply_error(&resp, 401, "refused", "%s", *s->why ? s->why : "the registration failed");
  } else {
    const char *tenant = r->tenant, *pin = s->pin[0] ? s->pin : NULL;
    char user_id[40] = "u-";
    cloud_random_hex(user_id + 2, 8);
    cloud_db_run(c->db,
                 "INSERT INTO users(tenant, id, email, name, pin_hash, subject, created_at) "
                 "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(tenant, email) DO UPDATE SET "
                 "pin_hash = COALESCE(excluded.pin_hash, users.pin_hash), subject = "
                 "COALESCE(excluded.subject, users.subject)",
                 "tttttti", tenant, user_id, email, s->who.name ? s->who.name : email, pin,
                 s->who.subject, (int64_t)time(NULL));
    json_t *user =
        cloud_db_row(c->db, "SELECT id, email, name FROM users WHERE tenant = ? AND email = ?",
                     "tt", tenant, email);
    cloud_db_run(c->db, "UPDATE scouts SET user_id = ? WHERE tenant = ? AND id = ?", "ttt",
                 cloud_row_text(user, "id"), tenant, r->scout);
    sr_log(SR_LOG_INFO, "register", "tenant %s: scout %s registered to user %s", tenant, r->scout,
           cloud_row_text(user, "id"));
    sr_http_reply_json(&resp, 200, json_pack("{s:s, s:O}", "state", "registered", "user", user));
    json_decref(user);
    r->reg.state = NULL; /* registration_complete freed it */
    if (!r->in_db)
      registration_end(c, s->slot);
  }
  if (r->in_db) {
    store_after_step(c, r, s);
    registration_free(r);
  }
  sr_http_finish(s->x, &resp);
  step_free(s);
}

/* A stored registration of `scout`, claimed for one step: NULL with the
 * answer in resp when there is none (404), its step runs (409), or it
 * cannot be read (500). */
static registration *claim_stored(cloud *c, json_t *scout, const char *id, char **saved,
                                  sr_http_response *resp) {
  const char *tenant = cloud_row_text(scout, "tenant"), *scout_id = cloud_row_text(scout, "id");
  int64_t now = time(NULL);
  int n = cloud_db_run(c->db,
                       "UPDATE registrations SET busy_until = ? WHERE tenant = ? AND id = ? AND "
                       "scout = ? AND expires_at >= ? AND busy_until < ?",
                       "itttii", now + STEP_CLAIM_S, tenant, id, scout_id, now, now);
  json_t *row = n < 0
                    ? NULL
                    : cloud_db_row(c->db,
                                   "SELECT idp, saved, poll_every, expires_at FROM registrations "
                                   "WHERE tenant = ? AND id = ? AND scout = ? AND expires_at >= ?",
                                   "ttti", tenant, id, scout_id, now);
  registration *r = NULL;
  sr_instance *idp = NULL;
  for (size_t i = 0; row && i < c->n_idps && !idp; i++)
    if (strcmp(c->idps[i]->name, cloud_row_text(row, "idp")) == 0)
      idp = c->idps[i];
  if (n < 0 || (!row && cloud_db_failed(c->db))) {
    cloud_api_db_error(resp, "looking up the registration");
  } else if (!row) {
    sr_http_reply_error(resp, 404, "not_found", "no such registration (it may have expired)");
  } else if (n == 0) {
    sr_http_reply_error(resp, 409, "busy", "this registration's last step is still under way");
  } else if (!idp || !sr_instance_ops_of(idp)->idp.registration_restore) {
    cloud_db_run(c->db, "DELETE FROM registrations WHERE tenant = ? AND id = ?", "tt", tenant, id);
    sr_http_reply_error(resp, 404, "not_found",
                        "no such registration (its identity provider is no longer configured)");
  } else if (!(r = calloc(1, sizeof *r))) {
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
  } else {
    snprintf(r->id, sizeof r->id, "%s", id);
    snprintf(r->scout, sizeof r->scout, "%s", scout_id);
    snprintf(r->tenant, sizeof r->tenant, "%s", tenant);
    r->idp = idp;
    r->reg.struct_size = sizeof r->reg;
    r->reg.interval = (int32_t)cloud_row_int(row, "poll_every");
    r->expires = (time_t)cloud_row_int(row, "expires_at");
    r->in_db = true;
    char purpose[200];
    saved_purpose(r, purpose);
    if (!(*saved = cloud_secret_open(c, purpose, cloud_row_text(row, "saved")))) {
      /* not ours to read (another master key) or damaged: it cannot go on */
      cloud_db_run(c->db, "DELETE FROM registrations WHERE tenant = ? AND id = ?", "tt", tenant,
                   id);
      sr_log(SR_LOG_ERROR, "register", "tenant %s: registration %s does not open; deleted", tenant,
             id);
      sr_http_reply_error(resp, 404, "not_found", "no such registration (start again)");
      free(r);
      r = NULL;
    }
  }
  json_decref(row);
  return r;
}

static void complete(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp) {
  json_t *body =
      cloud_api_body(req, resp, (const char *[]){"registration", "code", "pin_hash", NULL});
  if (!body)
    return;
  const char *id = json_string_value(json_object_get(body, "registration"));
  const char *code = json_string_value(json_object_get(body, "code"));
  const char *pin = json_string_value(json_object_get(body, "pin_hash"));
  size_t slot = MAX_REGISTRATIONS;
  for (size_t i = 0; id && *id && i < MAX_REGISTRATIONS; i++)
    if (registrations[i] && strcmp(registrations[i]->id, id) == 0 &&
        strcmp(registrations[i]->scout, cloud_row_text(scout, "id")) == 0)
      slot = i;
  registration *r = slot < MAX_REGISTRATIONS ? registrations[slot] : NULL;
  step *s = NULL;
  char *saved = NULL;
  bool answered = false;
  if (pin && (strlen(pin) != 64 || strspn(pin, "0123456789abcdef") != 64)) {
    sr_http_reply_error(resp, 400, "invalid", "'pin_hash' is 64 lower-case hex digits");
    answered = true;
  } else if (!r && id && *id) { /* not in this process: in the database? */
    r = claim_stored(c, scout, id, &saved, resp);
    answered = !r;
  }
  if (answered) {
    /* resp says why */
  } else if (!r || r->expires < time(NULL)) {
    sr_http_reply_error(resp, 404, "not_found", "no such registration (it may have expired)");
  } else if (!sr_instance_ops_of(r->idp)->idp.registration_complete) {
    /* optional in the ABI: a provider may start flows it cannot finish */
    sr_http_reply_error(resp, 501, "unsupported",
                        "the identity provider '%s' cannot complete registrations", r->idp->name);
  } else if (r->busy) {
    sr_http_reply_error(resp, 409, "busy", "this registration's last step is still under way");
  } else if (!(s = calloc(1, sizeof *s)) || (code && !(s->code = strdup(code)))) {
    sr_http_reply_error(resp, 500, "no_memory", "out of memory");
  } else {
    s->c = c;
    s->slot = slot;
    s->r = r;
    s->saved = saved;
    saved = NULL;
    s->who.struct_size = sizeof s->who;
    snprintf(s->pin, sizeof s->pin, "%s", pin ? pin : "");
    r->busy = true;
    if (run_step(c, req, resp, s, complete_work, complete_done)) {
      s = NULL; /* the pool's until complete_done */
      r = NULL;
    } else {
      r->busy = false;
    }
  }
  if (r && r->in_db) { /* its step did not run: the claim is released */
    cloud_db_run(c->db, "UPDATE registrations SET busy_until = 0 WHERE tenant = ? AND id = ?", "tt",
                 r->tenant, r->id);
    free(r);
  }
  saved_free(&saved);
  if (s)
    step_free(s);
  json_decref(body);
}

void cloud_api_register(cloud *c, json_t *scout, const sr_http_request *req, sr_http_response *resp,
                        const char *rest) {
  if (strcmp(req->method, "POST") != 0)
    sr_http_reply_error(resp, 405, "method_not_allowed", "use POST");
  else if (*rest == '\0')
    begin(c, scout, req, resp);
  else if (strcmp(rest, "/complete") == 0)
    complete(c, scout, req, resp);
  else
    sr_http_reply_error(resp, 404, "not_found", "no such resource: %.200s", req->path);
}
