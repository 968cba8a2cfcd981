/* SPDX-License-Identifier: BSD-2-Clause */
/* ms_flow.c - which of a session's rx queues mstackd delivers a flow's frames to. */
#include <mstack/ms_flow.h>
#include <mstack/mstack.h>

#include <string.h>
#include <sys/socket.h>

uint32_t ms_flow_queue(const struct ms_session *s, const struct ms_tuple *local, const void *raddr, uint16_t rport)
{
	uint8_t remote[16] = { 0 };

	/* The hash reads 16-byte addresses, zero after an IPv4 one (struct ms_tuple's layout). */
	memcpy(remote, raddr, local->family == AF_INET ? 4 : 16);
	return ms_flow_pick(ms_flow_hash(local->addr, local->port, remote, rport), ms_nqueues(s));
}
