#include "scan_engine.h"

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "scan_rate.h"
#include "snmp_client.h"

/* What one GETNEXT asks an agent, in this order (column or scalar roots,
 * so that a table row other than .1 is found too, and so that v1 agents
 * answer without noSuchName). */
static const oid sys_descr_root[] = {1, 3, 6, 1, 2, 1, 1, 1};
static const oid sys_object_id_root[] = {1, 3, 6, 1, 2, 1, 1, 2};
static const oid serial_root[] = {1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17}; /* prtGeneralSerialNumber */
static const oid hr_device_descr_root[] = {1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3};
static const oid printer_mib[] = {1, 3, 6, 1, 2, 1, 43};
#define LEN(a) (sizeof a / sizeof *a)

enum slot_kind { SLOT_GET, SLOT_PROBE, SLOT_V3_GET };
enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_WAITING };

typedef struct v3_agent v3_agent;
typedef struct scan_engine scan_engine;

/* One address being asked: at most `outstanding` exist. */
typedef struct slot {
  int state, kind;
  scan_address address;
  size_t credential;
  int attempts;      /* sends so far for this kind */
  bool clock_learnt; /* v3: net-snmp resent after a notInTimeWindow Report */
  long reqid;        /* of the request waiting, to drop stale callbacks */
  double deadline;   /* net-snmp has answered for it by then, or it is given up */
  v3_agent *agent;
  struct slot *next; /* free list or send queue */
  scan_engine *e;
} slot;

/* An agent that answered the v3 discovery probe. Its session exists only
 * while a v3 request to it is in flight. */
struct v3_agent {
  scan_address address;
  u_char engine_id[SNMP_MAXBUF_SMALL];
  size_t engine_id_len;
  void *sessp;
  size_t session_credential;
  ev_io io;
  bool close_soon; /* closed by the tick, never inside its own callback */
  scan_engine *e;
  v3_agent *next;
};

typedef struct shared_session {
  void *sessp;
  ev_io io;
  scan_engine *e;
} shared_session;

/* Keys derived from a v3 credential's passwords once (RFC 3414 A.2:
 * a megabyte of hashing each), localised per agent by net-snmp. */
typedef struct v3_keys {
  u_char auth[USM_AUTH_KU_LEN], priv[USM_AUTH_KU_LEN];
  size_t auth_len, priv_len;
} v3_keys;

struct scan_engine {
  struct ev_loop *loop;
  const scan_targets *targets;
  scan_options o;
  scan_done_fn done;
  void *ctx;
  shared_session udp4, udp6;
  slot *slots, *free_list, *queue_head, *queue_tail;
  size_t busy; /* slots not free */
  scan_rate bucket;
  ev_timer pump_timer, tick;
  size_t pass;
  scan_cursor cursor;
  bool pass_started, probed, finished;
  v3_agent *agents, *agent_next; /* agent_next: a later v3 pass's walk */
  scan_address *answered;        /* open-addressing set, answered_cap a power of two */
  size_t answered_cap, n_answered;
  scan_found *found;
  size_t n_found, found_cap;
  v3_keys *keys;
  uint64_t addresses, done_units, packets;
  double started, first_send, last_send, last_answer; /* ev_time() */
};

/* ---- the set of addresses that answered ---- */

static size_t address_hash(const scan_address *a) {
  uint64_t h = 1469598103934665603ull ^ (uint64_t)a->family;
  for (size_t i = 0; i < sizeof a->bytes; i++)
    h = (h ^ a->bytes[i]) * 1099511628211ull;
  return (size_t)h;
}

static bool same_address(const scan_address *a, const scan_address *b) {
  return a->family == b->family && memcmp(a->bytes, b->bytes, sizeof a->bytes) == 0;
}

static bool answered(const scan_engine *e, const scan_address *a) {
  if (!e->answered_cap)
    return false;
  for (size_t i = address_hash(a) & (e->answered_cap - 1);; i = (i + 1) & (e->answered_cap - 1)) {
    if (!e->answered[i].family)
      return false;
    if (same_address(&e->answered[i], a))
      return true;
  }
}

