/*
 * What the harnesses share: libFuzzer's entry points (declared here because
 * -Wmissing-prototypes style warnings want a prototype), quiet logging and
 * the fixed site key of the job file harness and its seed maker.
 */
#ifndef SR_FUZZ_COMMON_H
#define SR_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "site_key.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Log lines for every rejected input would drown the fuzzer's own output
 * and slow it down; findings are sanitizer reports, not log lines. */
static inline void fuzz_quiet(void) { sr_log_set_level(SR_LOG_ERROR + 1); }

/* LLVMFuzzerInitialize: quiet logs, then `setup` (a statement). */
#define FUZZ_INIT(setup)                                                                           \
  int LLVMFuzzerInitialize(int *argc, char ***argv) {                                              \
    (void)argc;                                                                                    \
    (void)argv;                                                                                    \
    fuzz_quiet();                                                                                  \
    setup;                                                                                         \
    return 0;                                                                                      \
  }
#define FUZZ_INIT_QUIET() FUZZ_INIT((void)0)

/* The job file harness's site key: a fixed secret and salt, so that the
 * seed files tests/fuzz/jobfile_seeds.c writes authenticate. Derived once
 * (PBKDF2 at the minimum iterations takes a moment). */
static inline sr_site_key *fuzz_site_key(void) {
  static sr_site_key *key;
  if (!key) {
    uint8_t secret[SR_SITE_SECRET_LEN], salt[SR_KDF_SALT_LEN];
    memset(secret, 0x5a, sizeof secret);
    memset(salt, 0xa5, sizeof salt);
    if (sr_site_key_derive(secret, salt, SR_KDF_MIN_ITERATIONS, &key) != 0)
      abort();
  }
  return key;
}

/* A NUL-terminated copy of the input, for parsers that take C strings;
 * the caller frees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    abort();
  memcpy(text, data, size);
  text[size] = '\0';
  return text;
}

#endif
