/* Delivery through the transport chain ipps -> ipp -> raw against real
 * printers: which transport prints, fallback only while nothing was sent,
 * and a clear reason when no transport could reach the printer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memory_source.h"

#include "delivery.h"
#include "printer.h"
#include "raw_sink.h"

static sr_test_printer printer;
static sr_test_raw_sink sink;
static sr_loader *loader;
static sr_config *cfg;
static sr_instance *chain[3];
static int closed_port;

static int group_setup(void **state) {
  (void)state;
  if (!sr_test_printer_start(&printer) || !sr_test_raw_sink_start(&sink))
    return -1;
  closed_port = sr_test_free_port();
  char yaml[1024];
  snprintf(yaml, sizeof yaml,
           "transports:\n"
           "  - plugin: ipps\n"
           "    config: {ca_file: %s/ca.crt}\n"
           "  - plugin: ipp\n"
           "  - plugin: raw\n"
           "    config: {connect_timeout_ms: 1000}\n",
           printer.ssl);
  cfg = sr_config_load_string("chain.yaml", yaml, strlen(yaml));
  loader = sr_loader_new(NULL);
  sr_loader_add_path(loader, SR_TEST_PLUGIN_DIR);
  sr_loader_add_path(loader, SR_TEST_FIXTURE_DIR);
  const sr_config_node *list = sr_config_get(sr_config_root(cfg), "transports");
  char err[512];
  for (size_t i = 0; i < 3; i++)
    if (sr_instance_create(loader, SR_PLUGIN_TRANSPORT, list->items[i], &chain[i], err,
                           sizeof err) != SR_OK) {
      print_message("%s\n", err);
      return -1;
    }
  return 0;
}

static int group_teardown(void **state) {
  (void)state;
  for (size_t i = 0; i < 3; i++)
    sr_instance_destroy(chain[i]);
  sr_loader_free(loader);
  sr_config_free(cfg);
  sr_test_raw_sink_stop(&sink);
  sr_test_printer_stop(&printer);
  return 0;
}

static const sr_job_attrs attrs = {.struct_size = sizeof(sr_job_attrs),
                                   .job_name = "chain",
                                   .document_format = "application/pdf",
                                   .copies = 1};

static void make_uris(char uris[3][128], int ipps_port, int ipp_port, int raw_port) {
  snprintf(uris[0], 128, "ipps://localhost:%d/ipp/print", ipps_port);
  snprintf(uris[1], 128, "ipp://localhost:%d/ipp/print", ipp_port);
  snprintf(uris[2], 128, "socket://127.0.0.1:%d", raw_port);
}

static int deliver(char uris[3][128], sr_test_source *s, sr_delivery_result *r) {
  const char *list[3] = {uris[0], uris[1], uris[2]};
  sr_delivery_source src = {sr_test_source_read, sr_test_source_rewind, s};
  sr_delivery_options o = {.job_timeout_ms = 10000, .poll_interval_ms = 20};
  return sr_deliver(chain, 3, list, 3, &attrs, &src, &o, r);
}

static void test_ipps_first(void **state) {
  (void)state;
  char uris[3][128];
  make_uris(uris, printer.port, printer.port, sink.port);
  sr_test_source s = {(const uint8_t *)"%PDF-1.4 first", 14, 0, 0};
  sr_delivery_result r;
  assert_int_equal(deliver(uris, &s, &r), SR_OK);
  assert_string_equal(r.transport, "ipps");
  assert_int_equal(r.state, SR_PRINT_COMPLETED);
  assert_int_equal(sr_test_raw_sink_files(&sink, NULL, 0), 0);
}

static void test_falls_back_to_ipp_then_raw(void **state) {
  (void)state;
  char uris[3][128], expected[160];
  /* the printer's IPPS port is closed: plain IPP prints */
  make_uris(uris, closed_port, printer.port, sink.port);
  sr_test_source s = {(const uint8_t *)"%PDF-1.4 second", 15, 0, 0};
  sr_delivery_result r;
  assert_int_equal(deliver(uris, &s, &r), SR_OK);
  assert_string_equal(r.transport, "ipp");
  snprintf(expected, sizeof expected, "ipps: cannot connect to localhost:%d with TLS", closed_port);
  assert_non_null(strstr(r.reason, expected));
  assert_int_equal(s.rewinds, 0); /* ipps never read the document */

  /* no IPP at all: RAW prints, byte for byte */
  make_uris(uris, closed_port, closed_port, sink.port);
  sr_test_source raw = {(const uint8_t *)"%!PS-Adobe-3.0 raw", 18, 0, 0};
  assert_int_equal(deliver(uris, &raw, &r), SR_OK);
  assert_string_equal(r.transport, "raw");
  assert_int_equal(r.state, SR_PRINT_UNKNOWN);
  char path[256];
  assert_int_equal(sr_test_raw_sink_files(&sink, path, sizeof path), 1);
  assert_true(sr_test_wait_file_size(path, 18, 5000));
  size_t n;
  char *got = sr_test_read_file(path, &n);
  assert_memory_equal(got, "%!PS-Adobe-3.0 raw", 18);
  free(got);
}

