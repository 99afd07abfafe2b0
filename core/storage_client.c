#include "storage_client.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/* Checks the key and the member; SR_OK when the call may go ahead. */
static int precheck(sr_instance *store, const char *key, bool is_prefix, const void *member,
                    const char *op, char *err, size_t err_size) {
  if (!sr_storage_key_check(key, is_prefix)) {
    snprintf(err, err_size, "storage '%s': invalid %s '%.100s'", store->name,
             is_prefix ? "prefix" : "key", key ? key : "");
    return SR_ERR_INVALID;
  }
  if (!member) {
    snprintf(err, err_size, "storage '%s': the %s plugin cannot %s", store->name,
             sr_plugin_declaration(store->plugin)->name, op);
    return SR_ERR_UNSUPPORTED;
  }
  return SR_OK;
}

/* Ends the call begun by STORE_CALL and turns a failure into `err`. */
static int result(sr_instance *store, int status, const char *op, const char *key, char *err,
                  size_t err_size) {
  sr_instance_call_end(store);
  if (status != SR_OK) {
    const char *why = sr_plugin_last_error(store->plugin);
    snprintf(err, err_size, "storage '%s': %s %s: %s", store->name, op, key,
             *why ? why : sr_status_name(status));
  }
  return status;
}

/* Calls the operation `member` of `store` (instance.h's execution
 * contract: serialised unless thread-safe); `result` ends the call. */
#define STORE_CALL(store, member, ...)                                                             \
  (sr_instance_call_begin(store), STORAGE_OPS(store)->member((store)->state, __VA_ARGS__))
#define STORAGE_OPS(store) (&sr_instance_ops_of(store)->storage)

int sr_store_put(sr_instance *store, const char *key, sr_read_fn read, void *read_ctx, char *err,
                 size_t err_size) {
  int status = precheck(store, key, false, (const void *)STORAGE_OPS(store)->put, "store objects",
                        err, err_size);
  if (status == SR_OK)
    status = result(store, STORE_CALL(store, put, key, read, read_ctx), "put", key, err, err_size);
  return status;
}

int sr_store_get(sr_instance *store, const char *key, sr_write_fn write, void *write_ctx, char *err,
                 size_t err_size) {
  int status = precheck(store, key, false, (const void *)STORAGE_OPS(store)->get, "read objects",
                        err, err_size);
  if (status == SR_OK)
    status =
        result(store, STORE_CALL(store, get, key, write, write_ctx), "get", key, err, err_size);
  return status;
}

int sr_store_remove(sr_instance *store, const char *key, char *err, size_t err_size) {
  int status = precheck(store, key, false, (const void *)STORAGE_OPS(store)->remove,
                        "delete objects", err, err_size);
  if (status == SR_OK)
    status = result(store, STORE_CALL(store, remove, key), "delete", key, err, err_size);
  return status;
}

bool sr_job_expiry_key(const char *job_key, char out[96]) {
  const char *dot = strrchr(job_key, '.');
  return dot && strcmp(dot, ".srjob") == 0 &&
         snprintf(out, 96, "%.*s.expiry", (int)(dot - job_key), job_key) < 96;
}

void sr_store_remove_job_expiry(sr_instance *store, const char *job_key) {
  char key[96], why[512];
  sr_storage_stat st = {0};
  if (sr_job_expiry_key(job_key, key) && sr_store_stat(store, key, &st, why, sizeof why) == SR_OK &&
      sr_store_remove(store, key, why, sizeof why) != SR_OK)
    sr_log(SR_LOG_WARN, "store", "%s", why);
}

int sr_store_remove_job_files(sr_instance *store, const char *job_key, char *err, size_t err_size) {
  int status = sr_store_remove(store, job_key, err, err_size);
  sr_store_remove_job_expiry(store, job_key);
  return status;
}

int sr_store_stat(sr_instance *store, const char *key, sr_storage_stat *out, char *err,
                  size_t err_size) {
  int status = precheck(store, key, false, (const void *)STORAGE_OPS(store)->stat,
                        "describe objects", err, err_size);
  if (status != SR_OK)
    return status;
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  return result(store, STORE_CALL(store, stat, key, out), "stat", key, err, err_size);
}

int sr_store_list(sr_instance *store, const char *prefix, sr_storage_list_fn fn, void *ctx,
                  char *err, size_t err_size) {
  int status = precheck(store, prefix, true, (const void *)STORAGE_OPS(store)->list, "list objects",
                        err, err_size);
  if (status == SR_OK)
    status = result(store, STORE_CALL(store, list, prefix, fn, ctx), "list", prefix, err, err_size);
  return status;
}
