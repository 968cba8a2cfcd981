/* SPDX-License-Identifier: BSD-2-Clause */
/* check_proto.c - unit tests for the control protocol codec (lib/ms_proto.c). */
#include <mstack/ms_proto.h>

#include "ms_codec.h"
#include "ms_tuple.h"
#include "check_main.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A buffer one byte past MS_MSG_MAX, so that oversize messages can be built. */
static unsigned char msg[MS_MSG_MAX + 64];
static unsigned char body[MS_MSG_MAX];

static void fill(void *p, size_t n, unsigned seed)
{
	unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

/* Entry size of a list reply type, 0 if the type's reply is not a list. */
static size_t list_entry(uint16_t t)
{
	switch (t) {
	case MS_MSG_APPS: return sizeof(struct ms_app_info);
	case MS_MSG_BINDINGS: return sizeof(struct ms_binding_info);
	case MS_MSG_STATS: return sizeof(struct ms_counter);
	default: return 0;
	}
}

/* Build a valid success body for type (reply bit included) into body[]; returns its length. */
static uint32_t valid_body(uint16_t type, uint32_t count, uint32_t total)
{
	size_t entry = list_entry(type & ~MS_MSG_REPLY);

	if ((type & MS_MSG_REPLY) && entry) {
		struct ms_list_hdr lh = { .total = total, .count = count };

		memcpy(body, &lh, sizeof(lh));
		fill(body + sizeof(lh), count * entry, type);
		return (uint32_t)(sizeof(lh) + count * entry);
	}
	long n = ms_msg_body_size(type);
	ck_assert_int_ge(n, 0);
	fill(body, (size_t)n, type);
	return (uint32_t)n;
}

/* Pack a valid message of type into msg[]; returns its length. */
static size_t valid_msg(uint16_t type)
{
	uint32_t blen = valid_body(type, 2, 3);
	ssize_t n = ms_msg_pack(msg, sizeof(msg), type, 77, 0, body, blen);

	ck_assert_int_eq(n, (ssize_t)(sizeof(struct ms_msg_hdr) + blen));
	return (size_t)n;
}

static void set_hdr(const struct ms_msg_hdr *h)
{
	memcpy(msg, h, sizeof(*h));
}

static struct ms_msg_hdr get_hdr(void)
{
	struct ms_msg_hdr h;

	memcpy(&h, msg, sizeof(h));
	return h;
}

static int unpack(size_t len)
{
	struct ms_msg_hdr h;
	const void *b;

	return ms_msg_unpack(msg, len, &h, &b);
}

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* ---- framing ---- */

START_TEST(test_every_request_type_round_trips)
{
	for (uint16_t t = 1; t <= MS_MSG_TYPE_MAX; t++) {
		uint32_t blen = valid_body(t, 0, 0);
		ssize_t n = ms_msg_pack(msg, sizeof(msg), t, 1000 + t, 0, body, blen);
		struct ms_msg_hdr h;
		const void *b = NULL;

		ck_assert_int_eq(n, (ssize_t)(sizeof(h) + blen));
		ck_assert_int_eq(ms_msg_unpack(msg, (size_t)n, &h, &b), 0);
		ck_assert_uint_eq(h.version, MS_PROTO_VERSION);
		ck_assert_uint_eq(h.type, t);
		ck_assert_uint_eq(h.len, blen);
		ck_assert_uint_eq(h.req_id, 1000u + t);
		ck_assert_int_eq(h.status, 0);
		ck_assert_ptr_eq(b, msg + sizeof(h));
		ck_assert_mem_eq(b, body, blen);
	}
}
END_TEST

START_TEST(test_every_reply_type_round_trips)
{
	for (uint16_t t = 1; t <= MS_MSG_TYPE_MAX; t++) {
		uint16_t rt = t | MS_MSG_REPLY;
		/* lists: empty, partial page, full page */
		uint32_t counts[] = { 0, 2, 3 };

		for (size_t i = 0; i < (list_entry(t) ? 3 : 1); i++) {
			uint32_t blen = valid_body(rt, counts[i], 3);
			ssize_t n = ms_msg_pack(msg, sizeof(msg), rt, 42, 0, body, blen);
			struct ms_msg_hdr h;
			const void *b = NULL;

			ck_assert_int_gt(n, 0);
			ck_assert_msg(ms_msg_unpack(msg, (size_t)n, &h, &b) == 0, "type %u count %u", t, counts[i]);
			ck_assert_uint_eq(h.type, rt);
			ck_assert_uint_eq(h.len, blen);
			ck_assert_uint_eq(h.req_id, 42);
			ck_assert_mem_eq(b, body, blen);
		}
	}
}
END_TEST

START_TEST(test_error_reply_of_every_type_round_trips_with_empty_body)
{
	for (uint16_t t = 1; t <= MS_MSG_TYPE_MAX; t++) {
		ssize_t n = ms_msg_pack(msg, sizeof(msg), t | MS_MSG_REPLY, 9, -EADDRINUSE, NULL, 0);
		struct ms_msg_hdr h;
		const void *b;

		ck_assert_int_eq(n, (ssize_t)sizeof(h));
		ck_assert_int_eq(ms_msg_unpack(msg, (size_t)n, &h, &b), 0);
		ck_assert_int_eq(h.status, -EADDRINUSE);
		ck_assert_uint_eq(h.len, 0);
	}
}
END_TEST

START_TEST(test_reply_status_at_errno_bounds_is_accepted)
{
	int32_t ok[] = { -1, -4095 };

	for (size_t i = 0; i < 2; i++) {
		ssize_t n = ms_msg_pack(msg, sizeof(msg), MS_MSG_BIND | MS_MSG_REPLY, 1, ok[i], NULL, 0);
		ck_assert_int_eq(ms_msg_unpack(msg, (size_t)n, NULL, NULL), 0);
	}
}
END_TEST

START_TEST(test_every_shorter_length_of_a_valid_message_is_rejected)
{
	for (uint16_t t = 1; t <= MS_MSG_TYPE_MAX; t++) {
		uint16_t types[2] = { t, t | MS_MSG_REPLY };

		for (int r = 0; r < 2; r++) {
			size_t full = valid_msg(types[r]);

			ck_assert_int_eq(unpack(full), 0);
			for (size_t len = 0; len < full; len++)
				ck_assert_msg(unpack(len) == -EPROTO, "type 0x%x len %zu of %zu", types[r], len, full);
		}
	}
}
END_TEST

START_TEST(test_message_over_msg_max_is_rejected_with_emsgsize)
{
	struct ms_msg_hdr h = { .version = MS_PROTO_VERSION,
				.type = MS_MSG_STATS | MS_MSG_REPLY,
				.len = MS_MSG_MAX + 1 - sizeof(h) };

	set_hdr(&h);
	ck_assert_int_eq(unpack(MS_MSG_MAX + 1), -EMSGSIZE);
	ck_assert_int_eq(unpack(MS_MSG_MAX + 64), -EMSGSIZE);
}
END_TEST

START_TEST(test_pack_refuses_body_over_msg_max_and_short_buffer)
{
	uint32_t max_body = MS_MSG_MAX - sizeof(struct ms_msg_hdr);

	ck_assert_int_eq(ms_msg_pack(msg, sizeof(msg), MS_MSG_STATS | MS_MSG_REPLY, 1, 0, body, max_body + 1),
			 -EMSGSIZE);
	ck_assert_int_eq(ms_msg_pack(msg, sizeof(msg), MS_MSG_STATS | MS_MSG_REPLY, 1, 0, body, UINT32_MAX), -EMSGSIZE);
	ck_assert_int_eq(ms_msg_pack(msg, sizeof(msg), MS_MSG_STATS | MS_MSG_REPLY, 1, 0, body, max_body), MS_MSG_MAX);
	ck_assert_int_eq(
	    ms_msg_pack(msg, sizeof(struct ms_msg_hdr) + 19, MS_MSG_BIND, 1, 0, body, sizeof(struct ms_tuple)),
	    -EMSGSIZE);
	ck_assert_int_eq(ms_msg_pack(msg, 4, MS_MSG_STATUS, 1, 0, NULL, 0), -EMSGSIZE);
	ck_assert_int_eq(ms_msg_pack(msg, sizeof(msg), MS_MSG_BIND, 1, 0, NULL, 20), -EINVAL);
}
END_TEST

START_TEST(test_header_len_not_matching_received_bytes_is_rejected)
{
	size_t full = valid_msg(MS_MSG_HELLO);
	struct ms_msg_hdr h = get_hdr();

	h.len++;
	set_hdr(&h);
	ck_assert_int_eq(unpack(full), -EPROTO);
	h.len -= 2;
	set_hdr(&h);
	ck_assert_int_eq(unpack(full), -EPROTO);
}
END_TEST

START_TEST(test_body_size_wrong_for_type_is_rejected)
{
	/* consistent framing, but one byte more or less than the type's body */
	for (uint16_t t = 1; t <= MS_MSG_TYPE_MAX; t++) {
		uint16_t types[2] = { t, t | MS_MSG_REPLY };

		for (int r = 0; r < 2; r++) {
			long sz = ms_msg_body_size(types[r]);
			ssize_t n;

			if (sz < 0)
				continue; /* lists: covered below */
			n = ms_msg_pack(msg, sizeof(msg), types[r], 1, 0, body, (uint32_t)sz + 1);
			ck_assert_int_eq(unpack((size_t)n), -EPROTO);
			if (sz == 0)
				continue;
			n = ms_msg_pack(msg, sizeof(msg), types[r], 1, 0, body, (uint32_t)sz - 1);
			ck_assert_int_eq(unpack((size_t)n), -EPROTO);
		}
	}
}
END_TEST

START_TEST(test_unknown_type_is_rejected)
{
	uint16_t bad[] = { 0,      MS_MSG_TYPE_MAX + 1, MS_MSG_REPLY, (MS_MSG_TYPE_MAX + 1) | MS_MSG_REPLY, 0x7fff,
			   0xffff, MS_MSG_BIND | 0x4000 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ssize_t n = ms_msg_pack(msg, sizeof(msg), bad[i], 1, 0, NULL, 0);

		ck_assert_msg(unpack((size_t)n) == -EPROTO, "type 0x%x", bad[i]);
		ck_assert_int_eq(ms_msg_body_size(bad[i]), -1);
	}
}
END_TEST

START_TEST(test_wrong_version_is_rejected)
{
	uint16_t bad[] = { 0, MS_PROTO_VERSION + 1, 0xffff };
	size_t full = valid_msg(MS_MSG_BIND);

	for (size_t i = 0; i < 3; i++) {
		struct ms_msg_hdr h = get_hdr();

		h.version = bad[i];
		set_hdr(&h);
		ck_assert_int_eq(unpack(full), -EPROTO);
	}
}
END_TEST

START_TEST(test_error_reply_with_body_is_rejected)
{
	ssize_t n =
	    ms_msg_pack(msg, sizeof(msg), MS_MSG_BIND | MS_MSG_REPLY, 1, -EINVAL, body, sizeof(struct ms_tuple));

	ck_assert_int_eq(unpack((size_t)n), -EPROTO);
}
END_TEST

START_TEST(test_reply_status_outside_errno_range_is_rejected)
{
	int32_t bad[] = { 1, 4095, -4096, INT32_MIN, INT32_MAX };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ssize_t n = ms_msg_pack(msg, sizeof(msg), MS_MSG_UNBIND | MS_MSG_REPLY, 1, bad[i], NULL, 0);

		ck_assert_msg(unpack((size_t)n) == -EPROTO, "status %d", bad[i]);
	}
}
END_TEST