static void test_no_fallback_once_the_printer_took_bytes(void **state) {
  (void)state;
  char uris[3][128];
  make_uris(uris, closed_port, printer.port, sink.port);
  int before = sr_test_raw_sink_files(&sink, NULL, 0);
  /* IPP takes the document, then refuses its format: RAW must not print it */
  sr_job_attrs gif = attrs;
  gif.document_format = "image/gif";
  sr_test_source s = {(const uint8_t *)"GIF89a....", 10, 0, 0};
  const char *list[3] = {uris[0], uris[1], uris[2]};
  sr_delivery_source src = {sr_test_source_read, sr_test_source_rewind, &s};
  sr_delivery_result r;
  assert_int_equal(sr_deliver(chain, 3, list, 3, &gif, &src, NULL, &r), SR_ERR_PEER);
  assert_string_equal(r.transport, "ipp");
  assert_non_null(strstr(r.reason, "did not accept the job"));
  usleep(200000);
  assert_int_equal(sr_test_raw_sink_files(&sink, NULL, 0), before);
}

static void test_unreachable_printer(void **state) {
  (void)state;
  char uris[3][128];
  make_uris(uris, closed_port, closed_port, closed_port);
  sr_test_source s = {(const uint8_t *)"%PDF", 4, 0, 0};
  sr_delivery_result r;
  assert_int_equal(deliver(uris, &s, &r), SR_ERR_CONNECT);
  /* every transport is named with its reason, in order */
  char *ipps = strstr(r.reason, "ipps: cannot connect");
  char *ipp = strstr(r.reason, "; ipp: cannot connect");
  char *raw = strstr(r.reason, "; raw: cannot connect to 127.0.0.1:");
  assert_true(ipps && ipp && raw && ipps < ipp && ipp < raw);

  /* a printer with only a RAW URI: IPP transports are skipped, said so */
  const char *only_raw[1] = {uris[2]};
  sr_delivery_source src = {sr_test_source_read, sr_test_source_rewind, &s};
  assert_int_equal(sr_deliver(chain, 3, only_raw, 1, &attrs, &src, NULL, &r), SR_ERR_CONNECT);
  assert_non_null(strstr(r.reason, "ipps: the printer has no URI for it"));
}

/* A printer busy with another job answers "busy": the delivery says so
 * (SR_ERR_BUSY) and falls back to no other transport, since the printer
 * is there and will take the job shortly; once free, it prints it. */
