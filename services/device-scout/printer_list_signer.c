#include "printer_list_signer.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json_file.h"
#include "log.h"
#include "printer_allow.h"
#include "site_vouch.h"
#include "sr/abi.h"

static void look(printer_list_signer *sg);

static void schedule(printer_list_signer *sg) {
  if (sg->stopped)
    return;
  ev_timer_set(&sg->timer, sg->every, 0.);
  ev_timer_start(sg->loop, &sg->timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  look(w->data);
}

/* A failed call, logged when calls start failing, not each time. */
static void call_failed(printer_list_signer *sg, const char *what, int status, json_t *reply,
                        const char *err) {
  if (!sg->failing) {
    if (status == 0)
      sr_log(SR_LOG_WARN, "printers",
             "%s: %s; print scouts keep the list signed before (check "
             "cloud_url and the network)",
             what, err);
    else
      sr_log(SR_LOG_WARN, "printers", "%s: the cloud answered %d: %s", what, status,
             sr_cloud_error_message(reply, "no reason given"));
  }
  sg->failing = true;
}

static void uploaded(void *ctx, int status, json_t *reply, const char *err) {
  printer_list_signer *sg = ctx;
  if (sg->stopped) {
    json_decref(reply);
    return;
  }
  if (status == 200) {
    sr_log(SR_LOG_INFO, "printers", "uploaded the printer list version %lld: %zu printer%s signed",
           (long long)sg->version, json_array_size(sg->pending),
           json_array_size(sg->pending) == 1 ? "" : "s");
    json_decref(sg->signed_printers);
    sg->signed_printers = sg->pending;
    sg->pending = NULL;
    sg->failing = false;
  } else {
    /* signed again at the next look: a newer version, nothing lost */
    call_failed(sg, "cannot upload the signed printer list", status, reply, err);
    json_decref(sg->pending);
    sg->pending = NULL;
  }
  json_decref(reply);
  schedule(sg);
}

/* Signs `printers` (taken) as a new version and uploads it. */
static void sign_and_upload(printer_list_signer *sg, json_t *printers) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
  /* only grows, even if the clock went back since the last one */
  sg->version = ms > sg->version ? ms : sg->version + 1;
  char why[256];
  json_t *envelope = sr_printer_list_seal(sg->key, sg->tenant, sg->site, sg->version,
                                          (int64_t)now.tv_sec, printers, why, sizeof why);
  if (!envelope) {
    sr_log(SR_LOG_WARN, "printers", "cannot sign the printer list: %s", why);
    json_decref(printers);
    schedule(sg);
    return;
  }
  if (sg->book && sr_printer_book_take(sg->book, envelope, why, sizeof why) != SR_OK)
    sr_log(SR_LOG_WARN, "printers", "the site's own deliverer refused its list: %s", why);
  sg->pending = printers;
  if (sr_cloud_call_async(sg->cloud, "PUT", "/api/v1/site/printer-list", envelope, NULL, uploaded,
                          sg) != SR_OK) {
    sr_log(SR_LOG_WARN, "printers", "cannot start the upload of the printer list (out of memory)");
    json_decref(sg->pending);
    sg->pending = NULL;
    schedule(sg);
  }
  json_decref(envelope);
}

/* Logs what is refused when that changed since the last look. */
static void note_refused(printer_list_signer *sg, json_t *refused) {
  char *text = json_dumps(refused, JSON_COMPACT);
  if (text && (!sg->refused || strcmp(text, sg->refused) != 0)) {
    size_t i;
    json_t *why;
    json_array_foreach(refused, i, why) {
      sr_log(SR_LOG_WARN, "printers", "refused to sign %s", json_string_value(why));
    }
    free(sg->refused);
    sg->refused = text;
    text = NULL;
  }
  free(text);
}