START_TEST(test_request_with_nonzero_status_is_rejected)
{
	int32_t bad[] = { -EPERM, 1 };

	for (size_t i = 0; i < 2; i++) {
		ssize_t n = ms_msg_pack(msg, sizeof(msg), MS_MSG_STATUS, 1, bad[i], NULL, 0);

		ck_assert_int_eq(unpack((size_t)n), -EPROTO);
	}
}
END_TEST

START_TEST(test_list_reply_with_count_over_total_is_rejected)
{
	uint32_t blen = valid_body(MS_MSG_APPS | MS_MSG_REPLY, 2, 1);
	ssize_t n = ms_msg_pack(msg, sizeof(msg), MS_MSG_APPS | MS_MSG_REPLY, 1, 0, body, blen);

	ck_assert_int_eq(unpack((size_t)n), -EPROTO);
}
END_TEST

START_TEST(test_list_reply_with_count_not_matching_body_is_rejected)
{
	uint16_t rt = MS_MSG_BINDINGS | MS_MSG_REPLY;
	uint32_t blen = valid_body(rt, 2, 5);
	struct ms_list_hdr lh = { .total = 5 };
	ssize_t n;

	for (uint32_t c = 0; c <= 5; c++) {
		if (c == 2)
			continue;
		lh.count = c;
		memcpy(body, &lh, sizeof(lh));
		n = ms_msg_pack(msg, sizeof(msg), rt, 1, 0, body, blen);
		ck_assert_msg(unpack((size_t)n) == -EPROTO, "count %u with 2 entries", c);
	}
	/* one byte more than the two entries */
	lh.count = 2;
	memcpy(body, &lh, sizeof(lh));
	n = ms_msg_pack(msg, sizeof(msg), rt, 1, 0, body, blen + 1);
	ck_assert_int_eq(unpack((size_t)n), -EPROTO);
	/* count so large that count * entry wraps 32 bits */
	lh.count = lh.total = 0x80000000u;
	memcpy(body, &lh, sizeof(lh));
	n = ms_msg_pack(msg, sizeof(msg), rt, 1, 0, body, sizeof(lh));
	ck_assert_int_eq(unpack((size_t)n), -EPROTO);
}
END_TEST