static void test_busy_printer_is_no_reason_to_fall_back(void **state) {
  (void)state;
  char hold[128], uris[3][128];
  snprintf(hold, sizeof hold, "%s/hold", printer.dir);
  FILE *f = fopen(hold, "w");
  assert_non_null(f);
  fclose(f);
  /* the printer takes a first job and stays busy with it */
  const sr_transport_ops *ipp = &sr_instance_ops_of(chain[1])->transport;
  char first_uri[128];
  snprintf(first_uri, sizeof first_uri, "ipp://localhost:%d/ipp/print", printer.port);
  void *first = NULL;
  assert_int_equal(ipp->open(chain[1]->state, first_uri, &first), SR_OK);
  sr_test_source a = {(const uint8_t *)"%PDF-1.7 first", 14, 0, 0};
  assert_int_equal(ipp->send(first, &attrs, sr_test_source_read, &a), SR_OK);
  sr_transport_status st = {.struct_size = sizeof st};
  for (int i = 0; i < 500 && st.state != SR_PRINT_PROCESSING; i++) {
    assert_int_equal(ipp->job_state(first, &st), SR_OK);
    usleep(10000);
  }
  assert_int_equal(st.state, SR_PRINT_PROCESSING);

  make_uris(uris, closed_port, printer.port, sink.port);
  int raw_before = sr_test_raw_sink_files(&sink, NULL, 0);
  sr_test_source b = {(const uint8_t *)"%PDF-1.7 second", 15, 0, 0};
  sr_delivery_result r;
  assert_int_equal(deliver(uris, &b, &r), SR_ERR_BUSY);
  assert_string_equal(r.transport, "ipp");
  assert_non_null(strstr(r.reason, "busy"));
  /* sr_deliver returned: had it tried RAW, the sink would have the file */
  assert_int_equal(sr_test_raw_sink_files(&sink, NULL, 0), raw_before);

  /* the first job ends; the same document now prints over IPP */
  unlink(hold);
  for (int i = 0; i < 1000 && st.state != SR_PRINT_COMPLETED; i++) {
    assert_int_equal(ipp->job_state(first, &st), SR_OK);
    usleep(10000);
  }
  assert_int_equal(st.state, SR_PRINT_COMPLETED);
  ipp->close(first);
  b.off = 0;
  assert_int_equal(deliver(uris, &b, &r), SR_OK);
  assert_string_equal(r.transport, "ipp");
}

/* Once the printer has the document, it is sent nowhere else and not
 * again: SR_ERR_CONNECT or SR_ERR_BUSY from job_state is a failure, not a
 * reason to fall back to the next transport or to retry later. */
static void test_job_state_failure_sends_the_document_nowhere_else(void **state) {
  (void)state;
  static const char *const answers[] = {"connect", "busy"};
  for (size_t i = 0; i < 2; i++) {
    char yaml[256];
    snprintf(yaml, sizeof yaml, "transports:\n  - plugin: jobstate\n    config: {job_state: %s}\n",
             answers[i]);
    sr_config *own = sr_config_load_string("jobstate.yaml", yaml, strlen(yaml));
    const sr_config_node *list = sr_config_get(sr_config_root(own), "transports");
    sr_instance *jobstate = NULL;
    char err[512];
    assert_int_equal(
        sr_instance_create(loader, SR_PLUGIN_TRANSPORT, list->items[0], &jobstate, err, sizeof err),
        SR_OK);
    sr_instance *two[2] = {jobstate, chain[2]};
    char raw[128];
    snprintf(raw, sizeof raw, "socket://127.0.0.1:%d", sink.port);
    const char *uris[2] = {"fx://printer", raw};
    int raw_before = sr_test_raw_sink_files(&sink, NULL, 0);
    sr_test_source s = {(const uint8_t *)"%PDF-1.7 once", 13, 0, 0};
    sr_delivery_source src = {sr_test_source_read, sr_test_source_rewind, &s};
    sr_delivery_result r;
    assert_int_equal(sr_deliver(two, 2, uris, 2, &attrs, &src, NULL, &r), SR_ERR_PEER);
    assert_string_equal(r.transport, "jobstate");
    assert_non_null(strstr(r.reason, "the printer stopped answering about the job"));
    /* sr_deliver returned: had it fallen back to RAW, the sink would have it */
    assert_int_equal(sr_test_raw_sink_files(&sink, NULL, 0), raw_before);
    sr_instance_destroy(jobstate);
    sr_config_free(own);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipps_first),
      cmocka_unit_test(test_falls_back_to_ipp_then_raw),
      cmocka_unit_test(test_no_fallback_once_the_printer_took_bytes),
      cmocka_unit_test(test_unreachable_printer),
      cmocka_unit_test(test_busy_printer_is_no_reason_to_fall_back),
      cmocka_unit_test(test_job_state_failure_sends_the_document_nowhere_else),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
