/* Who may do what in the scout's queue: see queue_access.h. */
#include "queue_access.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "peer_identity.h"
#include "sr/abi.h"

/* The login name of `uid`; "#UID" for a UID without an account (a
 * container's, say), which still names one user and nobody else. */
static void account_name(uid_t uid, char *out, size_t size) {
  struct passwd pw, *found = NULL;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name[0])
    snprintf(out, size, "%s", found->pw_name);
  else
    snprintf(out, size, "#%lu", (unsigned long)uid);
}

void scout_peer_identify(int fd, const char *const *trusted_spoolers, scout_peer *out) {
  memset(out, 0, sizeof *out);
  if (scout_peer_uid(fd, &out->uid, out->why, sizeof out->why) != SR_OK) {
    sr_log(SR_LOG_INFO, "queue", "a client the system cannot name: %s", out->why);
    return;
  }
  out->known = true;
  account_name(out->uid, out->account, sizeof out->account);
  for (size_t i = 0; trusted_spoolers && trusted_spoolers[i]; i++)
    if (strcmp(trusted_spoolers[i], out->account) == 0)
      out->spooler = true;
}

void scout_requester_of(const scout_peer *peer, const char *requesting_user, scout_requester *out) {
  memset(out, 0, sizeof *out);
  if (!peer->known)
    return;
  out->known = true;
  out->admin = peer->uid == 0;
  snprintf(out->via, sizeof out->via, "%s", peer->account);
  /* the spooler authenticated its user and says who it is; anyone else is
   * who the system says */
  bool believed = peer->spooler && requesting_user && *requesting_user;
  snprintf(out->name, sizeof out->name, "%s", believed ? requesting_user : peer->account);
}

bool scout_may_manage(const scout_requester *who, const scout_job *job) {
  return who->known && (who->admin || strcmp(who->name, job->user) == 0);
}
