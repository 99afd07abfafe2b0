#include "printer_book.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_file.h"
#include "log.h"
#include "sr/abi.h"

struct sr_printer_book {
  pthread_mutex_t lock; /* guards lists, n */
  uint8_t key[SR_PRINTER_LIST_KEY_LEN];
  char tenant[128];
  char *path;              /* NULL: memory only */
  sr_printer_list **lists; /* one per site */
  size_t n;
};

/* Writes every list kept (lock held). */
static int save(sr_printer_book *book, char *why, size_t why_size) {
  if (!book->path)
    return SR_OK;
  json_t *all = json_array();
  for (size_t i = 0; all && i < book->n; i++)
    json_array_append(all, (json_t *)sr_printer_list_envelope(book->lists[i]));
  json_t *doc = json_pack("{s:o}", "lists", all);
  int status = doc ? sr_json_file_write(book->path, doc, why, why_size) : SR_ERR_NOMEM;
  json_decref(doc);
  return status;
}

/* Keeps `list` (taken) unless the site's kept one is as new (lock held). */
static int keep(sr_printer_book *book, sr_printer_list *list, bool *changed, char *why,
                size_t why_size) {
  *changed = false;
  const char *site = sr_printer_list_site(list);
  for (size_t i = 0; i < book->n; i++) {
    if (strcmp(sr_printer_list_site(book->lists[i]), site) != 0)
      continue;
    int64_t kept = sr_printer_list_version(book->lists[i]);
    int64_t offered = sr_printer_list_version(list);
    if (offered <= kept) {
      if (offered < kept)
        snprintf(why, why_size,
                 "site %.100s's printer list version %lld is older than version %lld seen "
                 "before: refused (a replay of an old list)",
                 site, (long long)offered, (long long)kept);
      sr_printer_list_free(list);
      return offered < kept ? SR_ERR_EXISTS : SR_OK;
    }
    sr_printer_list_free(book->lists[i]);
    book->lists[i] = list;
    *changed = true;
    return SR_OK;
  }
  sr_printer_list **grown = realloc(book->lists, (book->n + 1) * sizeof *grown);
  if (!grown) {
    sr_printer_list_free(list);
    snprintf(why, why_size, "out of memory");
    return SR_ERR_NOMEM;
  }
  book->lists = grown;
  book->lists[book->n++] = list;
  *changed = true;
  return SR_OK;
}

int sr_printer_book_take(sr_printer_book *book, const json_t *envelope, char *why,
                         size_t why_size) {
  sr_printer_list *list = NULL;
  int status = sr_printer_list_open(book->key, book->tenant, envelope, &list, why, why_size);
  if (status != SR_OK)
    return status;
  bool changed = false;
  pthread_mutex_lock(&book->lock);
  status = keep(book, list, &changed, why, why_size);
  if (status == SR_OK && changed) {
    char err[512];
    /* kept in memory all the same: refusing it would print nowhere */
    if (save(book, err, sizeof err) != SR_OK)
      sr_log(SR_LOG_WARN, "printers", "%s; an older printer list could be accepted after a restart",
             err);
  }
  pthread_mutex_unlock(&book->lock);
  return status;
}

sr_printer_book *sr_printer_book_new(const sr_site_key *site, const char *tenant, const char *path,
                                     char *why, size_t why_size) {
  sr_printer_book *book = calloc(1, sizeof *book);
  if (book)
    pthread_mutex_init(&book->lock, NULL);
  if (!book || sr_printer_list_key(site, book->key) != SR_OK ||
      (path && !(book->path = strdup(path)))) {
    snprintf(why, why_size, "out of memory");
    sr_printer_book_free(book);
    return NULL;
  }
  snprintf(book->tenant, sizeof book->tenant, "%s", tenant);
  json_t *doc = NULL;
  int status = path ? sr_json_file_read(path, &doc, why, why_size) : SR_ERR_NOT_FOUND;
  if (status != SR_OK && status != SR_ERR_NOT_FOUND) {
    sr_printer_book_free(book);
    return NULL;
  }
  json_t *lists = json_object_get(doc, "lists");
  for (size_t i = 0; i < json_array_size(lists); i++) {
    char err[512];
    sr_printer_list *list = NULL;
    bool changed;
    /* verified again: the file is no more trusted than the cloud */
    if (sr_printer_list_open(book->key, tenant, json_array_get(lists, i), &list, err, sizeof err) !=
            SR_OK ||
        keep(book, list, &changed, err, sizeof err) != SR_OK)
      sr_log(SR_LOG_WARN, "printers", "%s: a saved printer list is ignored: %s", path, err);
  }
  json_decref(doc);
  return book;
}

void sr_printer_book_free(sr_printer_book *book) {
  if (!book)
    return;
  for (size_t i = 0; i < book->n; i++)
    sr_printer_list_free(book->lists[i]);
  free(book->lists);
  free(book->path);
  OPENSSL_cleanse(book->key, sizeof book->key);
  pthread_mutex_destroy(&book->lock);
  free(book);
}

int sr_printer_book_fetch(sr_printer_book *book, sr_cloud_client *cloud, char *why,
                          size_t why_size) {
  int status_code = 0;
  json_t *reply = NULL;
  int status = sr_cloud_call(cloud, "GET", "/api/v1/scout/printer-list", NULL, NULL, &status_code,
                             &reply, why, why_size);
  if (status == SR_OK && status_code != 200) {
    snprintf(why, why_size, "the cloud answered %d to GET /api/v1/scout/printer-list: %s",
             status_code, sr_cloud_error_message(reply, "no reason given"));
    status = SR_ERR_PEER;
  }
  json_t *lists = json_object_get(reply, "lists");
  for (size_t i = 0; status == SR_OK && i < json_array_size(lists); i++) {
    char err[512];
    if (sr_printer_book_take(book, json_array_get(lists, i), err, sizeof err) != SR_OK)
      sr_log(SR_LOG_WARN, "printers", "refused a printer list from the cloud: %s", err);
  }
  json_decref(reply);
  return status;
}

size_t sr_printer_book_count(sr_printer_book *book) {
  pthread_mutex_lock(&book->lock);
  size_t n = book->n;
  pthread_mutex_unlock(&book->lock);
  return n;
}

bool sr_printer_book_allows(sr_printer_book *book, const char *device, const char *uri,
                            const char *snmp) {
  bool allowed = false;
  pthread_mutex_lock(&book->lock);
  for (size_t i = 0; !allowed && i < book->n; i++)
    allowed = sr_printer_list_allows(book->lists[i], device, uri, snmp);
  pthread_mutex_unlock(&book->lock);
  return allowed;
}
