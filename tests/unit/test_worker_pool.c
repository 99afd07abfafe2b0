/* The worker pool: blocking work on its threads, results on the loop's
 * thread, a bounded queue, and a loop that keeps running meanwhile. */
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sr/abi.h"
#include "worker_pool.h"

static pthread_t loop_thread;

typedef struct job {
  sem_t *started; /* posted when work begins, if set */
  sem_t *gate;    /* work waits on it, if set */
  bool worked_off_loop;
  bool done_on_loop;
  int done_calls;
  int *done_order; /* where to record the order done ran in */
  int *done_count;
} job;

static void work(void *arg) {
  job *j = arg;
  j->worked_off_loop = !pthread_equal(pthread_self(), loop_thread);
  if (j->started)
    sem_post(j->started);
  if (j->gate)
    sem_wait(j->gate);
}

static void done(void *arg) {
  job *j = arg;
  j->done_on_loop = pthread_equal(pthread_self(), loop_thread);
  j->done_calls++;
  if (j->done_count)
    *j->done_order = ++*j->done_count;
}

static int setup(void **state) {
  loop_thread = pthread_self();
  *state = ev_loop_new(EVFLAG_AUTO);
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  ev_loop_destroy(*state);
  return 0;
}

/* Every item works off the loop and finishes on it, each once; ev_run
 * returns by itself once the last is done (the pool holds the loop only
 * while work is in flight). */
static void test_results_on_the_loop(void **state) {
  sr_worker_pool *pool = sr_worker_pool_new(*state, 3, 64);
  assert_non_null(pool);
  job jobs[40];
  int order[40], count = 0;
  memset(jobs, 0, sizeof jobs);
  for (int i = 0; i < 40; i++) {
    jobs[i].done_order = &order[i];
    jobs[i].done_count = &count;
    assert_int_equal(sr_worker_pool_submit(pool, work, done, &jobs[i]), SR_OK);
  }
  assert_int_equal(sr_worker_pool_pending(pool), 40);
  ev_run(*state, 0);
  assert_int_equal(count, 40);
  assert_int_equal(sr_worker_pool_pending(pool), 0);
  for (int i = 0; i < 40; i++) {
    assert_true(jobs[i].worked_off_loop);
    assert_true(jobs[i].done_on_loop);
    assert_int_equal(jobs[i].done_calls, 1);
  }
  sr_worker_pool_free(pool);
}

/* One thread, two places in the queue: the fourth item is refused while
 * the first runs, and is never run; the others all are. */
static void test_queue_is_bounded(void **state) {
  sr_worker_pool *pool = sr_worker_pool_new(*state, 1, 2);
  sem_t started, gate;
  sem_init(&started, 0, 0);
  sem_init(&gate, 0, 0);
  job first = {.started = &started, .gate = &gate}, second = {0}, third = {0}, refused = {0};
  assert_int_equal(sr_worker_pool_submit(pool, work, done, &first), SR_OK);
  sem_wait(&started); /* the only worker is busy: the next ones wait */
  assert_int_equal(sr_worker_pool_submit(pool, work, done, &second), SR_OK);
  assert_int_equal(sr_worker_pool_submit(pool, work, done, &third), SR_OK);
  assert_int_equal(sr_worker_pool_submit(pool, work, done, &refused), SR_ERR_NOMEM);
  sem_post(&gate);
  ev_run(*state, 0);
  assert_int_equal(first.done_calls + second.done_calls + third.done_calls, 3);
  assert_int_equal(refused.done_calls, 0);
  assert_false(refused.worked_off_loop);
  sr_worker_pool_free(pool);
  sem_destroy(&started);
  sem_destroy(&gate);
}

/* While work blocks, the loop serves its other watchers: a timer fires
 * (and is what lets the work finish), then the result arrives. */
typedef struct unblock {
  ev_timer timer;
  sem_t *gate;
  sr_worker_pool *pool;
  size_t pending_when_fired;
  job *j;
  int done_calls_when_fired;
} unblock;

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  unblock *u = (unblock *)w;
  u->pending_when_fired = sr_worker_pool_pending(u->pool);
  u->done_calls_when_fired = u->j->done_calls;
  sem_post(u->gate);
}

static void test_loop_runs_while_work_blocks(void **state) {
  sr_worker_pool *pool = sr_worker_pool_new(*state, 1, 4);
  sem_t gate;
  sem_init(&gate, 0, 0);
  job j = {.gate = &gate};
  unblock u = {.gate = &gate, .pool = pool, .j = &j};
  assert_int_equal(sr_worker_pool_submit(pool, work, done, &j), SR_OK);
  ev_timer_init(&u.timer, on_timer, 0.001, 0);
  ev_timer_start(*state, &u.timer);
  ev_run(*state, 0);
  assert_int_equal(u.pending_when_fired, 1);    /* the work was still in flight */
  assert_int_equal(u.done_calls_when_fired, 0); /* and not done */
  assert_int_equal(j.done_calls, 1);            /* then it was */
  sr_worker_pool_free(pool);
  sem_destroy(&gate);
}

