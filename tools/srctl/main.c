/* srctl: the securerelease command-line client. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const char usage[] =
    "usage: srctl COMMAND ...\n"
    "\n"
    "  config check FILE...     validate service configuration files (exit 2 on errors)\n"
    "  plugin inspect FILE.so   show a plugin's declaration, or why it cannot load\n"
    "  secret generate          make a new site secret (show it to the administrator once)\n"
    "  job show FILE --secret-file PATH [--tenant ID] [--document OUT]\n"
    "                           check a job file and show its information\n";

int main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    fputs(usage, stdout);
    return 0;
  }
  if (argc >= 2 && strcmp(argv[1], "config") == 0)
    return srctl_config(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "plugin") == 0)
    return srctl_plugin(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "job") == 0)
    return srctl_job(argc - 2, argv + 2);
  if (argc >= 2 && strcmp(argv[1], "secret") == 0)
    return srctl_secret(argc - 2, argv + 2);
  if (argc >= 2)
    fprintf(stderr, "srctl: unknown command '%s'\n", argv[1]);
  fputs(usage, stderr);
  return SRCTL_EXIT_USAGE;
}
