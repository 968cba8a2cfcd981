#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_sec_daemon.sh - attacks on mstackd from the security review that concern the daemon itself:
# a failed start-up must fail at once (issue 13 #11), an app's region can never fault the daemon
# (#1), and RESOLVE plants kernel neighbour entries only for on-link next hops, bounded (#9).
source "$(dirname "$0")/lib.sh"
# The region attacker publishes a lap of empty slots and must stay attached to be counted: the
# disconnect policy off (test_misbehave.sh tests it).
integ_start "[limits]" "resolve_burst = 6" "resolve_rate = 1" "misbehave_rate = 0"

# 11. A second mstackd on the same EAL file prefix: rte_eal_init fails without setting
# rte_errno. Start-up must stop there with a reason, not go on to a later step.
SECOND=$WORK/second.conf
sed -e "s|^socket = .*|socket = $WORK/second.sock|" -e "s|^tap = .*|tap = ${TAP}b|" "$CONF" > "$SECOND"
if timeout 30 "$BIN/mstackd" -c "$SECOND" > "$WORK/second.log" 2>&1; then
	fail "a second mstackd on the same file prefix started: $(cat "$WORK/second.log")"
fi
grep -q "rte_eal_init failed" "$WORK/second.log" || fail "no EAL failure reported: $(cat "$WORK/second.log")"
grep -q "Success" "$WORK/second.log" && fail "failure reported as success: $(cat "$WORK/second.log")"
grep -Eq "cannot (probe|start|create)|ready" "$WORK/second.log" &&
	fail "start-up went on after the EAL failed: $(cat "$WORK/second.log")"
kill -0 "$DAEMON_PID" || fail "the first mstackd died"
ok "a failed EAL start-up stops at once with a reason: $(grep 'rte_eal_init failed' "$WORK/second.log" | head -1)"

# 1. An app frees pages of its own region while the host's huge pages run out: on a hugetlb region
# the daemon's next copy would fault (SIGBUS). Regions are shmem, whose holes refill with zeros.
NR_HUGE=/proc/sys/vm/nr_hugepages
OLD_HUGE=$(cat $NR_HUGE)
trap 'sec_rc=$?; echo "$OLD_HUGE" > $NR_HUGE; (exit $sec_rc); integ_cleanup' EXIT
echo $(( OLD_HUGE + 32 )) > $NR_HUGE
start_bg "$BIN/test/region_attack" "$SOCK" "$HOST_IP:7300" > "$WORK/attack" 2>&1
wait_for 20 grep -q "done" "$WORK/attack" || kill -0 "$DAEMON_PID" ||
	fail "mstackd died under the region attack: $(cat "$WORK/attack")"
grep -q "done" "$WORK/attack" || fail "region attack did not run: $(cat "$WORK/attack")"
ATTACKER=$(sed -n 's/.* app \([0-9]*\) removed.*/\1/p' "$WORK/attack")
sleep 0.5
kill -0 "$DAEMON_PID" || fail "mstackd died after the region attack"
ctl status > /dev/null || fail "mstackd does not answer after the region attack"
[ "$(counter "app.$ATTACKER.tx_bad_src_mac")" -ge 2 ] || fail "the attacker's frames were not counted"
awk '/mstack-app/ { r = 1 } r && /^KernelPageSize/ { print $2; r = 0 }' "/proc/$DAEMON_PID/smaps" |
	grep -qv '^4$' && fail "an app region is on hugetlb pages"
ok "an app that frees its own region's pages costs only its own frames: $(head -1 "$WORK/attack")"
echo "$OLD_HUGE" > $NR_HUGE

# 9. RESOLVE asks the kernel only about next hops its routes put on the TAP, within a budget.
NET_PREFIX=${HOST_IP%.*}
neigh_has() { ip neigh show dev "$TAP" | grep -q "^$1 "; }
# Unanswered ARP fails fast here, so that spent probes do not make the test slow.
sysctl -qw "net.ipv4.neigh.$TAP.mcast_solicit=1" "net.ipv4.neigh.$TAP.retrans_time_ms=100"
peer_mac=$(peer cat "/sys/class/net/$VETH_PEER/address")
"$BIN/test/resolve_app" "$SOCK" "$PEER_IP" > "$WORK/r1" || fail "resolve_app: $(cat "$WORK/r1")"
grep -q "^$PEER_IP $peer_mac" "$WORK/r1" || fail "on-link peer not resolved: $(cat "$WORK/r1")"
ok "an on-link address resolves: $(cat "$WORK/r1")"
"$BIN/test/resolve_app" "$SOCK" 203.0.113.77 > "$WORK/r2"
grep -q "203.0.113.77 error" "$WORK/r2" || fail "an address off the TAP's routes resolved: $(cat "$WORK/r2")"
neigh_has 203.0.113.77 && fail "RESOLVE planted a kernel neighbour entry for 203.0.113.77"
ok "an address the routes do not put on the TAP is refused, no entry planted: $(cat "$WORK/r2")"
ip route add 198.51.100.0/24 via "$PEER_IP" dev "$TAP"
"$BIN/test/resolve_app" "$SOCK" 198.51.100.7 > "$WORK/r3"
grep -q "^198.51.100.7 $peer_mac" "$WORK/r3" || fail "routed address did not resolve to its gateway: $(cat "$WORK/r3")"
neigh_has 198.51.100.7 && fail "RESOLVE planted an entry for a routed address"
ok "a routed address resolves to its gateway's MAC, no entry for the address itself"
addrs=(); for i in $(seq 100 115); do addrs+=("$NET_PREFIX.$i"); done
start=$(date +%s)
"$BIN/test/resolve_app" "$SOCK" "${addrs[@]}" > "$WORK/r4"
elapsed=$(( $(date +%s) - start + 1 ))
refused=$(grep -c "No buffer space" "$WORK/r4")
planted=0; for a in "${addrs[@]}"; do neigh_has "$a" && planted=$(( planted + 1 )); done
[ "$refused" -gt 0 ] || fail "16 unknown addresses in a row, none refused: $(cat "$WORK/r4")"
[ "$planted" -le $(( 6 + elapsed )) ] || fail "$planted kernel entries planted in ${elapsed}s (budget 6 + 1/s)"
ok "an app's probes of unknown next hops are bounded: $planted planted, $refused refused in ${elapsed}s"
kill -0 "$DAEMON_PID" || fail "mstackd died"
ip route del 198.51.100.0/24 2>/dev/null

integ_pass