static bool answered_add(scan_engine *e, const scan_address *a) {
  if ((e->n_answered + 1) * 2 > e->answered_cap) {
    size_t cap = e->answered_cap ? e->answered_cap * 2 : 64;
    scan_address *old = e->answered, *grown = calloc(cap, sizeof *grown);
    if (!grown)
      return false;
    size_t old_cap = e->answered_cap;
    e->answered = grown;
    e->answered_cap = cap;
    e->n_answered = 0;
    for (size_t i = 0; i < old_cap; i++)
      if (old[i].family)
        answered_add(e, &old[i]);
    free(old);
  }
  size_t i = address_hash(a) & (e->answered_cap - 1);
  while (e->answered[i].family && !same_address(&e->answered[i], a))
    i = (i + 1) & (e->answered_cap - 1);
  if (!e->answered[i].family)
    e->n_answered++;
  e->answered[i] = *a;
  return true;
}

/* ---- results ---- */

static double now_s(const scan_engine *e);

static bool oid_under(const oid *name, size_t len, const oid *root, size_t root_len) {
  return len >= root_len && memcmp(name, root, root_len * sizeof *root) == 0;
}

static char *value_copy(const netsnmp_variable_list *v, const oid *root, size_t root_len) {
  char text[256] = "";
  if (v && v->type != SNMP_ENDOFMIBVIEW && v->type != SNMP_NOSUCHOBJECT &&
      v->type != SNMP_NOSUCHINSTANCE && oid_under(v->name, v->name_length, root, root_len))
    sr_snmp_value_text(v, text, sizeof text);
  return strdup(text);
}

/* Records an answer to the identification GETNEXT. */
static void record(scan_engine *e, const slot *s, const netsnmp_pdu *pdu) {
  if (answered(e, &s->address) || !answered_add(e, &s->address))
    return;
  if (e->n_found == e->found_cap) {
    size_t cap = e->found_cap ? e->found_cap * 2 : 64;
    scan_found *grown = realloc(e->found, cap * sizeof *grown);
    if (!grown)
      return;
    e->found = grown;
    e->found_cap = cap;
  }
  const netsnmp_variable_list *v[4] = {0};
  const netsnmp_variable_list *it = pdu->variables;
  for (size_t i = 0; i < 4 && it; i++, it = it->next_variable)
    v[i] = it;
  scan_found *f = &e->found[e->n_found];
  *f = (scan_found){.address = s->address, .credential = s->credential};
  f->sys_descr = value_copy(v[0], sys_descr_root, LEN(sys_descr_root));
  f->sys_object_id = value_copy(v[1], sys_object_id_root, LEN(sys_object_id_root));
  f->serial = value_copy(v[2], serial_root, LEN(serial_root));
  f->hr_device_descr = value_copy(v[3], hr_device_descr_root, LEN(hr_device_descr_root));
  f->printer = pdu->errstat == SNMP_ERR_NOERROR && v[2] && v[2]->type != SNMP_ENDOFMIBVIEW &&
               oid_under(v[2]->name, v[2]->name_length, printer_mib, LEN(printer_mib));
  if (!f->sys_descr || !f->sys_object_id || !f->serial || !f->hr_device_descr) {
    free(f->sys_descr), free(f->sys_object_id), free(f->serial), free(f->hr_device_descr);
    return;
  }
  e->n_found++;
  e->last_answer = now_s(e);
}

/* ---- slots ---- */

static void queue_push(scan_engine *e, slot *s) {
  s->state = SLOT_QUEUED;
  s->next = NULL;
  if (e->queue_tail)
    e->queue_tail->next = s;
  else
    e->queue_head = s;
  e->queue_tail = s;
}

static slot *queue_pop(scan_engine *e) {
  slot *s = e->queue_head;
  if (s) {
    e->queue_head = s->next;
    if (!e->queue_head)
      e->queue_tail = NULL;
  }
  return s;
}

