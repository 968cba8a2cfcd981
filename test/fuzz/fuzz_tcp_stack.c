/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_tcp_stack.c - libFuzzer target: a whole libmstack-tcp stack fed segments and application calls from the input.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tcp_ip.h"
#include "tcp_stack.h"
#include "fuzz.h"

/*
 * The input is a list of records, each one segment from one of four peers
 * (10.0.0.1, ports 1000-1003) to the stack (10.0.0.2; a listener on port
 * 80), built with valid checksums so that the mutations reach the state
 * machine, then optionally one application call, then a poll:
 *
 *   u8 op     bits 0-1 peer, bit 2 numbers relative to the connection's
 *             RCV.NXT / SND.UNA, bit 3 an application call follows,
 *             bits 4-7 which one
 *   u8 flags  u32 seq  u32 ack  u16 window
 *   u8 optlen (mod 41, rounded up to 4 with NOPs) + that many option bytes
 *   u8 payload length / 8 (at most 1400)  u8 milliseconds to let pass
 *
 * Invariants: every frame the stack sends parses, the limits hold, ASan
 * and LeakSanitizer see nothing when the stack is freed.
 */
struct fz_io {
	uint8_t frame[MS_BUF_SIZE];
	uint32_t len;
	int pending;
	uint64_t now_us;
	uint8_t tx[TCP_BURST][MS_BUF_SIZE];
};

static unsigned fz_rx_burst(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct fz_io *io = ctx;

	if (!io->pending || !n)
		return 0;
	pkts[0].data = io->frame;
	pkts[0].len = io->len;
	return 1;
}

static void fz_rx_release(void *ctx, unsigned k)
{
	struct fz_io *io = ctx;

	FZ_ASSERT(k <= (unsigned)io->pending);
	io->pending = 0;
}

static unsigned fz_tx_alloc(void *ctx, struct ms_pkt *pkts, unsigned n)
{
	struct fz_io *io = ctx;

	for (unsigned i = 0; i < n && i < TCP_BURST; i++) {
		pkts[i].data = io->tx[i];
		pkts[i].len = MS_BUF_SIZE;
	}
	return n < TCP_BURST ? n : TCP_BURST;
}

static void fz_tx_send(void *ctx, const struct ms_pkt *pkts, unsigned k)
{
	struct tcp_seg seg;
	struct tcp_icmp_err err;

	(void)ctx;
	for (unsigned i = 0; i < k; i++) {
		FZ_ASSERT(pkts[i].len >= 14 && pkts[i].len <= MS_BUF_SIZE);
		FZ_ASSERT(tcp_ip_parse(pkts[i].data, pkts[i].len, &seg, &err) == TCP_IP_SEGMENT);
	}
}

static uint64_t fz_now(void *ctx)
{
	return ((struct fz_io *)ctx)->now_us;
}

static int fz_resolve(void *ctx, int family, const void *addr, uint8_t mac[6])
{
	(void)ctx;
	(void)family;
	(void)addr;
	memset(mac, 0x02, 6);
	return 0;
}

static const struct tcp_io_ops fz_ops = {
	.rx_burst = fz_rx_burst,
	.rx_release = fz_rx_release,
	.tx_alloc = fz_tx_alloc,
	.tx_send = fz_tx_send,
	.now_us = fz_now,
};