START_TEST(test_list_reply_shorter_than_list_header_is_rejected)
{
	for (uint32_t blen = 0; blen < sizeof(struct ms_list_hdr); blen++) {
		ssize_t n = ms_msg_pack(msg, sizeof(msg), MS_MSG_STATS | MS_MSG_REPLY, 1, 0, body, blen);

		ck_assert_int_eq(unpack((size_t)n), -EPROTO);
	}
}
END_TEST

START_TEST(test_list_reply_of_list_max_entries_fits_msg_max)
{
	uint16_t rt = MS_MSG_STATS | MS_MSG_REPLY;
	uint32_t max = MS_LIST_MAX(struct ms_counter);
	uint32_t blen = valid_body(rt, max, max + 100);
	ssize_t n = ms_msg_pack(msg, sizeof(msg), rt, 1, 0, body, blen);

	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, MS_MSG_MAX);
	ck_assert_int_eq(unpack((size_t)n), 0);
}
END_TEST

START_TEST(test_body_size_table_matches_the_header)
{
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_HELLO), sizeof(struct ms_hello));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_HELLO | MS_MSG_REPLY), sizeof(struct ms_hello_reply));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_BIND), sizeof(struct ms_tuple));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_BIND | MS_MSG_REPLY), sizeof(struct ms_tuple));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_UNBIND | MS_MSG_REPLY), 0);
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_RESOLVE), sizeof(struct ms_resolve));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_RESOLVE | MS_MSG_REPLY), sizeof(struct ms_resolve_reply));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_STATUS), 0);
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_STATUS | MS_MSG_REPLY), sizeof(struct ms_status));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_APPS), sizeof(struct ms_list_req));
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_APPS | MS_MSG_REPLY), -1);
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_BINDINGS | MS_MSG_REPLY), -1);
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_STATS | MS_MSG_REPLY), -1);
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_ADMIN_BIND | MS_MSG_REPLY), 0);
	ck_assert_int_eq(ms_msg_body_size(MS_MSG_ADMIN_UNBIND), sizeof(struct ms_tuple));
}
END_TEST

