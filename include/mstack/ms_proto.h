/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_proto.h - the control protocol between mstackd and its clients (library, mstackctl). */
#ifndef MSTACK_MS_PROTO_H
#define MSTACK_MS_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Transport: a Unix SOCK_SEQPACKET socket; one message per packet.
 * Every message is a struct ms_msg_hdr followed by exactly hdr.len bytes of
 * body whose layout is fixed by hdr.type. Integers are in host byte order
 * (both ends are on one host). A request carries a client-chosen req_id;
 * the daemon answers every request with exactly one reply of type
 * (request type | MS_MSG_REPLY), the same req_id, and status 0 or -errno.
 * A reply with status != 0 has an empty body.
 *
 * File descriptors travel as SCM_RIGHTS with the message:
 *   BIND request   1 fd: a kernel socket bound to the tuple (the reservation)
 *   HELLO reply    3 fds: the region memfd, the wakeup eventfd, the kick eventfd (ms_abi.h);
 *                  with MS_HELLO_F_QUEUE_WAKEUP, then one wakeup eventfd per queue
 *                  (queue 0 first): 3 + nqueues fds, at most MS_MSG_FDS_MAX
 *   CAPTURE reply  2 fds: the capture region memfd (ms_capture.h), then its eventfd
 *
 * A malformed message (wrong version, unknown type, wrong length, bad field)
 * is answered with -EPROTO or -EINVAL when its header could be read, and the
 * daemon closes the connection.
 */

#define MS_PROTO_VERSION 2                   /* 2: HELLO reply carries the kick eventfd */
#define MS_MSG_MAX       65536               /* bytes, header included: no message is larger */
#define MS_NAME_MAX      32                  /* application names, NUL-terminated within */
#define MS_QUEUES_MAX    64                  /* queues one application may have (queues_per_app's ceiling) */
#define MS_MSG_FDS_MAX   (3 + MS_QUEUES_MAX) /* fds one message may carry: a HELLO reply with per-queue fds */
#define MS_TUPLE_STRLEN  64                  /* ms_tuple_format's longest output, NUL included */

#define MS_MSG_REPLY 0x8000

enum ms_msg_type {
	MS_MSG_HELLO = 1,         /* attach: ms_hello -> ms_hello_reply + 3 (+ nqueues) fds */
	MS_MSG_BIND = 2,          /* ms_tuple + fd -> ms_tuple (the port actually bound) */
	MS_MSG_UNBIND = 3,        /* ms_tuple -> empty */
	MS_MSG_RESOLVE = 4,       /* ms_resolve -> ms_resolve_reply */
	MS_MSG_STATUS = 5,        /* empty -> ms_status */
	MS_MSG_APPS = 6,          /* ms_list_req -> ms_list_hdr + ms_app_info[n] */
	MS_MSG_BINDINGS = 7,      /* ms_list_req -> ms_list_hdr + ms_binding_info[n] */
	MS_MSG_STATS = 8,         /* ms_list_req -> ms_list_hdr + ms_counter[n] */
	MS_MSG_ADMIN_BIND = 9,    /* ms_tuple -> empty: static reservation by the administrator */
	MS_MSG_ADMIN_UNBIND = 10, /* ms_tuple -> empty: remove a reservation or revoke an app's binding */
	MS_MSG_CAPTURE = 11,      /* ms_capture_req -> ms_capture_reply + 2 fds (administrator) */
	MS_MSG_TYPE_MAX = 11
};

struct ms_msg_hdr {
	uint16_t version; /* MS_PROTO_VERSION */
	uint16_t type;    /* enum ms_msg_type, | MS_MSG_REPLY on replies */
	uint32_t len;     /* body bytes after this header */
	uint32_t req_id;  /* echoed in the reply */
	int32_t status;   /* replies: 0 or -errno; requests: 0 */
};

/* HELLO: protocol and ABI versions, and what the application wants. */
#define MS_HELLO_F_BCAST 0x1 /* also deliver broadcast/multicast frames */
/*
 * One wakeup eventfd per queue, so that threads each receiving one queue
 * sleep independently: the daemon signals the fd of the queue whose ring
 * became non-empty, never the session's. A daemon that does not know the
 * flag ignores it and answers with 3 fds, which the library refuses (-EPROTO).
 */
#define MS_HELLO_F_QUEUE_WAKEUP 0x2
struct ms_hello {
	uint16_t abi_major; /* must equal the daemon's MS_ABI_MAJOR */
	uint16_t abi_minor;
	uint16_t nqueues;   /* 1..limit */
	uint16_t flags;     /* MS_HELLO_F_* */
	uint32_t ring_size; /* slots per ring: power of two, 64..limit */
	char name[MS_NAME_MAX];
};

struct ms_hello_reply {
	uint32_t app_id;
	uint32_t nqueues;
	uint32_t ring_size;
	uint32_t mtu;
	uint64_t region_size;
	uint8_t mac[6]; /* the NIC's MAC: the source of every frame the app sends */
	uint8_t pad[2];
};