/* The address is done for this pass. */
static void release(scan_engine *e, slot *s) {
  if (s->agent && s->agent->sessp)
    s->agent->close_soon = true;
  s->state = SLOT_FREE;
  s->reqid = 0;
  s->agent = NULL;
  s->next = e->free_list;
  e->free_list = s;
  e->busy--;
  e->done_units++;
}

static v3_agent *agent_add(scan_engine *e, const scan_address *a, const u_char *id, size_t len) {
  for (v3_agent *g = e->agents; g; g = g->next)
    if (same_address(&g->address, a))
      return g;
  v3_agent *g = calloc(1, sizeof *g);
  if (!g || len > sizeof g->engine_id) {
    free(g);
    return NULL;
  }
  g->address = *a;
  memcpy(g->engine_id, id, len);
  g->engine_id_len = len;
  g->e = e;
  g->next = e->agents;
  e->agents = g;
  return g;
}

/* True if `pdu`, received, came from the agent at `a`: net-snmp matches an
 * answer to its request by request ID alone, and it numbers requests one
 * after the other, so a host that saw its own request could answer for the
 * addresses asked next (test attack_scan_spoof). A received PDU's transport
 * data is what address_pdu gives one to send: an address pair for UDP, a
 * sockaddr_in6 for UDP over IPv6. */
static bool answered_by(const netsnmp_pdu *pdu, const scan_address *a, int port) {
  struct sockaddr_storage want;
  scan_address_sockaddr(a, port, &want);
  if (a->family == AF_INET) {
    if (!pdu->transport_data || pdu->transport_data_length < (int)sizeof(netsnmp_indexed_addr_pair))
      return false;
    const struct sockaddr_in *from =
        (const struct sockaddr_in *)&((const netsnmp_indexed_addr_pair *)pdu->transport_data)
            ->remote_addr;
    const struct sockaddr_in *to = (const struct sockaddr_in *)&want;
    return from->sin_family == AF_INET && from->sin_port == to->sin_port &&
           from->sin_addr.s_addr == to->sin_addr.s_addr;
  }
  if (!pdu->transport_data || pdu->transport_data_length < (int)sizeof(struct sockaddr_in6))
    return false;
  const struct sockaddr_in6 *from = pdu->transport_data, *to = (const struct sockaddr_in6 *)&want;
  return from->sin6_family == AF_INET6 && from->sin6_port == to->sin6_port &&
         memcmp(&from->sin6_addr, &to->sin6_addr, sizeof to->sin6_addr) == 0;
}

/* What the agent's answer means for the slot. net-snmp calls this for
 * answers, timeouts and failures; a call for a request the slot no longer
 * waits for is ignored. Returns 1: net-snmp goes on with its own handling. */
static int on_snmp(int op, netsnmp_session *sp, int reqid, netsnmp_pdu *pdu, void *magic) {
  (void)sp;
  slot *s = magic;
  scan_engine *e = s->e;
  /* a Report comes as a security error, then again as a message; one
   * about a request the agent could not decrypt has no request ID */
  bool report =
      (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || op == NETSNMP_CALLBACK_OP_SEC_ERROR) && pdu &&
      pdu->command == SNMP_MSG_REPORT;
  if (s->state != SLOT_WAITING || (s->reqid != reqid && !(report && reqid == 0)))
    return 1;
  bool received = op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || op == NETSNMP_CALLBACK_OP_SEC_ERROR;
  if (received && pdu && !answered_by(pdu, &s->address, e->o.port))
    return 1; /* not from the address asked: a forgery, the slot waits on */
  if (report) {
    int type = snmpv3_get_report_type(pdu);
    if (s->kind == SLOT_PROBE && pdu->securityEngineIDLen > 0) {
      /* a v3 agent: ask it with the pass's credential set */
      s->agent = agent_add(e, &s->address, pdu->securityEngineID, pdu->securityEngineIDLen);
      if (s->agent) {
        s->kind = SLOT_V3_GET;
        s->attempts = 0;
        s->clock_learnt = false;
        s->reqid = 0;
        queue_push(e, s);
        return 1;
      }
    } else if (s->kind == SLOT_V3_GET && type == SNMPERR_NOT_IN_TIME_WINDOW &&
               op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && !s->clock_learnt) {
      /* net-snmp sends it again at once, now knowing the agent's clock */
      s->clock_learnt = true;
      e->packets++;
      return 1;
    } else if (s->kind == SLOT_V3_GET && type == SNMPERR_NOT_IN_TIME_WINDOW &&
               op == NETSNMP_CALLBACK_OP_SEC_ERROR && !s->clock_learnt) {
      return 1; /* the same Report, as a message, follows */
    }
    release(e, s); /* refused: unknown user, wrong digest, ... */
    return 1;
  }
  if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu->command == SNMP_MSG_RESPONSE) {
    if (s->kind != SLOT_PROBE)
      record(e, s, pdu);
    release(e, s);
    return 1;
  }
  if (op == NETSNMP_CALLBACK_OP_TIMED_OUT && s->attempts <= e->o.retries) {
    s->reqid = 0;
    queue_push(e, s); /* sent again when the rate allows */
    return 1;
  }
  release(e, s);
  return 1;
}

