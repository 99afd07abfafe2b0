/* The print scout's job table (services/print-scout/job_table.c): a state
 * change is written only if the job is still in the state it was read in,
 * so a Cancel-Job and the end of the same job's upload, or a Cancel-Job and
 * a release command, cannot overwrite each other (issue 9 attack review,
 * finding 8). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "job_table.h"

#define RACERS 8

static int add_job(scout_job_table *t, scout_job_state state) {
  scout_job job = {.state = state, .copies = 1, .pages = -1};
  snprintf(job.user, sizeof job.user, "alice");
  snprintf(job.store_key, sizeof job.store_key, "jobs/00.srjob");
  scout_job added;
  assert_int_equal(scout_job_add(t, &job, &added), 0);
  return added.id;
}

static int state_of(scout_job_table *t, int id) {
  scout_job job;
  assert_true(scout_job_get(t, id, &job));
  return job.state;
}

/* The owner cancels while the document still comes: the upload's end finds
 * the job canceled and its "held" is not written. */
static void test_cancel_during_upload_stands(void **state) {
  (void)state;
  scout_job_table *t = scout_job_table_new();
  int id = add_job(t, SCOUT_JOB_INCOMING);
  scout_job upload, cancel;
  assert_true(scout_job_get(t, id, &upload)); /* both read it incoming */
  assert_true(scout_job_get(t, id, &cancel));
  cancel.state = SCOUT_JOB_CANCELED;
  assert_true(scout_job_transition(t, &cancel, SCOUT_JOB_INCOMING));
  upload.state = SCOUT_JOB_HELD;
  upload.size = 1234;
  assert_false(scout_job_transition(t, &upload, SCOUT_JOB_INCOMING));
  scout_job now;
  assert_true(scout_job_get(t, id, &now));
  assert_int_equal(now.state, SCOUT_JOB_CANCELED);
  assert_int_equal(now.size, 0); /* nothing of the losing copy was written */
  scout_job_table_free(t);
}

/* A release command and a Cancel-Job both read the job held: the release
 * wins, the cancel is refused and the job stays releasing (its file is
 * not removed under the printer). */
static void test_cancel_loses_to_release(void **state) {
  (void)state;
  scout_job_table *t = scout_job_table_new();
  int id = add_job(t, SCOUT_JOB_HELD);
  scout_job release, cancel;
  assert_true(scout_job_get(t, id, &release));
  assert_true(scout_job_get(t, id, &cancel));
  release.state = SCOUT_JOB_RELEASING;
  snprintf(release.release_id, sizeof release.release_id, "r-1");
  assert_true(scout_job_transition(t, &release, SCOUT_JOB_HELD));
  cancel.state = SCOUT_JOB_CANCELED;
  assert_false(scout_job_transition(t, &cancel, SCOUT_JOB_HELD));
  assert_int_equal(state_of(t, id), SCOUT_JOB_RELEASING);
  /* the release ends: releasing -> printed goes through */
  release.state = SCOUT_JOB_PRINTED;
  assert_true(scout_job_transition(t, &release, SCOUT_JOB_RELEASING));
  assert_int_equal(state_of(t, id), SCOUT_JOB_PRINTED);
  scout_job_table_free(t);
}

/* The announcer's mark is kept when another thread writes a copy read
 * before it; an unknown job is refused. */
static void test_announced_kept_unknown_refused(void **state) {
  (void)state;
  scout_job_table *t = scout_job_table_new();
  int id = add_job(t, SCOUT_JOB_HELD);
  scout_job old;
  assert_true(scout_job_get(t, id, &old));
  scout_job_mark_announced(t, id);
  old.state = SCOUT_JOB_RELEASING;
  assert_true(scout_job_transition(t, &old, SCOUT_JOB_HELD));
  scout_job now;
  assert_true(scout_job_get(t, id, &now));
  assert_true(now.announced);
  old.id = id + 100;
  assert_false(scout_job_transition(t, &old, SCOUT_JOB_RELEASING));
  scout_job_table_free(t);
}

/* The cloud's expiry, set by the announcer while another thread moves the
 * job with an older copy, is kept; before the cloud said, the scout's own
 * hold time counts from the job's creation. */
static void test_expiry_kept_and_default(void **state) {
  (void)state;
  scout_job_table *t = scout_job_table_new();
  int id = add_job(t, SCOUT_JOB_HELD);
  scout_job old, now;
  assert_true(scout_job_get(t, id, &old));
  old.created = 1000;
  assert_true(scout_job_transition(t, &old, SCOUT_JOB_HELD));
  assert_true(scout_job_get(t, id, &now));
  assert_int_equal(scout_job_expiry(&now, 3600), 4600);
  scout_job_set_expiry(t, id, 2000);
  old.state = SCOUT_JOB_EXPIRED;
  assert_true(scout_job_transition(t, &old, SCOUT_JOB_HELD));
  assert_true(scout_job_get(t, id, &now));
  assert_int_equal(now.expires, 2000);
  assert_int_equal(scout_job_expiry(&now, 3600), 2000);
  scout_job_table_free(t);
}

typedef struct racer {
  scout_job_table *table;
  int id;
  int to;
  pthread_barrier_t *start;
  bool won;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  scout_job job; /* read before the others move it: no cmocka asserts off the main thread */
  bool read = scout_job_get(r->table, r->id, &job);
  job.state = r->to;
  pthread_barrier_wait(r->start);
  r->won = read && scout_job_transition(r->table, &job, SCOUT_JOB_HELD);
  return NULL;
}

/* Threads all moving the same held job at once: exactly one wins and the
 * table holds its state. */
static void test_one_winner_among_threads(void **state) {
  (void)state;
  for (int round = 0; round < 200; round++) {
    scout_job_table *t = scout_job_table_new();
    int id = add_job(t, SCOUT_JOB_HELD);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, RACERS);
    racer racers[RACERS];
    pthread_t threads[RACERS];
    for (int i = 0; i < RACERS; i++) {
      racers[i] = (racer){t, id, i % 2 ? SCOUT_JOB_CANCELED : SCOUT_JOB_RELEASING, &start, false};
      assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int winners = 0, winner_state = -1;
    for (int i = 0; i < RACERS; i++) {
      pthread_join(threads[i], NULL);
      if (racers[i].won) {
        winners++;
        winner_state = racers[i].to;
      }
    }
    assert_int_equal(winners, 1);
    assert_int_equal(state_of(t, id), winner_state);
    pthread_barrier_destroy(&start);
    scout_job_table_free(t);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cancel_during_upload_stands),
      cmocka_unit_test(test_cancel_loses_to_release),
      cmocka_unit_test(test_announced_kept_unknown_refused),
      cmocka_unit_test(test_expiry_kept_and_default),
      cmocka_unit_test(test_one_winner_among_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
