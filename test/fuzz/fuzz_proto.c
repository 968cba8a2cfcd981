/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_proto.c - libFuzzer target: the control codec (ms_msg_unpack) and the tuple text form. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "ms_codec.h"
#include "fuzz.h"

/*
 * The first byte chooses what the rest is:
 *   0  a whole message as received, header included (ms_msg_unpack);
 *   1  type (2 bytes), status (4 bytes) and a body: packed with a header
 *      whose length is right, so that every type's body checks are reached;
 *   2  tuple text: "proto addr:port" (ms_tuple_parse, then format and parse back);
 *   3  a binary struct ms_tuple (ms_tuple_check, format, parse back);
 *   4  a HELLO request, its reply and the count of fds that came with it
 *      (ms_hello_reply_check: a reply is accepted only with exactly the fds asked for).
 */

/* Entry size of a list reply's entries, or 0 for a fixed body. */
static size_t fz_list_entry(uint16_t type)
{
	switch (type & (uint16_t)~MS_MSG_REPLY) {
	case MS_MSG_APPS: return sizeof(struct ms_app_info);
	case MS_MSG_BINDINGS: return sizeof(struct ms_binding_info);
	case MS_MSG_STATS: return sizeof(struct ms_counter);
	default: return 0;
	}
}

/* What an accepted message promises its reader; and packing it again gives the same bytes. */
static void fz_check_msg(const uint8_t *buf, size_t len)
{
	static uint8_t again[MS_MSG_MAX];
	struct ms_msg_hdr h;
	const void *body = NULL;
	int rc = ms_msg_unpack(buf, len, &h, &body);
	size_t body_len, entry;
	ssize_t n;

	FZ_ASSERT(rc == 0 || rc == -EPROTO || rc == -EMSGSIZE);
	if (rc < 0)
		return;
	FZ_ASSERT(len >= sizeof(h) && len <= MS_MSG_MAX);
	body_len = len - sizeof(h);
	FZ_ASSERT((const uint8_t *)body == buf + sizeof(h));
	FZ_ASSERT(h.version == MS_PROTO_VERSION && h.len == body_len);
	FZ_ASSERT((h.type & (uint16_t)~MS_MSG_REPLY) >= 1 && (h.type & (uint16_t)~MS_MSG_REPLY) <= MS_MSG_TYPE_MAX);
	entry = fz_list_entry(h.type);
	if (!(h.type & MS_MSG_REPLY)) {
		FZ_ASSERT(h.status == 0);
		FZ_ASSERT((long)body_len == ms_msg_body_size(h.type));
	} else if (h.status != 0) {
		FZ_ASSERT(h.status < 0 && h.status >= -4095 && body_len == 0);
	} else if (entry) {
		struct ms_list_hdr lh;

		FZ_ASSERT(ms_msg_body_size(h.type) == -1);
		FZ_ASSERT(body_len >= sizeof(lh));
		memcpy(&lh, body, sizeof(lh));
		FZ_ASSERT(lh.count <= lh.total);
		FZ_ASSERT(body_len == sizeof(lh) + (size_t)lh.count * entry);
	} else {
		FZ_ASSERT((long)body_len == ms_msg_body_size(h.type));
	}
	n = ms_msg_pack(again, sizeof(again), h.type, h.req_id, h.status, body, h.len);
	FZ_ASSERT(n == (ssize_t)len && memcmp(again, buf, len) == 0);
}

static void fz_typed(const uint8_t *data, size_t size)
{
	static uint8_t msg[MS_MSG_MAX];
	uint16_t type;
	int32_t status;
	ssize_t n;

	if (size < sizeof(type) + sizeof(status))
		return;
	memcpy(&type, data, sizeof(type));
	memcpy(&status, data + sizeof(type), sizeof(status));
	data += sizeof(type) + sizeof(status);
	size -= sizeof(type) + sizeof(status);
	n = ms_msg_pack(msg, sizeof(msg), type, 7, status, size ? data : NULL, (uint32_t)size);
	if (size > MS_MSG_MAX - sizeof(struct ms_msg_hdr)) {
		FZ_ASSERT(n == -EMSGSIZE);
		return;
	}
	FZ_ASSERT(n == (ssize_t)(sizeof(struct ms_msg_hdr) + size));
	fz_check_msg(msg, (size_t)n);
}