static uint32_t fz_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One application call on the connection of peer i (or the listener). */
static void fz_app(struct ms_tcp_stack *st, int l, int *h, unsigned what, unsigned i)
{
	static uint8_t buf[4096];
	struct ms_tcp_addr local = { .family = AF_INET, .addr = { 10, 0, 0, 2 }, .port = 2000 };
	struct ms_tcp_addr peer = { .family = AF_INET, .addr = { 10, 0, 0, 1 }, .port = (uint16_t)(1000 + i) };
	struct ms_tcp_info info;

	switch (what) {
	case 0: {
		int c = ms_tcp_accept(st, l, NULL, NULL);

		if (c >= 0 && h[i] < 0)
			h[i] = c;
		break;
	}
	case 1: ms_tcp_send(st, h[i], buf, sizeof(buf)); break;
	case 2: ms_tcp_recv(st, h[i], buf, sizeof(buf)); break;
	case 3:
		if (ms_tcp_close(st, h[i]) == 0)
			h[i] = -1;
		break;
	case 4:
		if (ms_tcp_abort(st, h[i]) == 0)
			h[i] = -1;
		break;
	case 5: ms_tcp_shutdown(st, h[i], SHUT_WR); break;
	case 6: ms_tcp_setopt(st, h[i], MS_TCP_NODELAY, 1); break;
	case 7: ms_tcp_setopt(st, h[i], MS_TCP_KEEPALIVE, 1); break;
	case 8:
		if (h[i] < 0)
			h[i] = ms_tcp_connect(st, &local, &peer, NULL);
		break;
	default: ms_tcp_info(st, h[i], &info); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_io io;
	struct tcp_io tio = {
		.ops = &fz_ops, .ctx = &io, .mac = { 0x02, 0, 0, 0, 0, 2 }, .mtu = 1500, .resolve = fz_resolve
	};
	struct ms_tcp_config cfg = { .max_conns = 16,
				     .mem_max = 1 << 20,
				     .rcvbuf = 65536,
				     .sndbuf = 65536,
				     .syn_backlog = 4,
				     .reass_max = 8,
				     .time_wait_ms = 1000 };
	struct ms_tcp_addr la = { .family = AF_INET, .port = 80, .addr = { 10, 0, 0, 2 } };
	struct ms_tcp_stack *st;
	struct ms_tcp_event ev[16];
	int l, h[4] = { -1, -1, -1, -1 };

	memset(&io, 0, sizeof(io));
	io.now_us = 1000000;
	if (tcp_stack_new_io(&tio, NULL, 0, &cfg, &st))
		return 0;
	st->secret.k0 = 1; /* the same input, the same run */
	st->secret.k1 = 2;
	l = ms_tcp_listen(st, &la, 4, NULL);
	FZ_ASSERT(l >= 0);
	while (size >= 17) {
		uint8_t op = data[0], opt[40];
		unsigned peer = op & 3, optlen = data[12] % 41, paylen;
		struct tcp_endpoints ep = { .family = AF_INET,
					    .lport = (uint16_t)(1000 + peer),
					    .rport = 80,
					    .laddr = { 10, 0, 0, 1 },
					    .raddr = { 10, 0, 0, 2 } };
		struct tcp_endpoints mine = { .family = AF_INET,
					      .lport = 80,
					      .rport = (uint16_t)(1000 + peer),
					      .laddr = { 10, 0, 0, 2 },
					      .raddr = { 10, 0, 0, 1 } };
		struct tcp_hdr_out hd = { .ep = &ep, .src_mac = (const uint8_t *)"\2\2\2\2\2\2", .dst_mac = tio.mac };
		struct tcp_conn *c = tcp_conn_lookup(&st->tab, &mine);

		hd.flags = data[1];
		hd.seq = fz_rd32(data + 2);
		hd.ack = fz_rd32(data + 6);
		hd.wnd = (uint16_t)(data[10] << 8 | data[11]);
		if ((op & 4) && c) {
			hd.seq += c->rcv_nxt;
			hd.ack += c->snd_una;
		}
		data += 13;
		size -= 13;
		if (optlen > size)
			optlen = (unsigned)size;
		memset(opt, 1, sizeof(opt));
		memcpy(opt, data, optlen);
		data += optlen;
		size -= optlen;
		hd.opt = opt;
		hd.optlen = (uint8_t)((optlen + 3) & ~3u);
		if (size < 2)
			break;
		paylen = data[0] * 8u > 1400 ? 1400 : data[0] * 8u;
		io.now_us += data[1] * 1000u;
		data += 2;
		size -= 2;
		memset(io.frame + tcp_ip_header_len(AF_INET, hd.optlen), 'p', paylen);
		io.len = tcp_ip_build(io.frame, &hd, paylen);
		io.pending = 1;
		if (op & 8)
			fz_app(st, l, h, op >> 4, peer);
		FZ_ASSERT(ms_tcp_poll(st, ev, 16) >= 0);
		FZ_ASSERT(st->tab.count <= cfg.max_conns);
		FZ_ASSERT(st->mem.used <= cfg.mem_max);
	}
	/* Let every timer run out: retransmissions give up, TIME_WAIT ends. */
	for (int i = 0; i < 40; i++) {
		io.now_us += 60000000;
		FZ_ASSERT(ms_tcp_poll(st, ev, 16) >= 0);
	}
	ms_tcp_stack_free(st);
	return 0;
}