START_TEST(test_unpack_reads_a_message_at_an_unaligned_address)
{
	size_t full = valid_msg(MS_MSG_STATS | MS_MSG_REPLY);
	static unsigned char shifted[MS_MSG_MAX + 1];
	struct ms_msg_hdr h;
	const void *b;

	memcpy(shifted + 1, msg, full);
	ck_assert_int_eq(ms_msg_unpack(shifted + 1, full, &h, &b), 0);
	ck_assert_ptr_eq(b, shifted + 1 + sizeof(h));
	ck_assert_uint_eq(h.req_id, 77);
}
END_TEST

/* ---- send / recv ---- */

static int sp[2];

static void sp_setup(void)
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
}

static void sp_teardown(void)
{
	close(sp[0]);
	close(sp[1]);
}

static unsigned char rbuf[MS_MSG_MAX];

START_TEST(test_send_recv_carries_one_message_without_fds)
{
	size_t full = valid_msg(MS_MSG_HELLO);
	int fds[MS_MSG_FDS_MAX], nfds = MS_MSG_FDS_MAX;

	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, NULL, 0), 0);
	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), fds, &nfds), (ssize_t)full);
	ck_assert_int_eq(nfds, 0);
	ck_assert_mem_eq(rbuf, msg, full);
	ck_assert_int_eq(ms_msg_unpack(rbuf, full, NULL, NULL), 0);
}
END_TEST

START_TEST(test_send_recv_passes_two_working_cloexec_fds)
{
	int p1[2], p2[2], fds[MS_MSG_FDS_MAX], nfds = MS_MSG_FDS_MAX;
	size_t full = valid_msg(MS_MSG_HELLO | MS_MSG_REPLY);
	char c = 0;

	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe(p2), 0);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, (int[]){ p1[1], p2[1] }, 2), 0);
	close(p1[1]);
	close(p2[1]);

	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), fds, &nfds), (ssize_t)full);
	ck_assert_int_eq(nfds, 2);
	for (int i = 0; i < 2; i++)
		ck_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
	/* order is kept: fds[0] is p1's write end, fds[1] is p2's */
	ck_assert_int_eq(write(fds[0], "a", 1), 1);
	ck_assert_int_eq(write(fds[1], "b", 1), 1);
	ck_assert_int_eq(read(p1[0], &c, 1), 1);
	ck_assert_int_eq(c, 'a');
	ck_assert_int_eq(read(p2[0], &c, 1), 1);
	ck_assert_int_eq(c, 'b');
	close(fds[0]);
	close(fds[1]);
	close(p1[0]);
	close(p2[0]);
}
END_TEST

START_TEST(test_recv_with_fewer_fd_slots_closes_the_extra_fds)
{
	int p1[2], p2[2], fds[1], nfds = 1;
	size_t full = valid_msg(MS_MSG_HELLO | MS_MSG_REPLY);
	char c;

	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(pipe2(p2, O_NONBLOCK), 0);
	ck_assert_int_eq(fcntl(p1[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, (int[]){ p1[1], p2[1] }, 2), 0);
	close(p1[1]);
	close(p2[1]);

	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), fds, &nfds), (ssize_t)full);
	ck_assert_int_eq(nfds, 1);
	/* p1's write end is kept: its read end is not at EOF */
	ck_assert_int_eq(read(p1[0], &c, 1), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* p2's write end was closed: no writer is left anywhere */
	ck_assert_int_eq(read(p2[0], &c, 1), 0);
	close(fds[0]);
	close(p1[0]);
	close(p2[0]);
}
END_TEST

