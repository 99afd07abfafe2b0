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
    "                           check a job file and show its information\n"
    "  submit FILE --queue URI  print a file to a print scout's queue (held until released)\n"
    "\n"
    "administration (--cloud URL --ca FILE --token-file FILE, or SR_CLOUD_URL,\n"
    "SR_CLOUD_CA, SR_TOKEN_FILE; --json for machine-readable output):\n"
    "  tenant create ID [--name NAME] [--token-out FILE]   (the operator's token)\n"
    "  user add --email EMAIL [--name N] [--card NUMBER] [--pin DIGITS]\n"
    "           [--secret-file FILE --tenant ID]   card and PIN are hashed here\n"
    "  user list\n"
    "  device add ID --uri URI [--uri URI...] [--snmp HOST:PORT] [--name NAME]\n"
    "  device list\n"
    "  scout enroll --kind print|site [--name NAME] [--user EMAIL] [--directory]\n"
    "                           a one-time token; --directory: a print scout's logins\n"
    "                           name job owners, a site may log in directory users\n"
    "  scout list | scout remove ID   remove revokes its certificate (HTTPS and MQTT)\n"
    "  jobs                     every job of the tenant and its state\n"
    "  delegate add --from EMAIL --to EMAIL [--until TIME]   let a colleague release\n"
    "  delegate list | delegate remove ID\n";

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
  if (argc >= 2 && strcmp(argv[1], "submit") == 0)
    return srctl_submit(argc - 2, argv + 2);
  static const char *const nouns[] = {"tenant", "user",     "device", "scout",
                                      "jobs",   "delegate", NULL};
  for (int i = 0; argc >= 2 && nouns[i]; i++)
    if (strcmp(argv[1], nouns[i]) == 0)
      return srctl_admin(argv[1], argc - 2, argv + 2);
  if (argc >= 2)
    fprintf(stderr, "srctl: unknown command '%s'\n", argv[1]);
  fputs(usage, stderr);
  return SRCTL_EXIT_USAGE;
}