/* Freeing the pool finishes what was queued and calls every done. */
static void test_free_delivers_queued_work(void **state) {
  sr_worker_pool *pool = sr_worker_pool_new(*state, 2, 8);
  job jobs[6];
  memset(jobs, 0, sizeof jobs);
  for (int i = 0; i < 6; i++)
    assert_int_equal(sr_worker_pool_submit(pool, work, done, &jobs[i]), SR_OK);
  sr_worker_pool_free(pool);
  for (int i = 0; i < 6; i++) {
    assert_true(jobs[i].worked_off_loop);
    assert_int_equal(jobs[i].done_calls, 1);
    assert_true(jobs[i].done_on_loop);
  }
}

/* Stress, for ThreadSanitizer above all (scripts/test.sh's TSan pass):
 * thousands of items through a small queue and many threads, and a free
 * while most of a large queue still waits. Every item works once, off the
 * loop, and is done once, on it. */
typedef struct stress_item {
  sem_t *gate;       /* work waits on it first, if set */
  atomic_int worked; /* by worker threads */
  int done_calls;    /* loop thread only */
  bool done_on_loop;
} stress_item;

static atomic_int stress_worked_total;

static void stress_work(void *arg) {
  stress_item *it = arg;
  if (it->gate)
    sem_wait(it->gate);
  atomic_fetch_add(&it->worked, 1);
  atomic_fetch_add(&stress_worked_total, 1);
}

static void stress_done(void *arg) {
  stress_item *it = arg;
  it->done_calls++;
  it->done_on_loop = pthread_equal(pthread_self(), loop_thread);
}

static void assert_each_once(stress_item *items, int n) {
  assert_int_equal(atomic_load(&stress_worked_total), n);
  for (int i = 0; i < n; i++) {
    assert_int_equal(atomic_load(&items[i].worked), 1);
    assert_int_equal(items[i].done_calls, 1);
    assert_true(items[i].done_on_loop);
  }
}

#define STRESS_ITEMS 4000
static void test_stress_many_submissions(void **state) {
  static stress_item items[STRESS_ITEMS];
  memset(items, 0, sizeof items);
  atomic_store(&stress_worked_total, 0);
  /* the first 8 items hold the 8 threads until the queue has been full
   * once, so the bound is surely reached whatever the machine's speed */
  sem_t gate;
  sem_init(&gate, 0, 0);
  for (int i = 0; i < 8; i++)
    items[i].gate = &gate;
  sr_worker_pool *pool = sr_worker_pool_new(*state, 8, 32);
  assert_non_null(pool);
  int submitted = 0, busy = 0;
  while (submitted < STRESS_ITEMS) {
    if (sr_worker_pool_submit(pool, stress_work, stress_done, &items[submitted]) == SR_OK) {
      submitted++;
    } else {
      if (busy++ == 0)
        for (int i = 0; i < 8; i++)
          sem_post(&gate);
      /* full: wait for results (work is in flight, so an ev_async comes) */
      ev_run(*state, EVRUN_ONCE);
    }
  }
  ev_run(*state, 0); /* returns once the last is done */
  assert_int_equal(sr_worker_pool_pending(pool), 0);
  assert_each_once(items, STRESS_ITEMS);
  assert_true(busy > 0); /* the bound was reached: the queue was full at times */
  sr_worker_pool_free(pool);
  sem_destroy(&gate);
}

static void *open_gate(void *arg) {
  sem_t *gate = arg;
  for (int i = 0; i < STRESS_ITEMS; i++)
    sem_post(gate);
  return NULL;
}

static void test_stress_free_while_queued(void **state) {
  static stress_item items[STRESS_ITEMS];
  memset(items, 0, sizeof items);
  atomic_store(&stress_worked_total, 0);
  sem_t gate;
  sem_init(&gate, 0, 0);
  sr_worker_pool *pool = sr_worker_pool_new(*state, 4, STRESS_ITEMS);
  assert_non_null(pool);
  for (int i = 0; i < STRESS_ITEMS; i++) {
    items[i].gate = &gate;
    assert_int_equal(sr_worker_pool_submit(pool, stress_work, stress_done, &items[i]), SR_OK);
  }
  /* nothing has passed the gate: four items are taken, the rest queued; the
   * gate opens from another thread while this one frees the pool */
  assert_int_equal(atomic_load(&stress_worked_total), 0);
  pthread_t opener;
  assert_int_equal(pthread_create(&opener, NULL, open_gate, &gate), 0);
  sr_worker_pool_free(pool);
  pthread_join(opener, NULL);
  assert_each_once(items, STRESS_ITEMS);
  sem_destroy(&gate);
}

static void test_bad_arguments(void **state) {
  assert_null(sr_worker_pool_new(*state, 0, 4));
  assert_null(sr_worker_pool_new(*state, 65, 4));
  assert_null(sr_worker_pool_new(NULL, 1, 4));
  sr_worker_pool_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_results_on_the_loop, setup, teardown),
      cmocka_unit_test_setup_teardown(test_queue_is_bounded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_loop_runs_while_work_blocks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_delivers_queued_work, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stress_many_submissions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stress_free_while_queued, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