/* ---- sessions ---- */

static void read_session(void *sessp, int fd) {
  netsnmp_large_fd_set fds;
  netsnmp_large_fd_set_init(&fds, fd + 1);
  NETSNMP_LARGE_FD_SET(fd, &fds);
  snmp_sess_read2(sessp, &fds);
  netsnmp_large_fd_set_cleanup(&fds);
}

static void pump(scan_engine *e);

static void on_shared_readable(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop, (void)revents;
  shared_session *ss = w->data;
  read_session(ss->sessp, w->fd);
  pump(ss->e);
}

static void on_agent_readable(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop, (void)revents;
  v3_agent *g = w->data;
  read_session(g->sessp, w->fd);
  pump(g->e);
}

static bool open_shared(scan_engine *e, shared_session *ss, const char *peer, char *err,
                        size_t err_size) {
  netsnmp_session cfg;
  snmp_sess_init(&cfg);
  cfg.peername = (char *)peer; /* a default destination, never used: each PDU names its own */
  cfg.version = SNMP_VERSION_2c;
  cfg.community = (u_char *)"public";
  cfg.community_len = 6;
  cfg.timeout = e->o.timeout_ms * 1000L;
  cfg.retries = 0; /* retries are the engine's, so that they keep to the rate */
  cfg.flags |= SNMP_FLAGS_DONT_PROBE;
  ss->sessp = snmp_sess_open(&cfg);
  if (!ss->sessp) {
    snprintf(err, err_size, "cannot open a UDP socket for the scan (%s)", peer);
    return false;
  }
  /* after opening (which sets both): any version per PDU ("multi-lingual"
   * in net-snmp's words), and never a synchronous engine-ID probe */
  netsnmp_session *open = snmp_sess_session(ss->sessp);
  open->version = SNMP_DEFAULT_VERSION;
  open->flags |= SNMP_FLAGS_DONT_PROBE;
  ss->e = e;
  ev_io_init(&ss->io, on_shared_readable, snmp_sess_transport(ss->sessp)->sock, EV_READ);
  ss->io.data = ss;
  ev_io_start(e->loop, &ss->io);
  return true;
}

static void close_shared(scan_engine *e, shared_session *ss) {
  if (!ss->sessp)
    return;
  ev_io_stop(e->loop, &ss->io);
  snmp_sess_close(ss->sessp);
  ss->sessp = NULL;
}

static void agent_close(scan_engine *e, v3_agent *g) {
  if (!g->sessp)
    return;
  ev_io_stop(e->loop, &g->io);
  snmp_sess_close(g->sessp);
  g->sessp = NULL;
  g->close_soon = false;
  /* the USM user net-snmp made for this agent would shadow another
   * credential set with the same user name */
  const sr_discovery_credential *c = &e->o.credentials[g->session_credential];
  struct usmUser *u = usm_get_user(g->engine_id, g->engine_id_len, (char *)c->user);
  if (u) {
    usm_remove_user(u);       /* (it returns the list's head, not u) */
    u->next = u->prev = NULL; /* else usm_free_user would relink its old neighbours */
    usm_free_user(u);
  }
}

