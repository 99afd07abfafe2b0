/* srctl plugin inspect: what the loader sees in a plugin file. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "loader.h"

typedef struct member {
  const char *name;
  size_t offset;
} member;

#define M(type, field)                                                                             \
  { #field, offsetof(type, field) }
static const member idp_members[] = {M(sr_idp_ops, authenticate),
                                     M(sr_idp_ops, lookup_user),
                                     M(sr_idp_ops, registration_begin),
                                     M(sr_idp_ops, registration_complete),
                                     M(sr_idp_ops, registration_cancel),
                                     M(sr_idp_ops, authorization_info),
                                     {0}};
static const member storage_members[] = {M(sr_storage_ops, put),    M(sr_storage_ops, get),
                                         M(sr_storage_ops, remove), M(sr_storage_ops, stat),
                                         M(sr_storage_ops, list),   {0}};
static const member transport_members[] = {M(sr_transport_ops, claims),
                                           M(sr_transport_ops, open),
                                           M(sr_transport_ops, send),
                                           M(sr_transport_ops, job_state),
                                           M(sr_transport_ops, cancel),
                                           M(sr_transport_ops, close),
                                           {0}};
static const member device_members[] = {M(sr_device_ops, identify),
                                        M(sr_device_ops, read_status),
                                        M(sr_device_ops, read_meters),
                                        M(sr_device_ops, read_supplies),
                                        M(sr_device_ops, panel_configure),
                                        M(sr_device_ops, read_alerts),
                                        {0}};

static const member *members_of(uint32_t kind) {
  switch (kind) {
  case SR_PLUGIN_IDP: return idp_members;
  case SR_PLUGIN_STORAGE: return storage_members;
  case SR_PLUGIN_TRANSPORT: return transport_members;
  default: return device_members;
  }
}

static void print_members(const sr_plugin *plugin) {
  const sr_plugin_decl *d = sr_plugin_declaration(plugin);
  const char *ops = (const char *)sr_plugin_ops(plugin);
  const member *m = members_of(d->kind);
  printf("ops:         check_config %s", sr_plugin_ops(plugin)->base.check_config ? "yes" : "no");
  for (; m->name; m++) {
    void *fn;
    memcpy(&fn, ops + m->offset, sizeof fn);
    printf(", %s %s", m->name, fn ? "yes" : "no");
  }
  printf("\n");
}

int srctl_plugin_inspect(const srctl_command *cmd, int argc, char **argv) {
  srctl_parser p;
  srctl_parser_init(&p, cmd, argc, argv, NULL, NULL);
  if (srctl_next(&p) != -1 || !srctl_positionals(&p, 1, 1))
    return p.status;
  const char *file = argv[optind];
  sr_loader *loader = sr_loader_new(NULL);
  if (!loader)
    return 1;
  sr_plugin *plugin;
  char err[1024];
  int status = sr_loader_load_file(loader, file, 0, &plugin, err, sizeof err);
  if (status != SR_OK) {
    fprintf(stderr, "srctl: %s\n", err);
    sr_loader_free(loader);
    return 1;
  }
  const sr_plugin_decl *d = sr_plugin_declaration(plugin);
  printf("file:        %s\n", sr_plugin_path(plugin));
  printf("kind:        %s\n", sr_plugin_kind_name((int)d->kind));
  printf("name:        %s\n", d->name);
  printf("version:     %s\n", d->version ? d->version : "");
  printf("description: %s\n", d->description ? d->description : "");
  printf("abi:         %u.%u (host %d.%d)\n", d->abi_major, d->abi_minor, SR_ABI_MAJOR,
         SR_ABI_MINOR);
  printf("sizes:       declaration %u bytes, ops %u bytes\n", d->struct_size, d->ops_size);
  printf("threads:     %s\n", d->flags & SR_PLUGIN_THREAD_SAFE
                                  ? "thread-safe (concurrent calls per instance)"
                                  : "one call at a time per instance (the host serialises)");
  print_members(plugin);
  sr_loader_free(loader);
  return 0;
}