static void devices_answered(void *ctx, int status, json_t *reply, const char *err) {
  printer_list_signer *sg = ctx;
  if (sg->stopped) {
    json_decref(reply);
    return;
  }
  json_t *devices = json_object_get(reply, "devices");
  if (status != 200 || !json_is_array(devices)) {
    call_failed(sg, "cannot read the accepted devices (GET /api/v1/site/devices)", status, reply,
                err);
    json_decref(reply);
    schedule(sg);
    return;
  }
  json_t *hosts = site_vouched_hosts(sg->discovery, sg->static_hosts, "printers"),
         *printers = json_array(), *refused = json_array(), *d;
  size_t i;
  json_array_foreach(devices, i, d) {
    char *why = site_why_not_vouched(hosts, d);
    if (why) {
      json_array_append_new(refused, json_string(why));
      free(why);
      continue;
    }
    json_t *snmp = json_object_get(d, "snmp");
    json_array_append_new(
        printers, json_pack("{s:O, s:O, s:O, s:O}", "device", json_object_get(d, "id"), "name",
                            json_object_get(d, "name"), "uris", json_object_get(d, "uris"), "snmp",
                            json_is_string(snmp) ? snmp : json_null()));
  }
  note_refused(sg, refused);
  json_decref(refused);
  json_decref(hosts);
  json_decref(reply);
  if (sg->signed_printers && json_equal(printers, sg->signed_printers)) {
    json_decref(printers); /* nothing changed: the list uploaded stands */
    schedule(sg);
  } else {
    sign_and_upload(sg, printers);
  }
}

static void look(printer_list_signer *sg) {
  if (sr_cloud_call_async(sg->cloud, "GET", "/api/v1/site/devices", NULL, NULL, devices_answered,
                          sg) != SR_OK) {
    sr_log(SR_LOG_WARN, "printers", "cannot start reading the accepted devices (out of memory)");
    schedule(sg);
  }
}

/* The lists the cloud holds: the version of this site's own, verified
 * with its key, is where its versions go on from. They are milliseconds
 * of the site's clock, and a clock that once ran ahead (or was set ahead)
 * signed a version every scout now holds: signing below it after a restart
 * would have every new list refused as a replay until that time came. The
 * cloud can withhold the list, never raise the version (it has no key). */
static void versions_answered(void *ctx, int status, json_t *reply, const char *err) {
  printer_list_signer *sg = ctx;
  if (sg->stopped) {
    json_decref(reply);
    return;
  }
  json_t *lists = json_object_get(reply, "lists");
  if (status != 200 || !json_is_array(lists))
    call_failed(sg, "cannot read the printer list signed before (GET /api/v1/scout/printer-list)",
                status, reply, err);
  for (size_t i = 0; i < json_array_size(lists); i++) {
    sr_printer_list *list = NULL;
    char why[256];
    if (sr_printer_list_open(sg->key, sg->tenant, json_array_get(lists, i), &list, why,
                             sizeof why) == SR_OK &&
        strcmp(sr_printer_list_site(list), sg->site) == 0 &&
        sr_printer_list_version(list) > sg->version)
      sg->version = sr_printer_list_version(list);
    sr_printer_list_free(list);
  }
  json_decref(reply);
  look(sg);
}

bool printer_list_signer_start(printer_list_signer *sg, struct ev_loop *loop,
                               sr_cloud_client *cloud, const sr_site_key *site_key,
                               const char *tenant, const char *site, const char *state_dir,
                               const char *const *static_hosts, sr_printer_book *book,
                               double every) {
  *sg = (printer_list_signer){
      .loop = loop, .cloud = cloud, .static_hosts = static_hosts, .book = book, .every = every};
  if (sr_printer_list_key(site_key, sg->key) != SR_OK)
    return false;
  snprintf(sg->tenant, sizeof sg->tenant, "%s", tenant);
  snprintf(sg->site, sizeof sg->site, "%s", site);
  if (state_dir)
    snprintf(sg->discovery, sizeof sg->discovery, "%s/discovery.json", state_dir);
  ev_timer_init(&sg->timer, on_timer, 0., 0.);
  sg->timer.data = sg;
  if (sr_cloud_call_async(cloud, "GET", "/api/v1/scout/printer-list", NULL, NULL, versions_answered,
                          sg) != SR_OK)
    look(sg);
  return true;
}

void printer_list_signer_stop(printer_list_signer *sg) {
  if (!sg->loop)
    return; /* never started */
  sg->stopped = true;
  ev_timer_stop(sg->loop, &sg->timer);
  json_decref(sg->signed_printers);
  json_decref(sg->pending);
  free(sg->refused);
  sg->signed_printers = sg->pending = NULL;
  sg->refused = NULL;
  OPENSSL_cleanse(sg->key, sizeof sg->key);
}