static bool agent_open(scan_engine *e, v3_agent *g, size_t credential) {
  if (g->sessp && g->session_credential == credential && !g->close_soon)
    return true;
  agent_close(e, g);
  const sr_discovery_credential *c = &e->o.credentials[credential];
  char address[64], peer[100];
  scan_address_format(&g->address, address, sizeof address);
  snprintf(peer, sizeof peer, g->address.family == AF_INET ? "udp:%s:%d" : "udp6:[%s]:%d", address,
           e->o.port);
  netsnmp_session cfg;
  snmp_sess_init(&cfg);
  cfg.peername = peer;
  cfg.version = SNMP_VERSION_3;
  cfg.securityName = (char *)c->user;
  cfg.securityNameLen = strlen(c->user);
  cfg.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
  cfg.securityAuthProto = usmHMACSHA1AuthProtocol;
  cfg.securityAuthProtoLen = LEN(usmHMACSHA1AuthProtocol);
  memcpy(cfg.securityAuthKey, e->keys[credential].auth, e->keys[credential].auth_len);
  cfg.securityAuthKeyLen = e->keys[credential].auth_len;
  cfg.securityPrivProto = usmAESPrivProtocol;
  cfg.securityPrivProtoLen = LEN(usmAESPrivProtocol);
  memcpy(cfg.securityPrivKey, e->keys[credential].priv, e->keys[credential].priv_len);
  cfg.securityPrivKeyLen = e->keys[credential].priv_len;
  /* the engine ID is known: net-snmp must not probe (it would block) */
  cfg.securityEngineID = g->engine_id;
  cfg.securityEngineIDLen = g->engine_id_len;
  cfg.flags |= SNMP_FLAGS_DONT_PROBE;
  cfg.timeout = e->o.timeout_ms * 1000L;
  cfg.retries = 0;
  g->sessp = snmp_sess_open(&cfg); /* copies what it keeps */
  if (!g->sessp) {
    return false;
  }
  g->session_credential = credential;
  ev_io_init(&g->io, on_agent_readable, snmp_sess_transport(g->sessp)->sock, EV_READ);
  g->io.data = g;
  ev_io_start(e->loop, &g->io);
  return true;
}

/* ---- sending ---- */

static netsnmp_pdu *identification_pdu(void) {
  netsnmp_pdu *pdu = snmp_pdu_create(SNMP_MSG_GETNEXT);
  if (!pdu)
    return NULL;
  snmp_add_null_var(pdu, sys_descr_root, LEN(sys_descr_root));
  snmp_add_null_var(pdu, sys_object_id_root, LEN(sys_object_id_root));
  snmp_add_null_var(pdu, serial_root, LEN(serial_root));
  snmp_add_null_var(pdu, hr_device_descr_root, LEN(hr_device_descr_root));
  return pdu;
}

/* Points a PDU of a shared session at its address (net-snmp's UDP
 * transports send to the PDU's own transport data when it has some; the
 * PDU owns it and frees it with itself). */
static bool address_pdu(netsnmp_pdu *pdu, const scan_address *a, int port) {
  struct sockaddr_storage ss;
  socklen_t len = scan_address_sockaddr(a, port, &ss);
  if (a->family == AF_INET) {
    netsnmp_indexed_addr_pair *pair = calloc(1, sizeof *pair);
    if (!pair)
      return false;
    memcpy(&pair->remote_addr, &ss, len);
    pdu->transport_data = pair;
    pdu->transport_data_length = sizeof *pair;
  } else {
    struct sockaddr_in6 *to = malloc(sizeof *to);
    if (!to)
      return false;
    memcpy(to, &ss, sizeof *to);
    pdu->transport_data = to;
    pdu->transport_data_length = sizeof *to;
  }
  return true;
}

