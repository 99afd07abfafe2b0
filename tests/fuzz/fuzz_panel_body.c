#include "fuzz_common.h"
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t s) { (void)d; (void)s; return 0; }
int LLVMFuzzerInitialize(int *c, char ***v) { (void)c; (void)v; return 0; }
