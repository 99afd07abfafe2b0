#include "cloud_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr/abi.h"

struct sr_cloud_client {
  pthread_mutex_t lock;
  CURL *curl;
  char *base_url, *ca_file, *cert_file, *key_file;
  long timeout_ms;
};

typedef struct buffer {
  char *data;
  size_t len;
} buffer;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

sr_cloud_client *sr_cloud_client_new(const sr_cloud_options *o) {
  pthread_once(&curl_once, curl_init);
  sr_cloud_client *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  pthread_mutex_init(&c->lock, NULL);
  c->curl = curl_easy_init();
  c->base_url = dup_or_null(o->base_url);
  c->ca_file = dup_or_null(o->ca_file);
  c->cert_file = dup_or_null(o->cert_file);
  c->key_file = dup_or_null(o->key_file);
  c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
  if (!c->curl || !c->base_url) {
    sr_cloud_client_free(c);
    return NULL;
  }
  return c;
}

void sr_cloud_client_free(sr_cloud_client *c) {
  if (!c)
    return;
  curl_easy_cleanup(c->curl);
  free(c->base_url);
  free(c->ca_file);
  free(c->cert_file);
  free(c->key_file);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

static size_t collect(char *ptr, size_t size, size_t n, void *userdata) {
  buffer *b = userdata;
  size_t len = size * n;
  if (b->len + len > 16 * 1024 * 1024)
    return 0; /* no API answer is this large */
  char *grown = realloc(b->data, b->len + len + 1);
  if (!grown)
    return 0;
  memcpy(grown + b->len, ptr, len);
  b->data = grown;
  b->len += len;
  b->data[b->len] = '\0';
  return len;
}

int sr_cloud_call(sr_cloud_client *c, const char *method, const char *path, json_t *body,
                  const char *bearer, int *status, json_t **reply, char *err, size_t err_size) {
  *status = 0;
  *reply = NULL;
  char url[2048], auth[1100];
  snprintf(url, sizeof url, "%s%s", c->base_url, path);
  char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  buffer answer = {0};
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  /* the cloud's server sends no 100 Continue: never wait for one */
  headers = curl_slist_append(headers, "Expect:");
  if (bearer) {
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
    headers = curl_slist_append(headers, auth);
    memset(auth, 0, sizeof auth);
  }
  pthread_mutex_lock(&c->lock);
  CURL *h = c->curl;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms < 5000 ? c->timeout_ms : 5000L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
  if (c->ca_file)
    curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
  if (c->cert_file) {
    curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
    curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
  }
  if (text) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
  } else if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
  }
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  pthread_mutex_unlock(&c->lock);
  curl_slist_free_all(headers);
  free(text);
  int result = SR_OK;
  if (rc != CURLE_OK) {
    snprintf(err, err_size, "%s %s: %s", method, url, curl_easy_strerror(rc));
    result = rc == CURLE_OPERATION_TIMEDOUT                                    ? SR_ERR_TIMEOUT
             : rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ? SR_ERR_CONNECT
                                                                               : SR_ERR_PEER;
  } else {
    *status = (int)code;
    if (answer.len) {
      json_error_t error;
      *reply = json_loadb(answer.data, answer.len, 0, &error);
    }
  }
  free(answer.data);
  return result;
}

const char *sr_cloud_error_message(const json_t *reply, const char *fallback) {
  const char *m = json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
  return m ? m : fallback;
}
