/* srctl: the securerelease command-line client. */
#include <stdio.h>
#include <string.h>

#include "cloud_session.h"
#include "commands.h"

#define REMOVED "removed"
static const srctl_command commands[] = {
    {"config", "check", "config check FILE...",
     "validate service configuration files (exit 2 on errors)", srctl_config_check, NULL, NULL},
    {"plugin", "inspect", "plugin inspect FILE.so",
     "show a plugin's declaration, or why it cannot load", srctl_plugin_inspect, NULL, NULL},
    {"secret", "generate", "secret generate",
     "make a new site secret (show it to the administrator once)", srctl_secret_generate, NULL,
     NULL},
    {"secret", "key", "secret key --secret-file PATH [--tenant ID]",
     "the site's public submission key and its fingerprint (what browsers seal uploads with)",
     srctl_secret_key, NULL, NULL},
    {"job", "show", "job show FILE --secret-file PATH [--tenant ID] [--document OUT]",
     "check a job file and show its information", srctl_job_show, NULL, NULL},
    {"submit", NULL,
     "submit FILE --queue URI [--title TITLE] [--copies N]\n"
     "        [--sides one-sided|two-sided-long-edge|two-sided-short-edge]\n"
     "        [--color color|monochrome] [--format MIME] [--user LOGIN]",
     "print a file to a print scout's queue (held until released; or set SR_QUEUE)", srctl_submit,
     NULL, NULL},
    {"tenant", "create", "tenant create ID [--name NAME] [--token-out FILE]",
     "a tenant and its administrator token (with the operator's token)", srctl_tenant_create, NULL,
     NULL},
    {"console", "link", "console link --email EMAIL [--role ROLE] [--tenant ID]",
     "a one-time sign-in link to the web console (10 minutes) for a user of the tenant;\n"
     "      ROLE: administrator (default), helpdesk, readonly or user; --tenant with\n"
     "      the operator's token",
     srctl_console_link, NULL, NULL},
    {"user", "add",
     "user add --email EMAIL [--name NAME] [--card NUMBER] [--pin DIGITS]\n"
     "        [--secret-file FILE] [--card-format decimal|hex|raw] [--pin-length N]\n"
     "        [--tenant ID] [--region REGION]",
     "a user; card and PIN are hashed here with the site secret of the token's tenant\n"
     "      (--tenant, if given, must be that tenant)",
     srctl_user_add, NULL, NULL},
    {"user", "list", "user list", "the tenant's users", srctl_list, "users", NULL},
    {"user", "set", "user set ID --region REGION|none",
     "the region a user's jobs go to (none: the site's or the tenant's)", srctl_assign, "users",
     NULL},
    {"user", "remove", "user remove ID", "remove a user (its id from user list)", srctl_remove,
     "users", REMOVED},
    {"device", "add",
     "device add ID --uri URI [--uri URI...] [--snmp HOST:PORT] [--name NAME]\n"
     "        [--location TEXT]",
     "a printer: ipps://, ipp:// or socket:// addresses, its SNMP agent, where it stands",
     srctl_device_add, NULL, NULL},
    {"device", "list", "device list", "the tenant's printers", srctl_list, "devices", NULL},
    {"device", "set", "device set ID [--name NAME] [--location TEXT|none]",
     "what a printer's label shows: its name, where it stands (none: no location)",
     srctl_device_set, NULL, NULL},
    {"device", "remove", "device remove ID", "remove a printer", srctl_remove, "devices", REMOVED},
    {"device", "label",
     "device label ID...|--all [--format pdf|svg|terminal] [--paper a4|letter]\n"
     "        [--out FILE] [--base-url https://HOST:PORT]",
     "a sheet of labels to stick on printers: name, location, the QR code of the\n"
     "      release page (labels.pdf; SVG: a file per sheet; terminal: the codes here)",
     srctl_device_label, NULL, NULL},
    {"device", "discovered", "device discovered [--state new|known|vanished]",
     "what the sites' scans found (new: not accepted yet; known: a device; vanished:\n"
     "      absent from the last complete scan)",
     srctl_device_discovered, NULL, NULL},
    {"device", "accept", "device accept DISCOVERED [--id ID] [--name NAME]",
     "make a discovered printer a release device (its URIs and SNMP agent as found)",
     srctl_device_accept, NULL, NULL},
    {"device", "status", "device status ID",
     "what monitoring last read from a printer: status, alerts, meters, supplies",
     srctl_device_status, NULL, NULL},
    {"device", "history", "device history ID [--kind status|alerts|meters|supplies] [--since TIME]",
     "the changes monitoring recorded for a printer, oldest first", srctl_device_history, NULL,
     NULL},
    {"scout", "enroll",
     "scout enroll --kind print|site [--name NAME] [--user EMAIL] [--directory]\n"
     "        [--region REGION (site)] [--site SITE-ID (print)]",
     "a one-time enrollment token; --directory: a print scout's logins name job\n"
     "      owners, a site may log in directory users; --region: a site's region;\n"
     "      --site: the site a print scout prints at",
     srctl_scout_enroll, NULL, NULL},
    {"scout", "set",
     "scout set ID [--region REGION|none] [--site SITE-ID|none] [--serve-others yes|no]",
     "a site's region, or the site a print scout belongs to; --serve-others: allow\n"
     "      a print scout to print others' released jobs (crowdsource)",
     srctl_assign, "scouts", NULL},
    {"site", "keys", "site keys",
     "each site's public submission key fingerprint, as the cloud publishes it to browsers",
     srctl_site_keys, NULL, NULL},
    {"region", "list", "region list", "the cloud's regions and their privacy settings", srctl_list,
     "regions", NULL},
    {"scout", "list", "scout list",
     "the tenant's scouts, whether each is online, and its last health report\n"
     "      (version, uptime, held jobs, last error)",
     srctl_list, "scouts", NULL},
    {"scout", "remove", "scout remove ID", "revoke a scout's certificate (HTTPS and MQTT)",
     srctl_remove, "scouts",
     "removed: the cloud and the broker refuse its certificate from now on"},
    {"reader", "add", "reader add --device ID [--name NAME]",
     "a network card reader at a printer without a panel: its one-time enrollment token",
     srctl_reader_add, NULL, NULL},
    {"reader", "list", "reader list", "the tenant's card readers, their devices and last swipes",
     srctl_list, "readers", NULL},
    {"reader", "remove", "reader remove ID", "revoke a card reader's credential at once",
     srctl_remove, "readers", "removed: its credential is refused from now on"},
    {"jobs", NULL, "jobs", "every job of the tenant and its state", srctl_list, "jobs", NULL},
    {"notifications", NULL, "notifications",
     "notices sent to users (expiry warnings), newest first, and whether each was mailed",
     srctl_list, "notifications", NULL},
    {"settings", "show", "settings show",
     "the tenant's settings (durations in seconds, then in words)", srctl_settings, NULL, NULL},
    {"settings", "set", "settings set NAME=VALUE...",
     "change settings, all or none (hold_time=24h expiry_warning=1h retention=90d)", srctl_settings,
     NULL, NULL},
    {"delegate", "add", "delegate add --from EMAIL --to EMAIL [--until TIME]",
     "let a colleague release a user's jobs (TIME: 2026-12-31T18:00:00Z)", srctl_delegate_add, NULL,
     NULL},
    {"delegate", "list", "delegate list", "the delegations in force", srctl_list, "delegations",
     NULL},
    {"delegate", "remove", "delegate remove ID", "revoke a delegation", srctl_remove, "delegations",
     "revoked"},
    {0}};

static void usage(FILE *out) {
  fputs("usage: srctl COMMAND [OPTIONS] [ARGUMENTS]   (srctl COMMAND --help for one)\n\n", out);
  srctl_print_usages(commands, NULL, true, out);
  fputs(
      "\nAdministration commands (tenant, user, device, scout, reader, jobs, notifications,\n"
      "settings, delegate) also take --cloud https://HOST:PORT, --ca FILE, --token-file FILE (or\n"
      "SR_CLOUD_URL, SR_CLOUD_CA, SR_TOKEN_FILE) and --json for machine-readable output.\n"
      "Exit status: 0 done, 1 failed, 2 configuration errors (config check), 64 usage.\n",
      out);
}

int main(int argc, char **argv) {
  if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
    usage(stdout);
    return 0;
  }
  if (argc < 2) {
    usage(stderr);
    return SRCTL_EXIT_USAGE;
  }
  for (const srctl_command *c = commands; c->noun; c++)
    if (strcmp(argv[1], c->noun) == 0)
      return srctl_dispatch(commands, argc - 1, argv + 1);
  fprintf(stderr, "srctl: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return SRCTL_EXIT_USAGE;
}
