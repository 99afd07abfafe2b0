/* The print scout's printer attributes as Get-Printer-Attributes copies them
 * into a response (services/print-scout/ipp_attributes.c): a whole copy says
 * exactly what the queue's set says, requested-attributes picks from it, and
 * responses written on several threads at once each come out whole, as their
 * Content-Length promises (issue 9: a shared collection once made one
 * response short and its client wait in vain). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "ipp_attributes.h"

#define WRITERS 4
#define WRITES_EACH 200

typedef struct bytes {
  unsigned char *data;
  size_t len;
} bytes;

/* `ipp` as it goes on the wire (written through a memory file, as a
 * connection writes it to its socket); the caller frees .data. */
static bytes wire(ipp_t *ipp) {
  bytes b = {0};
  int fd = memfd_create("ipp-wire", MFD_CLOEXEC);
  ippSetState(ipp, IPP_STATE_IDLE);
  off_t len = fd >= 0 && ippWriteFile(fd, ipp) == IPP_STATE_DATA ? lseek(fd, 0, SEEK_CUR) : -1;
  if (len > 0 && (b.data = malloc((size_t)len)) && pread(fd, b.data, (size_t)len, 0) == len)
    b.len = (size_t)len;
  if (fd >= 0)
    close(fd);
  return b;
}

static ipp_t *queue_attributes(void) {
  return scout_printer_attributes("ipp://127.0.0.1:631/ipp/print", "test-queue",
                                  "urn:uuid:00000000-0000-0000-0000-000000000001",
                                  "http://127.0.0.1:631/", 4, 8); /* PIN jobs on, as by default */
}

/* True if a collection value of `a` (at any depth) is one of `b`'s. */
static bool shares_collection(ipp_t *a, ipp_t *b) {
  for (ipp_attribute_t *x = ippFirstAttribute(a); x; x = ippNextAttribute(a)) {
    if (ippGetValueTag(x) != IPP_TAG_BEGIN_COLLECTION)
      continue;
    ipp_attribute_t *y = ippFindAttribute(b, ippGetName(x), IPP_TAG_BEGIN_COLLECTION);
    for (int i = 0; y && i < ippGetCount(x) && i < ippGetCount(y); i++)
      if (ippGetCollection(x, i) == ippGetCollection(y, i) ||
          shares_collection(ippGetCollection(x, i), ippGetCollection(y, i)))
        return true;
  }
  return false;
}

static void whole_copy_says_the_same_and_shares_no_collection(void **state) {
  (void)state;
  ipp_t *queue = queue_attributes();
  ipp_t *response = ippNew();
  scout_printer_attributes_copy(response, queue, NULL);
  bytes want = wire(queue), got = wire(response);
  assert_true(want.len > 1000);
  assert_int_equal(got.len, want.len);
  assert_memory_equal(got.data, want.data, want.len);
  assert_non_null(ippFindAttribute(response, "media-col-database", IPP_TAG_BEGIN_COLLECTION));
  assert_false(shares_collection(response, queue));
  free(want.data);
  free(got.data);
  ippDelete(response);
  ippDelete(queue);
}

static int compare_names(void *a, void *b, void *data) {
  (void)data;
  return strcmp(a, b);
}

static void requested_attributes_pick_from_the_set(void **state) {
  (void)state;
  ipp_t *queue = queue_attributes();
  ipp_t *response = ippNew();
  cups_array_t *requested = cupsArrayNew(compare_names, NULL);
  cupsArrayAdd(requested, "media-col-default");
  cupsArrayAdd(requested, "printer-name");
  scout_printer_attributes_copy(response, queue, requested);
  int count = 0;
  for (ipp_attribute_t *a = ippFirstAttribute(response); a; a = ippNextAttribute(response))
    count++;
  assert_int_equal(count, 2);
  assert_string_equal(
      ippGetString(ippFindAttribute(response, "printer-name", IPP_TAG_NAME), 0, NULL),
      "test-queue");
  ipp_attribute_t *col = ippFindAttribute(response, "media-col-default", IPP_TAG_BEGIN_COLLECTION);
  assert_non_null(col);
  assert_string_equal(
      ippGetString(ippFindAttribute(ippGetCollection(col, 0), "media-size-name", IPP_TAG_KEYWORD),
                   0, NULL),
      "iso_a4_210x297mm");
  cupsArrayDelete(requested);
  ippDelete(response);
  ippDelete(queue);
}

typedef struct writer {
  ipp_t *queue;      /* shared, as the connection threads share it */
  const bytes *want; /* the queue's set on the wire */
  int whole;         /* responses that came out exactly as `want` */
} writer;

/* As a connection thread: copy into a response, then write it out. */
static void *write_responses(void *arg) {
  writer *w = arg;
  for (int i = 0; i < WRITES_EACH; i++) {
    ipp_t *response = ippNew();
    scout_printer_attributes_copy(response, w->queue, NULL);
    size_t promised = ippLength(response);
    bytes got = wire(response);
    if (got.len == promised && got.len == w->want->len &&
        memcmp(got.data, w->want->data, got.len) == 0)
      w->whole++;
    free(got.data);
    ippDelete(response);
  }
  return NULL;
}

static void responses_written_at_once_each_come_out_whole(void **state) {
  (void)state;
  ipp_t *queue = queue_attributes();
  bytes want = wire(queue);
  writer writers[WRITERS];
  pthread_t threads[WRITERS];
  for (int i = 0; i < WRITERS; i++) {
    writers[i] = (writer){.queue = queue, .want = &want};
    assert_int_equal(pthread_create(&threads[i], NULL, write_responses, &writers[i]), 0);
  }
  for (int i = 0; i < WRITERS; i++) {
    pthread_join(threads[i], NULL);
    assert_int_equal(writers[i].whole, WRITES_EACH);
  }
  free(want.data);
  ippDelete(queue);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(whole_copy_says_the_same_and_shares_no_collection),
      cmocka_unit_test(requested_attributes_pick_from_the_set),
      cmocka_unit_test(responses_written_at_once_each_come_out_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
