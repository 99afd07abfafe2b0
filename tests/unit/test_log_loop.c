/* Structured log lines and the libev loop's signal handling. */
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "loop.h"

/* Runs the log calls with stderr sent to a file; returns what was written. */
static void capture_log(char *out, size_t size) {
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  FILE *tmp = tmpfile();
  assert_non_null(tmp);
  dup2(fileno(tmp), STDERR_FILENO);

  sr_log_set_level(SR_LOG_WARN);
  sr_log(SR_LOG_INFO, "test", "below the level: not written");
  sr_log(SR_LOG_ERROR, "loader", "say \"hi\"\nsecond line\ttab");
  sr_log(SR_LOG_WARN, "cfg", "%d%%", 50);

  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  rewind(tmp);
  size_t n = fread(out, 1, size - 1, tmp);
  out[n] = '\0';
  fclose(tmp);
}

static void test_log_lines(void **state) {
  (void)state;
  char text[2048];
  capture_log(text, sizeof text);
  assert_null(strstr(text, "below the level"));
  regex_t re;
  assert_int_equal(
      regcomp(&re,
              "^ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "
              "level=error comp=loader msg=\"say \\\\\"hi\\\\\"\\\\nsecond line\\?tab\"\n"
              "ts=[^ ]+ level=warn comp=cfg msg=\"50%\"\n$",
              REG_EXTENDED),
      0);
  if (regexec(&re, text, 0, NULL, 0) != 0)
    fail_msg("unexpected log output:\n%s", text);
  regfree(&re);
  assert_int_equal(sr_log_level_parse("debug"), SR_LOG_DEBUG);
  assert_int_equal(sr_log_level_parse("loud"), -1);
}

/* The error lines kept for health reports: the newest few, oldest first,
 * errors only, cut to fit. */
static void test_recent_errors(void **state) {
  (void)state;
  sr_log_set_level(SR_LOG_DEBUG);
  char long_message[600];
  memset(long_message, 'x', sizeof long_message - 1);
  long_message[sizeof long_message - 1] = '\0';
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  FILE *sink = tmpfile();
  dup2(fileno(sink), STDERR_FILENO); /* the lines are not the test's output */
  for (int i = 1; i <= SR_LOG_RECENT_ERRORS + 2; i++)
    sr_log(SR_LOG_ERROR, "net", "failure %d", i);
  sr_log(SR_LOG_WARN, "net", "a warning is not kept");
  sr_log(SR_LOG_ERROR, "big", "%s", long_message);
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  fclose(sink);

  sr_log_error got[SR_LOG_RECENT_ERRORS + 3];
  size_t n = sr_log_recent_errors(got, SR_LOG_RECENT_ERRORS + 3);
  assert_int_equal(n, SR_LOG_RECENT_ERRORS);
  /* the newest five: failures 4 to 7, then the long one, cut with "..." */
  char want[64];
  for (size_t i = 0; i + 1 < n; i++) {
    snprintf(want, sizeof want, "net: failure %zu", i + 4);
    assert_string_equal(got[i].message, want);
    assert_true(got[i].at > 1700000000);
  }
  assert_int_equal(strlen(got[n - 1].message), sizeof got[n - 1].message - 1);
  assert_string_equal(got[n - 1].message + sizeof got[n - 1].message - 4, "...");
  assert_int_equal(strncmp(got[n - 1].message, "big: xxx", 8), 0);
  /* fewer asked: the newest of them */
  assert_int_equal(sr_log_recent_errors(got, 2), 2);
  assert_string_equal(got[0].message, "net: failure 7");
}

static int timer_fired;
static void on_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)w, (void)revents;
  timer_fired++;
  raise(SIGTERM); /* as `kill` would: the loop must stop, not the process */
}

static void test_loop_stops_on_sigterm(void **state) {
  (void)state;
  struct ev_loop *loop = sr_loop_default();
  assert_non_null(loop);
  sr_loop_stop_on_signals(loop);
  ev_timer timer;
  ev_timer_init(&timer, on_timer, 0.01, 0.01); /* repeating: only the signal ends the run */
  ev_timer_start(loop, &timer);
  ev_run(loop, 0);
  assert_int_equal(timer_fired, 1);
  ev_timer_stop(loop, &timer);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_lines),
      cmocka_unit_test(test_recent_errors),
      cmocka_unit_test(test_loop_stops_on_sigterm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