START_TEST(test_recv_without_fd_slots_closes_every_fd)
{
	int p[2], before;
	size_t full = valid_msg(MS_MSG_BIND);
	char c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, &p[1], 1), 0);
	close(p[1]);
	before = count_open_fds();
	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), NULL, NULL), (ssize_t)full);
	ck_assert_int_eq(count_open_fds(), before);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_truncated_recv_returns_emsgsize_and_closes_fds)
{
	int p[2], fds[MS_MSG_FDS_MAX], nfds = MS_MSG_FDS_MAX, before;
	size_t full = valid_msg(MS_MSG_HELLO);
	char c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, &p[1], 1), 0);
	close(p[1]);
	before = count_open_fds();
	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, full - 1, fds, &nfds), -EMSGSIZE);
	ck_assert_int_eq(nfds, 0);
	ck_assert_int_eq(count_open_fds(), before);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_recv_of_more_fds_than_control_room_returns_emsgsize_and_leaks_none)
{
	enum { N = MS_MSG_FDS_MAX + 32 }; /* past the fd room and the credentials room both */
	union {
		char buf[CMSG_SPACE(sizeof(int) * N)];
		struct cmsghdr align;
	} ctl;
	int p[2], fds[MS_MSG_FDS_MAX], nfds = MS_MSG_FDS_MAX, before;
	size_t full = valid_msg(MS_MSG_STATUS);
	struct iovec iov = { .iov_base = msg, .iov_len = full };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)
	};
	struct cmsghdr *cm;
	char c;

	ck_assert_int_eq(pipe(p), 0);
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * N);
	for (int i = 0; i < N; i++)
		memcpy(CMSG_DATA(cm) + i * sizeof(int), &p[1], sizeof(int));
	ck_assert_int_eq(sendmsg(sp[0], &mh, 0), (ssize_t)full);
	close(p[1]);

	before = count_open_fds();
	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), fds, &nfds), -EMSGSIZE);
	ck_assert_int_eq(nfds, 0);
	ck_assert_int_eq(count_open_fds(), before);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_recv_keep_takes_every_fd_the_kernel_passes_and_closes_none)
{
	enum { N = 32 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * N)];
		struct cmsghdr align;
	} ctl;
	int p[2], fds[MS_MSG_FDS_KERNEL_MAX], nfds = -1, before;
	unsigned flags = 99;
	size_t full = valid_msg(MS_MSG_STATUS);
	struct iovec iov = { .iov_base = msg, .iov_len = full };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)
	};
	struct cmsghdr *cm;

	ck_assert_int_eq(pipe(p), 0);
	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * N);
	for (int i = 0; i < N; i++)
		memcpy(CMSG_DATA(cm) + i * sizeof(int), &p[1], sizeof(int));
	ck_assert_int_eq(sendmsg(sp[0], &mh, 0), (ssize_t)full);
	before = count_open_fds();
	ck_assert_int_eq(ms_msg_recv_keep(sp[1], rbuf, sizeof(rbuf), fds, &nfds, &flags), (ssize_t)full);
	ck_assert_int_eq(nfds, N);
	ck_assert_uint_eq(flags, 0);
	ck_assert_int_eq(count_open_fds(), before + N);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_recv_keep_tells_an_empty_message_from_the_end_with_passcred)
{
	int p[2], fds[MS_MSG_FDS_KERNEL_MAX], nfds, one = 1;
	unsigned flags;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, 0, &p[0], 1), 0);
	close(sp[0]);
	sp[0] = -1;
	ck_assert_int_eq(ms_msg_recv_keep(sp[1], rbuf, sizeof(rbuf), fds, &nfds, &flags), 0);
	ck_assert_int_eq(nfds, 1);
	ck_assert_uint_eq(flags, MS_RECV_CREDS);
	close(fds[0]);
	ck_assert_int_eq(ms_msg_recv_keep(sp[1], rbuf, sizeof(rbuf), fds, &nfds, &flags), 0);
	ck_assert_int_eq(nfds, 0);
	ck_assert_uint_eq(flags, 0);
	ck_assert_int_eq(ms_msg_recv_keep(sp[1], rbuf, sizeof(rbuf), NULL, &nfds, &flags), -EINVAL);
	close(p[0]);
	close(p[1]);
}
END_TEST

START_TEST(test_send_refuses_more_than_fds_max)
{
	int fds[MS_MSG_FDS_MAX + 1] = { 0 };
	size_t full = valid_msg(MS_MSG_STATUS);

	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, fds, MS_MSG_FDS_MAX + 1), -EINVAL);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, fds, -1), -EINVAL);
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, NULL, 1), -EINVAL);
}
END_TEST

START_TEST(test_send_carries_fds_max_fds)
{
	int p[2], out[MS_MSG_FDS_MAX], fds[MS_MSG_FDS_MAX], nfds = MS_MSG_FDS_MAX;
	size_t full = valid_msg(MS_MSG_STATUS);

	ck_assert_int_eq(pipe(p), 0);
	for (int i = 0; i < MS_MSG_FDS_MAX; i++)
		out[i] = p[i % 2];
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, out, MS_MSG_FDS_MAX), 0);
	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), fds, &nfds), (ssize_t)full);
	ck_assert_int_eq(nfds, MS_MSG_FDS_MAX);
	for (int i = 0; i < MS_MSG_FDS_MAX; i++)
		close(fds[i]);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ------------------------------------------------------------ HELLO reply fds */

START_TEST(test_hello_reply_carries_3_fds_or_3_plus_one_per_queue)
{
	struct ms_hello h = { .nqueues = 4 };

	ck_assert_int_eq(ms_hello_reply_nfds(&h), 3);
	h.flags = MS_HELLO_F_QUEUE_WAKEUP | MS_HELLO_F_BCAST;
	ck_assert_int_eq(ms_hello_reply_nfds(&h), 7);
	h.nqueues = MS_QUEUES_MAX;
	ck_assert_int_eq(ms_hello_reply_nfds(&h), MS_MSG_FDS_MAX); /* the most queues fill one message exactly */
	ck_assert_int_le(MS_MSG_FDS_MAX, MS_MSG_FDS_KERNEL_MAX);
}
END_TEST

START_TEST(test_hello_asking_per_queue_fds_beyond_one_message_is_refused)
{
	struct ms_hello h = { .nqueues = MS_QUEUES_MAX + 1, .flags = MS_HELLO_F_QUEUE_WAKEUP };

	ck_assert_int_eq(ms_hello_reply_nfds(&h), -EINVAL);
	h.nqueues = 0;
	ck_assert_int_eq(ms_hello_reply_nfds(&h), -EINVAL);
	h.flags = 0;
	ck_assert_int_eq(ms_hello_reply_nfds(&h), 3); /* without the flag the daemon's limits decide */
}
END_TEST