static void *shared_for(scan_engine *e, const scan_address *a) {
  return a->family == AF_INET ? e->udp4.sessp : e->udp6.sessp;
}

static netsnmp_pdu *build(scan_engine *e, slot *s, void **sessp) {
  const sr_discovery_credential *c = &e->o.credentials[s->credential];
  netsnmp_pdu *pdu = NULL;
  if (s->kind == SLOT_V3_GET) {
    if (!agent_open(e, s->agent, s->credential))
      return NULL;
    *sessp = s->agent->sessp;
    return identification_pdu();
  }
  *sessp = shared_for(e, &s->address);
  if (!*sessp)
    return NULL;
  if (s->kind == SLOT_PROBE) {
    /* RFC 3414 4: an unauthenticated request with no engine ID and no
     * user; a v3 agent answers with a Report naming its engine ID */
    netsnmp_session *shared = snmp_sess_session(*sessp);
    SNMP_FREE(shared->securityEngineID); /* net-snmp kept the last agent's */
    shared->securityEngineIDLen = 0;
    SNMP_FREE(shared->contextEngineID);
    shared->contextEngineIDLen = 0;
    pdu = snmp_pdu_create(SNMP_MSG_GET);
    if (pdu) {
      pdu->version = SNMP_VERSION_3;
      pdu->securityModel = SNMP_SEC_MODEL_USM;
      pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
      pdu->securityName = strdup("");
      pdu->securityNameLen = 0;
    }
  } else {
    pdu = identification_pdu();
    if (pdu) {
      pdu->version = c->version == 0 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
      pdu->community = (u_char *)strdup(c->community);
      pdu->community_len = strlen(c->community);
    }
  }
  if (pdu && !address_pdu(pdu, &s->address, e->o.port)) {
    snmp_free_pdu(pdu);
    pdu = NULL;
  }
  return pdu;
}

static void send_slot(scan_engine *e, slot *s) {
  void *sessp = NULL;
  netsnmp_pdu *pdu = build(e, s, &sessp);
  if (!pdu) {
    release(e, s);
    return;
  }
  s->state = SLOT_WAITING;
  s->reqid = pdu->reqid;
  s->deadline = now_s(e) + 2.0 * e->o.timeout_ms / 1000.0 + 1;
  s->attempts++;
  e->packets++;
  e->last_send = now_s(e);
  if (!e->first_send)
    e->first_send = e->last_send;
  if (!snmp_sess_async_send(sessp, pdu, on_snmp, s)) {
    snmp_free_pdu(pdu);
    if (s->state == SLOT_WAITING && s->reqid == pdu->reqid)
      release(e, s);
  }
}

/* ---- passes ---- */

static bool v3_pass(const scan_engine *e) { return e->o.credentials[e->pass].version == 2; }

/* The next new work of the current pass into `s`, or false when the pass
 * has none left. */
static bool next_work(scan_engine *e, slot *s) {
  if (!e->pass_started) {
    e->pass_started = true;
    scan_cursor_init(&e->cursor, e->targets);
    e->agent_next = e->agents;
    if (v3_pass(e) && e->probed)
      e->done_units += e->addresses; /* only the known v3 agents are asked again */
  }
  *s = (slot){.credential = e->pass, .e = e};
  if (v3_pass(e) && e->probed) {
    for (; e->agent_next; e->agent_next = e->agent_next->next)
      if (!answered(e, &e->agent_next->address)) {
        s->kind = SLOT_V3_GET;
        s->agent = e->agent_next;
        s->address = s->agent->address;
        e->agent_next = e->agent_next->next;
        e->done_units--; /* release() counts it again */
        return true;
      }
    return false;
  }
  scan_address a;
  while (scan_cursor_next(&e->cursor, &a)) {
    if (answered(e, &a)) {
      e->done_units++;
      continue;
    }
    s->address = a;
    s->kind = v3_pass(e) ? SLOT_PROBE : SLOT_GET;
    return true;
  }
  return false;
}

