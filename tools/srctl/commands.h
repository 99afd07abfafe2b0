/* srctl's commands (the table in main.c names them); each parses its own
 * options (cli.h) and returns the process exit status. */
#ifndef SRCTL_COMMANDS_H
#define SRCTL_COMMANDS_H

#include "cli.h"

/* config check FILE...: 0 when every file is valid, 2 otherwise. */
int srctl_config_check(const srctl_command *cmd, int argc, char **argv);

/* plugin inspect FILE.so: 0 and the declaration, or 1 and why not. */
int srctl_plugin_inspect(const srctl_command *cmd, int argc, char **argv);

/* job show FILE: a job file's information and document. */
int srctl_job_show(const srctl_command *cmd, int argc, char **argv);

/* secret generate: prints a new site secret. */
int srctl_secret_generate(const srctl_command *cmd, int argc, char **argv);
/* site keys: every site's published submission key fingerprint. */
int srctl_site_keys(const srctl_command *cmd, int argc, char **argv);
/* secret key: the site's public submission key (SPKI, fingerprint). */
int srctl_secret_key(const srctl_command *cmd, int argc, char **argv);

/* submit FILE --queue URI: prints to a print scout's queue. */
int srctl_submit(const srctl_command *cmd, int argc, char **argv);

/* Administration through the cloud's API (cloud_session.h has list and
 * remove, which every collection shares). */
int srctl_tenant_create(const srctl_command *cmd, int argc, char **argv);
/* console link --email [--role] [--tenant]: prints a one-time sign-in URL. */
int srctl_console_link(const srctl_command *cmd, int argc, char **argv);
int srctl_user_add(const srctl_command *cmd, int argc, char **argv);
int srctl_device_add(const srctl_command *cmd, int argc, char **argv);
/* device set ID [--name] [--location]: PATCH /api/v1/devices/ID. */
int srctl_device_set(const srctl_command *cmd, int argc, char **argv);
/* device label ID...|--all [--format] [--paper] [--out] [--base-url]: label
 * sheets with each printer's release page QR code (cmd_label.c). */
int srctl_device_label(const srctl_command *cmd, int argc, char **argv);
/* device discovered [--state S] (a table) / device accept DISCOVERED: printer discovery. */
int srctl_device_discovered(const srctl_command *cmd, int argc, char **argv);
int srctl_device_accept(const srctl_command *cmd, int argc, char **argv);
int srctl_scout_enroll(const srctl_command *cmd, int argc, char **argv);
/* reader add --device ID [--name NAME]: POST /api/v1/readers. */
int srctl_reader_add(const srctl_command *cmd, int argc, char **argv);
/* user set / scout set: PATCH /api/v1/COLLECTION/ID with --region (--site). */
int srctl_assign(const srctl_command *cmd, int argc, char **argv);
/* settings show | set NAME=VALUE...: GET / PATCH /api/v1/settings. */
int srctl_settings(const srctl_command *cmd, int argc, char **argv);
/* device status ID / device history ID: the monitoring's reports. */
int srctl_device_status(const srctl_command *cmd, int argc, char **argv);
int srctl_device_history(const srctl_command *cmd, int argc, char **argv);
int srctl_delegate_add(const srctl_command *cmd, int argc, char **argv);

#endif
