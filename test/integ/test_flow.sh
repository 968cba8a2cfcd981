#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_flow.sh - flow-to-queue steering both ways (each flow arrives on the queue ms_flow_queue predicts and
# the app's replies from that queue reach the peer), and ICMP errors about an app's flow reach both the app,
# on the flow's queue, and the kernel.
source "$(dirname "$0")/lib.sh"
# scapy is Debian's python3-scapy: Debian's interpreter, whatever python3 comes first on PATH.
PY=/usr/bin/python3
$PY -c "import scapy" 2>/dev/null || fail "python3-scapy is not installed (scripts/deps.sh)"
integ_start

NQ=4
PORT=7400
HOST6=fd00:$ID::1
PEER6=fd00:$ID::2
ip6_add "" "$TAP" "$HOST6/64"
ip6_add "$PEER" "$VETH_PEER" "$PEER6/64"
# mstackd reads the host's addresses once a second: bind the IPv6 tuple once it knows the new one.
start_flow_app() {
	start_bg "$BIN/test/flow_app" "$SOCK" $NQ 120 "$HOST_IP:$PORT" "[$HOST6]:$PORT" > "$WORK/flow" 2>&1
	wait_for 5 grep -q "^ready" "$WORK/flow"
}
wait_for 10 start_flow_app || fail "flow_app did not start: $(cat "$WORK/flow")"
grep -q "^ready app [0-9]* queues $NQ$" "$WORK/flow" || fail "flow_app: $(head -1 "$WORK/flow")"
APP=$(sed -n 's/^ready app \([0-9]*\) .*/\1/p' "$WORK/flow")

# --- Steering: 64 flows from the peer, one per source port; each reply names the queue it came from.
peer python3 "$INTEG_DIR/flow_steer.py" "$HOST_IP" "$PORT" 64 31000 > "$WORK/steer" 2>&1 ||
	fail "steering: $(cat "$WORK/steer")"
[ "$(wc -l < "$WORK/steer")" -eq 64 ] || fail "64 flows, $(wc -l < "$WORK/steer") replies"
bad=$(awk '{ split($1, a, "="); split($2, b, "="); if (a[2] != b[2]) n++ } END { print n + 0 }' "$WORK/steer")
[ "$bad" -eq 0 ] || fail "$bad of 64 flows arrived on another queue than ms_flow_queue predicts: $(cat "$WORK/steer")"
used=$(sed 's/ .*//' "$WORK/steer" | sort -u | wc -l)
[ "$used" -eq $NQ ] || fail "64 flows used $used of $NQ queues: $(sort "$WORK/steer" | uniq -c)"
ok "64 flows each arrived on the queue ms_flow_queue predicts, over all $NQ queues; every reply from that queue reached the peer ($(sed 's/ .*//' "$WORK/steer" | sort | uniq -c | tr -s ' \n' ' '))"

# --- ICMP errors: the kernel's counters before (the TAP, and so the kernel's ICMP, live in this namespace).
snmp() { awk -v want="$2" '$1 == "'"$1"':" { if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1 } else print $col[want] }' /proc/net/snmp; }
snmp6() { awk -v want="$1" '$1 == want { print $2 }' /proc/net/snmp6; }
in4=$(snmp Icmp InMsgs); unreach4=$(snmp Icmp InDestUnreachs); in6=$(snmp6 Icmp6InMsgs); ptb6=$(snmp6 Icmp6InPktTooBigs)
to_app=$(counter nic.rx_icmp_to_app); malformed=$(counter nic.rx_icmp_malformed)
MAC=$(cat /sys/class/net/$TAP/address)
peer $PY - "$VETH_PEER" "$MAC" "$PEER_IP" "$HOST_IP" "$PEER6" "$HOST6" "$PORT" <<'EOF' || fail "scapy could not send"
import sys
from scapy.all import Ether, IP, IPv6, UDP, ICMP, ICMPv6PacketTooBig, Raw, sendp, conf
conf.verb = 0
iface, mac, peer, host, peer6, host6, port = sys.argv[1:8]
port = int(port)
eth = Ether(dst=mac)
def quote4(sport):  # the app's datagram as the peer's router would quote it
    return IP(src=host, dst=peer, flags="DF") / UDP(sport=sport, dport=9000) / Raw(b"x" * 1400)