START_TEST(test_hello_reply_with_the_wrong_fds_or_queues_is_refused)
{
	struct ms_hello h = { .nqueues = 2, .flags = MS_HELLO_F_QUEUE_WAKEUP };
	struct ms_hello_reply r = { .nqueues = 2 };

	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 5), 0);
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 3), -EPROTO); /* a daemon that ignored the flag */
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 4), -EPROTO);
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 6), -EPROTO);
	r.nqueues = 3;
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 6), -EPROTO); /* queues not asked for */
	h.flags = 0;
	r.nqueues = 2;
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 3), 0);
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 5), -EPROTO); /* fds not asked for */
	ck_assert_int_eq(ms_hello_reply_check(&h, &r, 0), -EPROTO);
}
END_TEST

START_TEST(test_recv_returns_zero_when_peer_closes)
{
	int fds[1], nfds = 1;

	close(sp[0]);
	sp[0] = -1;
	ck_assert_int_eq(ms_msg_recv(sp[1], rbuf, sizeof(rbuf), fds, &nfds), 0);
	ck_assert_int_eq(nfds, 0);
}
END_TEST

START_TEST(test_send_to_closed_peer_returns_epipe)
{
	size_t full = valid_msg(MS_MSG_STATUS);

	/*
	 * Linux raises no SIGPIPE on SOCK_SEQPACKET; MSG_NOSIGNAL covers kernels
	 * that would. Either way the caller must see -EPIPE and live.
	 */
	close(sp[1]);
	sp[1] = -1;
	ck_assert_int_eq(ms_msg_send(sp[0], msg, full, NULL, 0), -EPIPE);
}
END_TEST

START_TEST(test_send_on_bad_socket_returns_negative_errno)
{
	ck_assert_int_eq(ms_msg_send(-1, msg, 16, NULL, 0), -EBADF);
	ck_assert_int_eq(ms_msg_recv(-1, rbuf, sizeof(rbuf), NULL, NULL), -EBADF);
}
END_TEST

/* ---- tuples ---- */

static void assert_round_trip(const char *proto, const char *ap, const char *text)
{
	struct ms_tuple t, u;
	char buf[MS_TUPLE_STRLEN];
	char *sp_ = NULL;

	ck_assert_msg(ms_tuple_parse(proto, ap, &t) == 0, "%s %s", proto, ap);
	ck_assert_int_eq(ms_tuple_check(&t), 0);
	ck_assert_int_eq(ms_tuple_format(&t, buf, sizeof(buf)), (int)strlen(text));
	ck_assert_str_eq(buf, text);
	/* the formatted text parses back to the same tuple */
	sp_ = strchr(buf, ' ');
	ck_assert_ptr_nonnull(sp_);
	*sp_ = '\0';
	ck_assert_int_eq(ms_tuple_parse(buf, sp_ + 1, &u), 0);
	ck_assert_mem_eq(&t, &u, sizeof(t));
}

START_TEST(test_tuple_ipv4_parses_and_formats_back)
{
	struct ms_tuple t;
	const uint8_t a[16] = { 10, 0, 0, 1 };

	assert_round_trip("udp", "10.0.0.1:7000", "udp 10.0.0.1:7000");
	ck_assert_int_eq(ms_tuple_parse("udp", "10.0.0.1:7000", &t), 0);
	ck_assert_uint_eq(t.proto, IPPROTO_UDP);
	ck_assert_uint_eq(t.family, AF_INET);
	ck_assert_uint_eq(t.port, 7000);
	ck_assert_mem_eq(t.addr, a, 16);
	assert_round_trip("tcp", "192.168.1.254:0", "tcp 192.168.1.254:0");
	assert_round_trip("tcp", "1.2.3.4:65535", "tcp 1.2.3.4:65535");
}
END_TEST

START_TEST(test_tuple_ipv6_parses_and_formats_back_in_brackets)
{
	struct ms_tuple t;
	const uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	assert_round_trip("tcp", "[2001:db8::1]:80", "tcp [2001:db8::1]:80");
	ck_assert_int_eq(ms_tuple_parse("tcp", "[2001:db8::1]:80", &t), 0);
	ck_assert_uint_eq(t.proto, IPPROTO_TCP);
	ck_assert_uint_eq(t.family, AF_INET6);
	ck_assert_uint_eq(t.port, 80);
	ck_assert_mem_eq(t.addr, a, 16);
	assert_round_trip("udp", "[::1]:53", "udp [::1]:53");
	assert_round_trip("udp", "[::ffff:10.0.0.1]:9", "udp [::ffff:10.0.0.1]:9");
}
END_TEST

START_TEST(test_tuple_any_ipv4_is_star_or_zero_address)
{
	struct ms_tuple t, u;
	const uint8_t zero[16] = { 0 };

	assert_round_trip("udp", "*:53", "udp *:53");
	ck_assert_int_eq(ms_tuple_parse("udp", "*:53", &t), 0);
	ck_assert_int_eq(ms_tuple_parse("udp", "0.0.0.0:53", &u), 0);
	ck_assert_mem_eq(&t, &u, sizeof(t));
	ck_assert_uint_eq(t.family, AF_INET);
	ck_assert_mem_eq(t.addr, zero, 16);
	assert_round_trip("udp", "0.0.0.0:53", "udp *:53");
}
END_TEST

