/*
 * Who is connecting to the queue, asked of the kernel.
 *
 * Why: IPP's requesting-user-name is whatever the client writes, so on a
 * workstation shared by several accounts it proves nothing. The kernel
 * knows which account opened the client's socket. For a Unix-domain socket
 * SO_PEERCRED says so directly. TCP has no such option, but over loopback
 * both ends of the connection live in this kernel: the socket diagnostics
 * interface (NETLINK_SOCK_DIAG, inet_diag) looks the client's socket up by
 * its four-tuple (its address and source port, our address and port) and
 * reports the UID that created it (idiag_uid). A peer on another host has
 * no socket here, so it has no UID we could learn.
 */
#include "peer_identity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sr/abi.h"

/* One end of a TCP connection as inet_diag names it. */
typedef struct endpoint {
  int family;       /* AF_INET or AF_INET6 */
  uint32_t addr[4]; /* network order, as inet_diag_sockid wants it */
  uint16_t port;    /* network order */
} endpoint;

static bool is_loopback(const endpoint *e) {
  if (e->family == AF_INET)
    return (ntohl(e->addr[0]) >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)e->addr);
}

/* Fills *e from a socket address. An IPv4-mapped IPv6 address becomes the
 * IPv4 address it maps: the client's socket is then an AF_INET one. */
static bool endpoint_of(const struct sockaddr_storage *sa, endpoint *e) {
  memset(e, 0, sizeof *e);
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    e->family = AF_INET;
    e->addr[0] = in->sin_addr.s_addr;
    e->port = in->sin_port;
    return true;
  }
  if (sa->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    e->port = in6->sin6_port;
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      e->family = AF_INET;
      memcpy(&e->addr[0], &in6->sin6_addr.s6_addr[12], 4);
    } else {
      e->family = AF_INET6;
      memcpy(e->addr, &in6->sin6_addr, 16);
    }
    return true;
  }
  return false;
}

/* Asks the kernel for the TCP socket whose local end is `client` and whose
 * remote end is `server`, and returns its owner. */
static int diag_uid(const endpoint *client, const endpoint *server, uid_t *uid, char *why,
                    size_t why_size) {
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0) {
    snprintf(why, why_size, "no socket diagnostics: %s", strerror(errno));
    return SR_ERR_IO;
  }
  struct timeval timeout = {.tv_sec = 1};
  setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 req;
  } query = {
      .header = {.nlmsg_len = sizeof query,
                 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                 .nlmsg_flags = NLM_F_REQUEST,
                 .nlmsg_seq = 1},
      .req = {.sdiag_family = (uint8_t)client->family,
              .sdiag_protocol = IPPROTO_TCP,
              .idiag_states = ~0U,
              .id = {.idiag_sport = client->port,
                     .idiag_dport = server->port,
                     .idiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}},
  };
  memcpy(query.req.id.idiag_src, client->addr, sizeof client->addr);
  memcpy(query.req.id.idiag_dst, server->addr, sizeof server->addr);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  int status = SR_ERR_IO;
  if (sendto(nl, &query, sizeof query, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    snprintf(why, why_size, "socket diagnostics query failed: %s", strerror(errno));
    goto out;
  }
  /* aligned for struct nlmsghdr, as NLMSG_NEXT expects */
  long answer[1024];
  ssize_t n = recv(nl, answer, sizeof answer, 0);
  if (n < 0) {
    snprintf(why, why_size, "no answer from socket diagnostics: %s", strerror(errno));
    goto out;
  }
  int left = (int)n;
  snprintf(why, why_size, "the client's socket is gone");
  status = SR_ERR_NOT_FOUND;
  for (struct nlmsghdr *h = (struct nlmsghdr *)answer; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
    if (h->nlmsg_type == NLMSG_ERROR) {
      const struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error && e->error != -ENOENT) {
        snprintf(why, why_size, "socket diagnostics: %s", strerror(-e->error));
        status = SR_ERR_IO;
      }
      break;
    }
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
        h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
      continue;
    const struct inet_diag_msg *m = NLMSG_DATA(h);
    /* the kernel looked the four-tuple up exactly; check it anyway */
    /* only a live socket has a real owner: the kernel reports uid 0 for a
     * TIME_WAIT one, which would make a client that closed at once root */
    if (m->idiag_state != TCP_ESTABLISHED && m->idiag_state != TCP_CLOSE_WAIT) {
      snprintf(why, why_size, "the client's socket is no longer open");
      status = SR_ERR_NOT_FOUND;
      break;
    }
    if (m->id.idiag_sport == client->port && m->id.idiag_dport == server->port &&
        memcmp(m->id.idiag_src, client->addr, sizeof client->addr) == 0) {
      *uid = (uid_t)m->idiag_uid;
      status = SR_OK;
      break;
    }
  }
out:
  close(nl);
  return status;
}

int scout_peer_uid(int fd, uid_t *uid, char *why, size_t why_size) {
  struct sockaddr_storage ours, theirs;
  socklen_t our_len = sizeof ours, their_len = sizeof theirs;
  if (getsockname(fd, (struct sockaddr *)&ours, &our_len) != 0 ||
      getpeername(fd, (struct sockaddr *)&theirs, &their_len) != 0) {
    snprintf(why, why_size, "the connection has no address: %s", strerror(errno));
    return SR_ERR_IO;
  }
  if (ours.ss_family == AF_UNIX) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      snprintf(why, why_size, "no peer credentials: %s", strerror(errno));
      return SR_ERR_IO;
    }
    *uid = cred.uid;
    return SR_OK;
  }
  endpoint server, client;
  if (!endpoint_of(&ours, &server) || !endpoint_of(&theirs, &client)) {
    snprintf(why, why_size, "not a TCP/IP or Unix-domain connection");
    return SR_ERR_NOT_FOUND;
  }
  if (!is_loopback(&client) || client.family != server.family) {
    snprintf(why, why_size, "the client is not on this host (not loopback)");
    return SR_ERR_NOT_FOUND;
  }
  return diag_uid(&client, &server, uid, why, why_size);
}
