/* SPDX-License-Identifier: BSD-2-Clause */
/* tcp_opt.h - TCP options: parse a received header's, write an outgoing header's (RFC 9293 3.2, RFC 7323, RFC 2018). */
#ifndef MSTACK_TCP_OPT_H
#define MSTACK_TCP_OPT_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_seg.h"

/*
 * Parse the option bytes p[0..len) of a received header into *o (zeroed
 * first). Malformed lists (a length byte of 0 or 1, or past the end) are
 * refused as a whole; an option of the wrong length for its kind is ignored
 * (RFC 9293, 3.2: unknown kinds are skipped by their length). MSS, window
 * scale and SACK-permitted count only when syn is true (RFC 7323 2.2, 2018 2).
 * @return 0; -EINVAL for a malformed list.
 */
int tcp_opt_parse(const uint8_t *p, size_t len, int syn, struct tcp_opts *o);

/*
 * Write the options o->present asks for at p, padded with NOP to a multiple
 * of 4 bytes, in the layout the kernels use (MSS, SACK-permitted + TS, NOP +
 * WSCALE on a SYN; NOP NOP TS, then NOP NOP SACK blocks, elsewhere), at most
 * cap bytes (cap <= 40): SACK blocks that do not fit are left out.
 * @return bytes written (a multiple of 4).
 */
size_t tcp_opt_write(uint8_t *p, size_t cap, const struct tcp_opts *o);

#endif
