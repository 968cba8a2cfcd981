#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_tcp_lossy.sh - mstack-tcpecho behind a lossy link (lossy_fwd): loss, duplicates, reordering and
# delay both ways, and every byte still arrives, checked by hash, over IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"

SEED=${LOSSY_SEED:-$RANDOM}
echo "lossy seed $SEED (LOSSY_SEED=$SEED runs again with it)"
INTEG_LOSSY="-d 2 -u 1 -r 3 -D 2 -S $SEED"
integ_start
HOST_IP6=fd00:$ID::1
ip6_add "" "$TAP" "$HOST_IP6/64"
ip6_add "$PEER" "$VETH_PEER" "fd00:$ID::2/64"
PORT=7000

client() { peer python3 "$INTEG_DIR/tcp_client.py" "$@"; }

start_bg "$BIN/mstack-tcpecho" -s "$SOCK" "$HOST_IP:$PORT" "[$HOST_IP6]:$PORT" > "$WORK/echo" 2>&1
wait_for 10 grep -q "echoing" "$WORK/echo" || fail "mstack-tcpecho did not start: $(cat "$WORK/echo")"

client "$HOST_IP" $PORT -n 4 -m 2000000 -t 40 || fail "IPv4 4 x 2 MB through the lossy link"
client "$HOST_IP6" $PORT -n 2 -m 1000000 -t 30 || fail "IPv6 2 x 1 MB through the lossy link"
client "$HOST_IP" $PORT -n 4 -m 500000 --mode halfclose -t 30 || fail "half-close through the lossy link"
client "$HOST_IP" $PORT -n 100 -m 2000 -t 30 || fail "100 short connections through the lossy link"
kill -0 "$LAST_PID" || fail "mstack-tcpecho died: $(cat "$WORK/echo")"

lossy_stop
lossy_impaired_both_ways
ok "transfers intact through $(lossy_counter a_to_b.dropped)+$(lossy_counter b_to_a.dropped) drops," \
	"$(lossy_counter a_to_b.duplicated)+$(lossy_counter b_to_a.duplicated) duplicates," \
	"$(lossy_counter a_to_b.reordered)+$(lossy_counter b_to_a.reordered) reorderings"
integ_pass
