/*
 * Release and delete commands as a print scout takes them from MQTT
 * (services/print-scout/release.c). The cloud writes them, so a
 * compromised cloud or broker writes them too; they decide where a
 * decrypted document goes. The payload is handed to scout_releaser_command
 * (the whole dispatch: delete, malformed, unknown job, repeated command,
 * a job not held), with a table of jobs in every state and no allowed
 * printer, so no release ever starts; then to scout_release_check_command
 * with allowed printers, which reads the printer URIs and settings as a
 * release that starts would.
 * Job ids in the table: aaaa… held, bbbb… releasing (release "r1"),
 * cccc… printed (release "r2"), dddd… canceled. A deleted job's file is
 * removed on the releaser's worker pool, run to the end for each input.
 */
#include <stdio.h>

#include "fuzz_common.h"
#include "job_table.h"
#include "plugin_private.h"
#include "release.h"
#include "sr/abi.h"

/* A store whose objects are all removable (a delete command removes the
 * held job's file). */
static int remove_nothing(void *instance, const char *key) {
  (void)instance;
  (void)key;
  return SR_OK;
}

static struct sr_plugin store_plugin;
static sr_instance store = {.plugin = &store_plugin, .name = "fuzz"};
static struct ev_loop *loop;
static sr_worker_pool *pool;

static const char *const uuids[] = {
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "cccccccccccccccccccccccccccccccc", "dddddddddddddddddddddddddddddddd"};
static const int states[] = {SCOUT_JOB_HELD, SCOUT_JOB_RELEASING, SCOUT_JOB_PRINTED,
                             SCOUT_JOB_CANCELED};
static const char *const release_ids[] = {"", "r1", "r2", ""};

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet();
  store_plugin.decl.kind = SR_PLUGIN_STORAGE;
  store_plugin.ops.storage.remove = remove_nothing;
  loop = ev_loop_new(EVFLAG_AUTO);
  pool = loop ? sr_worker_pool_new(loop, 1, 4) : NULL;
  if (!pool)
    abort();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  scout_releaser r = {.loop = loop, .storage = &store, .jobs = scout_job_table_new(), .pool = pool};
  snprintf(r.evt_topic, sizeof r.evt_topic, "sr/v1/t/scouts/s/evt");
  for (size_t i = 0; i < sizeof uuids / sizeof *uuids; i++) {
    scout_job job = {.state = states[i], .copies = 1, .pages = 1};
    snprintf(job.store_key, sizeof job.store_key, "jobs/%s.srjob", uuids[i]);
    snprintf(job.release_id, sizeof job.release_id, "%s", release_ids[i]);
    if (scout_job_add(r.jobs, &job, &job) != SR_OK)
      abort();
  }
  scout_releaser_command(&r, (const char *)data, size);
  while (sr_worker_pool_pending(pool)) /* what the command left on the pool */
    ev_run(loop, EVRUN_ONCE);
  static const char *const printers[] = {"printer.example", "192.0.2.10", "[2001:db8::1]", NULL};
  r.printers = printers;
  char why[256];
  bool ok = scout_release_check_command(&r, (const char *)data, size, why, sizeof why);
  if (getenv("FUZZ_DEBUG")) /* what a seed reaches */
    fprintf(stderr, "would print: %s %s\n", ok ? "yes" : "no", ok ? "" : why);
  scout_job_table_free(r.jobs);
  return 0;
}
