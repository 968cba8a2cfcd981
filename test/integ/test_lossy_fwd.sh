#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_lossy_fwd.sh - lossy_fwd between two kernel TCPs: transfers survive loss, duplication, reordering and delay.
# The forwarder is proved here with the kernel on both sides, so that a failure of the
# user TCP behind it (test_tcp_lossy.sh) is the TCP's, not the forwarder's.
source "$(dirname "$0")/lib.sh"

PORT=7400
kernel_net middle
kernel_echo $PORT

client() { peer python3 "$INTEG_DIR/tcp_client.py" "$@"; }

# 1. A clean forwarder is transparent: IPv4 and IPv6 transfers, one connection each.
lossy_start "mla$ID" "mlb$ID" -S 1
client "$HOST_IP" $PORT -n 2 -m 2000000 -t 20 || fail "clean IPv4 transfer"
client "fd00:$ID::1" $PORT -n 2 -m 2000000 -t 20 || fail "clean IPv6 transfer"
lossy_stop
[ "$(lossy_counter a_to_b.dropped)" = 0 ] && [ "$(lossy_counter b_to_a.tx)" -gt 1000 ] ||
	fail "clean forwarder counters: $(cat "$WORK/lossy.log")"
ok "a clean forwarder carries IPv4 and IPv6 transfers"

# 2. Impaired both ways: the kernel's TCP still delivers every byte, and every impairment happened.
lossy_start "mla$ID" "mlb$ID" -d 2 -u 2 -r 3 -D 2 -S 42
client "$HOST_IP" $PORT -n 4 -m 1000000 -t 40 || fail "IPv4 transfer through drops, duplicates, reordering"
client "fd00:$ID::1" $PORT -n 2 -m 500000 --mode halfclose -t 40 || fail "IPv6 half-close through the impairments"
lossy_stop
for dir in a_to_b b_to_a; do
	for k in dropped duplicated reordered; do
		[ "$(lossy_counter $dir.$k)" -gt 0 ] || fail "no $dir.$k: $(cat "$WORK/lossy.log")"
	done
done
ok "kernel TCP through 2% loss, 2% duplication, 3% reordering, 2 ms delay: hashes match"

# 3. Bounded memory: an 8-frame queue with a long delay overflows and counts it, and stays up.
lossy_start "mla$ID" "mlb$ID" -q 8 -D 20 -S 7
client "$HOST_IP" $PORT -n 1 -m 200000 -t 40 || fail "transfer through an 8-frame queue"
lossy_stop
[ "$(lossy_counter a_to_b.queue_full)" -gt 0 ] || [ "$(lossy_counter b_to_a.queue_full)" -gt 0 ] ||
	fail "a 4-frame queue never overflowed: $(cat "$WORK/lossy.log")"
ok "a full queue drops and counts, the transfer still completes"
integ_pass