static double now_s(const scan_engine *e) {
  (void)e;
  return ev_time();
}

static void finish(scan_engine *e) {
  e->finished = true;
  ev_timer_stop(e->loop, &e->pump_timer);
  ev_timer_stop(e->loop, &e->tick);
  for (v3_agent *g = e->agents; g; g = g->next)
    agent_close(e, g);
  close_shared(e, &e->udp4);
  close_shared(e, &e->udp6);
  e->done(e->ctx); /* may free e */
}

/* Sends what the rate and the slots allow; moves to the next pass when
 * this one has nothing in flight; finishes after the last. */
static void pump(scan_engine *e) {
  if (e->finished)
    return;
  for (;;) {
    double wait = scan_rate_wait(&e->bucket, now_s(e));
    if (wait > 0) {
      ev_timer_stop(e->loop, &e->pump_timer);
      ev_timer_set(&e->pump_timer, wait < 0.001 ? 0.001 : wait, 0);
      ev_timer_start(e->loop, &e->pump_timer);
      return;
    }
    slot *s = queue_pop(e), work;
    if (!s && e->free_list && next_work(e, &work)) {
      s = e->free_list;
      e->free_list = s->next;
      *s = work;
      e->busy++;
    }
    if (!s)
      break;
    scan_rate_take(&e->bucket, now_s(e));
    send_slot(e, s);
  }
  if (e->busy > 0)
    return; /* answers and timeouts bring more work */
  if (e->pass + 1 < e->o.n_credentials) {
    if (v3_pass(e))
      e->probed = true;
    e->pass++;
    e->pass_started = false;
    pump(e);
    return;
  }
  finish(e);
}

static void on_pump_timer(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  pump(w->data);
}

/* Expires requests (net-snmp calls on_snmp with TIMED_OUT) and closes the
 * v3 sessions no longer used. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  scan_engine *e = w->data;
  if (e->udp4.sessp)
    snmp_sess_timeout(e->udp4.sessp);
  if (e->udp6.sessp)
    snmp_sess_timeout(e->udp6.sessp);
  for (v3_agent *g = e->agents; g; g = g->next) {
    if (g->sessp && !g->close_soon)
      snmp_sess_timeout(g->sessp);
    if (g->close_soon)
      agent_close(e, g);
  }
  /* a request net-snmp dropped without a word must not hold its slot */
  double now = now_s(e);
  for (size_t i = 0; i < e->o.outstanding; i++)
    if (e->slots[i].state == SLOT_WAITING && e->slots[i].deadline < now) {
      sr_log(SR_LOG_DEBUG, "discovery", "a request was dropped unanswered");
      release(e, &e->slots[i]);
    }
  pump(e);
}

/* ---- life ---- */

static bool derive_keys(scan_engine *e, char *err, size_t err_size) {
  e->keys = calloc(e->o.n_credentials, sizeof *e->keys);
  if (!e->keys)
    return false;
  for (size_t i = 0; i < e->o.n_credentials; i++) {
    const sr_discovery_credential *c = &e->o.credentials[i];
    if (c->version != 2)
      continue;
    v3_keys *k = &e->keys[i];
    k->auth_len = k->priv_len = sizeof k->auth;
    /* the privacy key is derived with the authentication hash (RFC 3826) */
    if (generate_Ku(usmHMACSHA1AuthProtocol, LEN(usmHMACSHA1AuthProtocol),
                    (const u_char *)c->auth_password, strlen(c->auth_password), k->auth,
                    &k->auth_len) != SNMPERR_SUCCESS ||
        generate_Ku(usmHMACSHA1AuthProtocol, LEN(usmHMACSHA1AuthProtocol),
                    (const u_char *)c->priv_password, strlen(c->priv_password), k->priv,
                    &k->priv_len) != SNMPERR_SUCCESS) {
      snprintf(err, err_size, "credential set '%s': cannot derive its v3 keys", c->name);
      return false;
    }
  }
  return true;
}