frames = [
    # fragmentation needed (RFC 1191) about the app's flow
    eth / IP(src=peer, dst=host) / ICMP(type=3, code=4, nexthopmtu=1280) / bytes(quote4(port))[:28],
    # packet too big (RFC 8201) about the app's IPv6 flow
    eth / IPv6(src=peer6, dst=host6) / ICMPv6PacketTooBig(mtu=1280) /
        bytes(IPv6(src=host6, dst=peer6) / UDP(sport=port, dport=9000) / Raw(b"y" * 1400))[:1232],
    # a quote cut inside the UDP header: malformed, the kernel's alone
    eth / IP(src=peer, dst=host) / ICMP(type=3, code=4, nexthopmtu=1280) / bytes(quote4(port))[:24],
    # a tuple nobody holds: the kernel's alone
    eth / IP(src=peer, dst=host) / ICMP(type=3, code=3) / bytes(quote4(port + 1))[:28],
]
sendp(frames, iface=iface)
EOF
wait_for 5 grep -q "^icmp family=6" "$WORK/flow" || fail "the app got no ICMPv6 packet too big: $(grep icmp "$WORK/flow")"
wait_for 5 grep -q "^icmp family=4" "$WORK/flow" || fail "the app got no ICMP fragmentation needed: $(grep icmp "$WORK/flow")"
sleep 0.5
grep "^icmp" "$WORK/flow" > "$WORK/icmp"
grep -q "^icmp family=4 type=3 code=4 q=\([0-9]\) predicted=\1 quote=$HOST_IP:$PORT$" "$WORK/icmp" ||
	fail "fragmentation needed: $(cat "$WORK/icmp")"
grep -q "^icmp family=6 type=2 code=0 q=\([0-9]\) predicted=\1 quote=$HOST6:$PORT$" "$WORK/icmp" ||
	fail "packet too big: $(cat "$WORK/icmp")"
[ "$(wc -l < "$WORK/icmp")" -eq 2 ] || fail "the app got errors it does not own: $(cat "$WORK/icmp")"
ok "the app got fragmentation needed and packet too big on its flows' queues, and neither the malformed error nor the one about a tuple it does not hold"
[ "$(counter nic.rx_icmp_to_app)" -eq $(( to_app + 2 )) ] || fail "rx_icmp_to_app: $to_app -> $(counter nic.rx_icmp_to_app)"
[ "$(counter nic.rx_icmp_malformed)" -eq $(( malformed + 1 )) ] ||
	fail "rx_icmp_malformed: $malformed -> $(counter nic.rx_icmp_malformed)"
ok "counted: nic.rx_icmp_to_app = $(counter nic.rx_icmp_to_app), nic.rx_icmp_malformed = $(counter nic.rx_icmp_malformed)"
kernel_saw_all() {
	[ "$(snmp Icmp InMsgs)" -ge $(( in4 + 3 )) ] && [ "$(snmp Icmp InDestUnreachs)" -ge $(( unreach4 + 3 )) ] &&
		[ "$(snmp6 Icmp6InMsgs)" -ge $(( in6 + 1 )) ] && [ "$(snmp6 Icmp6InPktTooBigs)" -ge $(( ptb6 + 1 )) ]
}
wait_for 3 kernel_saw_all || fail "the kernel did not see every error: Icmp InMsgs $in4 -> $(snmp Icmp InMsgs)," \
	"InDestUnreachs $unreach4 -> $(snmp Icmp InDestUnreachs), Icmp6InMsgs $in6 -> $(snmp6 Icmp6InMsgs)," \
	"Icmp6InPktTooBigs $ptb6 -> $(snmp6 Icmp6InPktTooBigs)"
ok "the kernel saw all of them too: Icmp InDestUnreachs $unreach4 -> $(snmp Icmp InDestUnreachs), Icmp6InPktTooBigs $ptb6 -> $(snmp6 Icmp6InPktTooBigs)"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