START_TEST(test_tuple_any_ipv6_is_bracketed_double_colon)
{
	struct ms_tuple t;
	const uint8_t zero[16] = { 0 };

	assert_round_trip("tcp", "[::]:443", "tcp [::]:443");
	ck_assert_int_eq(ms_tuple_parse("tcp", "[::]:443", &t), 0);
	ck_assert_uint_eq(t.family, AF_INET6);
	ck_assert_mem_eq(t.addr, zero, 16);
}
END_TEST

START_TEST(test_tuple_parse_rejects_bad_input_and_leaves_tuple_untouched)
{
	static const char *const bad[][2] = {
		/* bad proto */
		{ "UDP", "10.0.0.1:80" },
		{ "sctp", "10.0.0.1:80" },
		{ "", "10.0.0.1:80" },
		{ "udp ", "10.0.0.1:80" },
		/* no port */
		{ "udp", "10.0.0.1" },
		{ "udp", "10.0.0.1:" },
		{ "udp", "[::1]" },
		{ "udp", "[::1]:" },
		/* port out of range or not plain decimal */
		{ "udp", "10.0.0.1:65536" },
		{ "udp", "10.0.0.1:99999999999999999999999" },
		{ "udp", "10.0.0.1:-1" },
		{ "udp", "10.0.0.1:+1" },
		{ "udp", "10.0.0.1: 1" },
		{ "udp", "10.0.0.1:0x10" },
		/* junk after the port */
		{ "udp", "10.0.0.1:80x" },
		{ "udp", "10.0.0.1:80 " },
		{ "udp", "10.0.0.1:80:81" },
		{ "udp", "[::1]:80]" },
		/* brackets */
		{ "udp", "[::1:80" },
		{ "udp", "::1]:80" },
		{ "udp", "[::1]80" },
		{ "udp", "::1:80" },
		{ "udp", "[]:80" },
		{ "udp", "[*]:80" },
		{ "udp", "[10.0.0.1]:80" },
		/* bad address */
		{ "udp", "10.0.0.256:80" },
		{ "udp", "10.0.0:80" },
		{ "udp", "host:80" },
		{ "udp", ":80" },
		{ "udp", "**:80" },
		{ "udp", " 10.0.0.1:80" },
		{ "udp", "[2001:db8::g]:80" },
		{ "udp", "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:80" },
		{ "udp", "" },
	};
	struct ms_tuple t, orig;

	memset(&t, 0xa5, sizeof(t));
	orig = t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ms_tuple_parse(bad[i][0], bad[i][1], &t) == -EINVAL, "accepted '%s' '%s'", bad[i][0],
			      bad[i][1]);
		ck_assert_mem_eq(&t, &orig, sizeof(t));
	}
	ck_assert_int_eq(ms_tuple_parse(NULL, "1.2.3.4:5", &t), -EINVAL);
	ck_assert_int_eq(ms_tuple_parse("udp", NULL, &t), -EINVAL);
}
END_TEST

START_TEST(test_tuple_check_rejects_bad_proto_family_and_ipv4_tail)
{
	struct ms_tuple t;

	ck_assert_int_eq(ms_tuple_parse("udp", "10.0.0.1:80", &t), 0);
	ck_assert_int_eq(ms_tuple_check(&t), 0);
	t.proto = IPPROTO_ICMP;
	ck_assert_int_eq(ms_tuple_check(&t), -EINVAL);
	t.proto = IPPROTO_TCP;
	t.family = AF_UNIX;
	ck_assert_int_eq(ms_tuple_check(&t), -EINVAL);
	t.family = AF_INET;
	t.addr[15] = 1;
	ck_assert_int_eq(ms_tuple_check(&t), -EINVAL);
	t.family = AF_INET6;
	ck_assert_int_eq(ms_tuple_check(&t), 0);
	ck_assert_int_eq(ms_tuple_check(NULL), -EINVAL);
}
END_TEST

START_TEST(test_tuple_format_refuses_invalid_tuple_and_truncates_like_snprintf)
{
	struct ms_tuple t = { .proto = 99, .family = AF_INET };
	char small[8];

	ck_assert_int_eq(ms_tuple_format(&t, small, sizeof(small)), -EINVAL);
	ck_assert_int_eq(ms_tuple_parse("udp", "10.0.0.1:7000", &t), 0);
	ck_assert_int_eq(ms_tuple_format(&t, small, sizeof(small)), 17);
	ck_assert_str_eq(small, "udp 10.");
	ck_assert_int_eq(ms_tuple_format(&t, NULL, 0), 17);
}
END_TEST

START_TEST(test_tuple_longest_text_fits_tuple_strlen)
{
	struct ms_tuple t;
	char buf[MS_TUPLE_STRLEN];
	int n;

	ck_assert_int_eq(ms_tuple_parse("tcp", "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", &t), 0);
	n = ms_tuple_format(&t, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, MS_TUPLE_STRLEN);
	ck_assert_int_eq(ms_tuple_parse("tcp", "[::ffff:255.255.255.255]:65535", &t), 0);
	n = ms_tuple_format(&t, buf, sizeof(buf));
	ck_assert_int_lt(n, MS_TUPLE_STRLEN);
}
END_TEST