static bool has_family(const scan_targets *t, int family) {
  for (size_t i = 0; i < t->n_include; i++)
    if (t->include[i].first.family == family)
      return true;
  return false;
}

scan_engine *scan_engine_start(struct ev_loop *loop, const scan_targets *targets,
                               const scan_options *options, scan_done_fn done, void *ctx, char *err,
                               size_t err_size) {
  sr_snmp_init();
  scan_engine *e = calloc(1, sizeof *e);
  if (!e || options->n_credentials == 0 || options->outstanding == 0) {
    snprintf(err, err_size, "%s", e ? "discovery needs a credential set" : "out of memory");
    free(e);
    return NULL;
  }
  *e = (scan_engine){.loop = loop, .targets = targets, .o = *options, .done = done, .ctx = ctx};
  e->slots = calloc(options->outstanding, sizeof *e->slots);
  if (!e->slots || !derive_keys(e, err, err_size)) {
    if (!e->slots)
      snprintf(err, err_size, "out of memory");
    scan_engine_free(e);
    return NULL;
  }
  for (size_t i = options->outstanding; i-- > 0;) {
    e->slots[i] = (slot){.e = e, .next = e->free_list};
    e->free_list = &e->slots[i];
  }
  if ((has_family(targets, AF_INET) &&
       !open_shared(e, &e->udp4, "udp:127.0.0.1:161", err, err_size)) ||
      (has_family(targets, AF_INET6) &&
       !open_shared(e, &e->udp6, "udp6:[::1]:161", err, err_size))) {
    scan_engine_free(e);
    return NULL;
  }
  e->addresses = scan_targets_count(targets);
  e->started = now_s(e);
  /* a burst of 10 ms worth keeps the rate even over any 100 ms */
  scan_rate_init(&e->bucket, options->rate, options->rate / 100, now_s(e));
  ev_init(&e->pump_timer, on_pump_timer);
  e->pump_timer.data = e;
  double tick = options->timeout_ms / 4000.0;
  ev_timer_init(&e->tick, on_tick, tick > 0.1 ? 0.1 : tick, tick > 0.1 ? 0.1 : tick);
  e->tick.data = e;
  ev_timer_start(loop, &e->tick);
  ev_timer_start(loop, &e->pump_timer); /* first pump from the loop, never inside start */
  return e;
}

void scan_engine_free(scan_engine *e) {
  if (!e)
    return;
  if (e->loop) {
    ev_timer_stop(e->loop, &e->pump_timer);
    ev_timer_stop(e->loop, &e->tick);
  }
  /* closing a session calls on_snmp for what it still waits for */
  e->finished = true;
  for (v3_agent *g = e->agents; g; g = g->next)
    agent_close(e, g);
  close_shared(e, &e->udp4);
  close_shared(e, &e->udp6);
  while (e->agents) {
    v3_agent *next = e->agents->next;
    free(e->agents);
    e->agents = next;
  }
  for (size_t i = 0; i < e->n_found; i++) {
    scan_found *f = &e->found[i];
    free(f->sys_descr), free(f->sys_object_id), free(f->serial), free(f->hr_device_descr);
  }
  free(e->found);
  free(e->answered);
  if (e->keys)
    memset(e->keys, 0, e->o.n_credentials * sizeof *e->keys);
  free(e->keys);
  free(e->slots);
  free(e);
}

void scan_engine_progress(const scan_engine *e, uint64_t *done, uint64_t *total) {
  *total = e->addresses * e->o.n_credentials;
  *done = e->done_units > *total ? *total : e->done_units;
}

uint64_t scan_engine_packets(const scan_engine *e) { return e->packets; }

void scan_engine_timing(const scan_engine *e, double *send_seconds, double *last_answer_seconds) {
  *send_seconds = e->packets > 1 ? e->last_send - e->first_send : 0;
  *last_answer_seconds = e->n_found ? e->last_answer - e->started : 0;
}

const scan_found *scan_engine_found(const scan_engine *e, size_t *count) {
  *count = e->n_found;
  return e->found;
}
