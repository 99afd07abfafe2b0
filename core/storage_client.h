/*
 * Calling storage instances: every key is checked before the plugin sees
 * it (so no plugin can be handed a key that escapes its namespace), missing
 * members answer SR_ERR_UNSUPPORTED, and failures carry the plugin's
 * message in `err`.
 */
#ifndef SR_CORE_STORAGE_CLIENT_H
#define SR_CORE_STORAGE_CLIENT_H

#include "instance.h"

int sr_store_put(sr_instance *store, const char *key, sr_read_fn read, void *read_ctx, char *err,
                 size_t err_size);
int sr_store_get(sr_instance *store, const char *key, sr_write_fn write, void *write_ctx, char *err,
                 size_t err_size);
int sr_store_remove(sr_instance *store, const char *key, char *err, size_t err_size);
/* The key of the expiry kept beside job file `job_key` ("ID.srjob" gives
 * "ID.expiry"); false if `job_key` is no job file's key. */
bool sr_job_expiry_key(const char *job_key, char out[96]);
/* Removes the expiry beside job file `job_key`, if there is one (a
 * failure is logged). */
void sr_store_remove_job_expiry(sr_instance *store, const char *job_key);
/* Removes job file `job_key` and the expiry beside it, if any: what a
 * printed, deleted or expired job leaves behind. The job file's status. */
int sr_store_remove_job_files(sr_instance *store, const char *job_key, char *err, size_t err_size);
/* Fills *out (struct_size is set here). */
int sr_store_stat(sr_instance *store, const char *key, sr_storage_stat *out, char *err,
                  size_t err_size);
int sr_store_list(sr_instance *store, const char *prefix, sr_storage_list_fn fn, void *ctx,
                  char *err, size_t err_size);

#endif