START_TEST(test_tuple_bind_socket_takes_an_ephemeral_port_and_the_kernel_refuses_it_twice)
{
	struct ms_tuple t, again, bound;
	int fd, fd2;

	ck_assert_int_eq(ms_tuple_parse("udp", "127.0.0.1:0", &t), 0);
	ck_assert_int_eq(ms_tuple_is_wildcard(&t), 0);
	fd = ms_tuple_bind_socket(&t);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_gt(t.port, 0);
	ck_assert_int_eq(ms_tuple_of_socket(fd, &bound), 0);
	ck_assert_uint_eq(bound.family, AF_INET);
	ck_assert_uint_eq(bound.port, t.port);
	ck_assert_mem_eq(bound.addr, t.addr, sizeof(t.addr));
	again = t;
	fd2 = ms_tuple_bind_socket(&again);
	ck_assert_int_eq(fd2, -EADDRINUSE);
	close(fd);
	ck_assert_int_eq(ms_tuple_parse("udp", "*:53", &t), 0);
	ck_assert_int_eq(ms_tuple_is_wildcard(&t), 1);
}
END_TEST

static Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_add_test(tc, test_every_request_type_round_trips);
	tcase_add_test(tc, test_every_reply_type_round_trips);
	tcase_add_test(tc, test_error_reply_of_every_type_round_trips_with_empty_body);
	tcase_add_test(tc, test_reply_status_at_errno_bounds_is_accepted);
	tcase_add_test(tc, test_every_shorter_length_of_a_valid_message_is_rejected);
	tcase_add_test(tc, test_message_over_msg_max_is_rejected_with_emsgsize);
	tcase_add_test(tc, test_pack_refuses_body_over_msg_max_and_short_buffer);
	tcase_add_test(tc, test_header_len_not_matching_received_bytes_is_rejected);
	tcase_add_test(tc, test_body_size_wrong_for_type_is_rejected);
	tcase_add_test(tc, test_unknown_type_is_rejected);
	tcase_add_test(tc, test_wrong_version_is_rejected);
	tcase_add_test(tc, test_error_reply_with_body_is_rejected);
	tcase_add_test(tc, test_reply_status_outside_errno_range_is_rejected);
	tcase_add_test(tc, test_request_with_nonzero_status_is_rejected);
	tcase_add_test(tc, test_list_reply_with_count_over_total_is_rejected);
	tcase_add_test(tc, test_list_reply_with_count_not_matching_body_is_rejected);
	tcase_add_test(tc, test_list_reply_shorter_than_list_header_is_rejected);
	tcase_add_test(tc, test_list_reply_of_list_max_entries_fits_msg_max);
	tcase_add_test(tc, test_body_size_table_matches_the_header);
	tcase_add_test(tc, test_unpack_reads_a_message_at_an_unaligned_address);
	suite_add_tcase(s, tc);

	tc = tcase_create("socket");
	tcase_add_checked_fixture(tc, sp_setup, sp_teardown);
	tcase_add_test(tc, test_send_recv_carries_one_message_without_fds);
	tcase_add_test(tc, test_send_recv_passes_two_working_cloexec_fds);
	tcase_add_test(tc, test_recv_with_fewer_fd_slots_closes_the_extra_fds);
	tcase_add_test(tc, test_recv_without_fd_slots_closes_every_fd);
	tcase_add_test(tc, test_truncated_recv_returns_emsgsize_and_closes_fds);
	tcase_add_test(tc, test_recv_of_more_fds_than_control_room_returns_emsgsize_and_leaks_none);
	tcase_add_test(tc, test_recv_keep_takes_every_fd_the_kernel_passes_and_closes_none);
	tcase_add_test(tc, test_recv_keep_tells_an_empty_message_from_the_end_with_passcred);
	tcase_add_test(tc, test_send_refuses_more_than_fds_max);
	tcase_add_test(tc, test_send_carries_fds_max_fds);
	tcase_add_test(tc, test_recv_returns_zero_when_peer_closes);
	tcase_add_test(tc, test_send_to_closed_peer_returns_epipe);
	tcase_add_test(tc, test_send_on_bad_socket_returns_negative_errno);
	suite_add_tcase(s, tc);

	tc = tcase_create("hello_fds");
	tcase_add_test(tc, test_hello_reply_carries_3_fds_or_3_plus_one_per_queue);
	tcase_add_test(tc, test_hello_asking_per_queue_fds_beyond_one_message_is_refused);
	tcase_add_test(tc, test_hello_reply_with_the_wrong_fds_or_queues_is_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("tuple");
	tcase_add_test(tc, test_tuple_ipv4_parses_and_formats_back);
	tcase_add_test(tc, test_tuple_ipv6_parses_and_formats_back_in_brackets);
	tcase_add_test(tc, test_tuple_any_ipv4_is_star_or_zero_address);
	tcase_add_test(tc, test_tuple_any_ipv6_is_bracketed_double_colon);
	tcase_add_test(tc, test_tuple_parse_rejects_bad_input_and_leaves_tuple_untouched);
	tcase_add_test(tc, test_tuple_check_rejects_bad_proto_family_and_ipv4_tail);
	tcase_add_test(tc, test_tuple_format_refuses_invalid_tuple_and_truncates_like_snprintf);
	tcase_add_test(tc, test_tuple_bind_socket_takes_an_ephemeral_port_and_the_kernel_refuses_it_twice);
	tcase_add_test(tc, test_tuple_longest_text_fits_tuple_strlen);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(proto_suite)