/* A 3-tuple. addr all zero means "any address" (the wildcard). */
struct ms_tuple {
	uint8_t proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t family;   /* AF_INET or AF_INET6 */
	uint16_t port;    /* host order; 0 in BIND asks for an ephemeral port */
	uint8_t addr[16]; /* network order; IPv4 in addr[0..3], addr[4..15] zero */
};

struct ms_resolve {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t pad[3];
	uint8_t addr[16]; /* next-hop address */
};

struct ms_resolve_reply {
	uint8_t mac[6];
	uint8_t pad[2];
};

struct ms_port_info {
	char name[MS_NAME_MAX]; /* "nic" or "tap" */
	char devargs[64];       /* truncated */
	uint8_t link_up;
	uint8_t mac[6];
	uint8_t pad;
	uint32_t speed_mbps;
};

struct ms_status {
	char version[16];
	uint64_t uptime_ms;
	uint32_t napps;
	uint32_t nbindings;
	uint32_t nworkers; /* datapath lcores */
	uint32_t nports;   /* entries used in ports[] */
	struct ms_port_info ports[2];
};

/* Paged lists: ask from `offset`; the reply says how many exist in all. */
struct ms_list_req {
	uint32_t offset;
	uint32_t pad;
};

struct ms_list_hdr {
	uint32_t total; /* entries in all */
	uint32_t count; /* entries in this reply, after this header */
};

struct ms_app_info {
	uint32_t app_id;
	uint32_t pid;
	uint32_t uid;
	uint32_t nqueues;
	uint32_t ring_size;
	uint32_t nbindings;
	uint64_t rx_packets;
	uint64_t tx_packets;
	uint64_t drops; /* every drop charged to this app, all reasons */
	char name[MS_NAME_MAX];
};

/* app_id of a tuple held for an app that outlived the previous mstackd: pid is its owner, name "held, N s left". */
#define MS_BINDING_HELD 0xffffffffu

struct ms_binding_info {
	struct ms_tuple tuple;
	uint32_t app_id; /* 0: an administrator's static reservation; MS_BINDING_HELD: held across a restart */
	uint32_t pid;
	char name[MS_NAME_MAX];
};

struct ms_counter {
	char name[56]; /* "nic.rx_packets", "app.3.rx_ring_full", "dp.busy_cycles" ... */
	uint64_t value;
};

/*
 * CAPTURE: copy frames seen at the selected points into a shared ring
 * (include/mstack/ms_capture.h) until the session closes. Administrator
 * only (-EPERM); one capture at a time in the daemon (-EBUSY).
 */
#define MS_CAP_SNAPLEN_MAX 9216  /* bytes of a frame a capture may keep */
#define MS_CAP_SLOTS_MAX   65536 /* records in a capture ring */
struct ms_capture_req {
	uint8_t points;   /* MS_CAP_NIC | MS_CAP_TAP | MS_CAP_APP, at least one */
	uint8_t dirs;     /* MS_CAP_RX | MS_CAP_TX, at least one */
	uint16_t pad;     /* 0 */
	uint32_t app_id;  /* with MS_CAP_APP: the application */
	uint32_t snaplen; /* 1..MS_CAP_SNAPLEN_MAX */
	uint32_t nslots;  /* power of two, 64..MS_CAP_SLOTS_MAX */
};

struct ms_capture_reply {
	uint64_t region_size;
	uint32_t nslots;
	uint32_t snaplen;
};

/* The most list entries one reply can hold. */
#define MS_LIST_MAX(entry) ((MS_MSG_MAX - sizeof(struct ms_msg_hdr) - sizeof(struct ms_list_hdr)) / sizeof(entry))

/*
 * Tuples in text, for applications and tools. Part of the library's public
 * API (mstack.h); the message codec is internal to mstack (lib/ms_codec.h).
 */

/* 0 if t is a well-formed tuple (proto, family, zero tail for IPv4), else -EINVAL (also for t NULL). */
int ms_tuple_check(const struct ms_tuple *t);

/*
 * "udp 10.0.0.1:7000", "tcp [2001:db8::1]:80", "udp *:53", "udp [::]:53"
 * into buf of len bytes, truncated as snprintf does (MS_TUPLE_STRLEN bytes
 * always suffice). Returns snprintf's value, or -EINVAL if ms_tuple_check(t)
 * fails.
 */
int ms_tuple_format(const struct ms_tuple *t, char *buf, size_t len);

/*
 * Parse proto ("udp"/"tcp") and "ADDR:PORT" ("10.0.0.1:7000", "[::1]:80",
 * "*:53" or "0.0.0.0:53" for any IPv4, "[::]:53" for any IPv6) into *t.
 * Returns 0 or -EINVAL (also for any argument NULL); *t is untouched on error.
 */
int ms_tuple_parse(const char *proto, const char *addr_port, struct ms_tuple *t);

#endif
