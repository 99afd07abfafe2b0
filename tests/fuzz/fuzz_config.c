/*
 * The YAML configuration loader (core/config.c) and the service schemas
 * (core/service_config.c, core/config_schema.c): a configuration file is
 * written by people and may come from anywhere. The input is the file's
 * text; every document that parses is also checked against its service's
 * schema, as a service does at start.
 */
#include "config.h"
#include "fuzz_common.h"
#include "service_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_quiet();
  /* ${NAME} expansion reads the environment: give it something to read */
  setenv("SR_FUZZ_VALUE", "value-from-env", 1);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sr_config *doc = sr_config_load_string("fuzz.yaml", (const char *)data, size);
  if (!doc)
    return 0;
  for (size_t i = 0; i < sr_config_error_count(doc); i++)
    (void)sr_config_error(doc, i);
  sr_service_config cfg;
  (void)sr_service_config_apply(doc, &cfg);
  sr_config_free(doc);
  return 0;
}