/* A well-formed tuple survives format then parse unchanged. */
static void fz_tuple_round_trip(const struct ms_tuple *t)
{
	char text[MS_TUPLE_STRLEN], small[8];
	struct ms_tuple back;
	char *sp;
	int n;

	n = ms_tuple_format(t, text, sizeof(text));
	if (ms_tuple_check(t) < 0) {
		FZ_ASSERT(n == -EINVAL);
		return;
	}
	FZ_ASSERT(n > 0 && (size_t)n < sizeof(text) && strlen(text) == (size_t)n);
	/* Truncation as snprintf does it: the same length, a NUL-terminated prefix. */
	FZ_ASSERT(ms_tuple_format(t, small, sizeof(small)) == n);
	FZ_ASSERT(strlen(small) == sizeof(small) - 1 && memcmp(small, text, sizeof(small) - 1) == 0);
	sp = strchr(text, ' ');
	FZ_ASSERT(sp);
	*sp = '\0';
	FZ_ASSERT(ms_tuple_parse(text, sp + 1, &back) == 0);
	FZ_ASSERT(memcmp(&back, t, sizeof(back)) == 0);
}

static void fz_tuple_text(const uint8_t *data, size_t size)
{
	char buf[256], *addr;
	struct ms_tuple t, untouched;

	if (size >= sizeof(buf))
		size = sizeof(buf) - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	addr = strchr(buf, ' ');
	if (addr)
		*addr++ = '\0';
	else
		addr = buf + size; /* "" */
	memset(&t, 0xa5, sizeof(t));
	untouched = t;
	if (ms_tuple_parse(buf, addr, &t) < 0) {
		FZ_ASSERT(memcmp(&t, &untouched, sizeof(t)) == 0);
		return;
	}
	FZ_ASSERT(ms_tuple_check(&t) == 0);
	FZ_ASSERT(t.proto == IPPROTO_TCP || t.proto == IPPROTO_UDP);
	FZ_ASSERT(t.family == AF_INET || t.family == AF_INET6);
	fz_tuple_round_trip(&t);
}

/* An accepted HELLO reply grants the queues asked for, with 3 fds, or 3 + one per queue that fit one message. */
static void fz_hello_reply(const uint8_t *data, size_t size)
{
	struct ms_hello req;
	struct ms_hello_reply rep;
	int nfds, want, rc;

	if (size < sizeof(req) + sizeof(rep) + 1)
		return;
	memcpy(&req, data, sizeof(req));
	memcpy(&rep, data + sizeof(req), sizeof(rep));
	nfds = data[sizeof(req) + sizeof(rep)];
	want = ms_hello_reply_nfds(&req);
	rc = ms_hello_reply_check(&req, &rep, nfds);
	FZ_ASSERT(rc == 0 || rc == -EPROTO);
	FZ_ASSERT(want == -EINVAL || (want >= 3 && want <= MS_MSG_FDS_MAX));
	if (!(req.flags & MS_HELLO_F_QUEUE_WAKEUP))
		FZ_ASSERT(want == 3);
	else if (req.nqueues >= 1 && req.nqueues <= MS_QUEUES_MAX)
		FZ_ASSERT(want == 3 + req.nqueues);
	else
		FZ_ASSERT(want == -EINVAL);
	if (rc < 0)
		return;
	FZ_ASSERT(want > 0 && nfds == want && rep.nqueues == req.nqueues);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_tuple t;

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0: fz_check_msg(data + 1, size - 1); break;
	case 1: fz_typed(data + 1, size - 1); break;
	case 2: fz_tuple_text(data + 1, size - 1); break;
	case 3:
		if (size - 1 < sizeof(t))
			return 0;
		memcpy(&t, data + 1, sizeof(t));
		fz_tuple_round_trip(&t);
		break;
	case 4: fz_hello_reply(data + 1, size - 1); break;
	}
	return 0;
}
