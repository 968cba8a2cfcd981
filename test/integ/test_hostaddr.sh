#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_hostaddr.sh - several [host] addresses (IPv4 and IPv6) and a route on the TAP at start: reachable from
# the peer, bindable by apps; a SIGHUP without one address and the route takes exactly those away.
source "$(dirname "$0")/lib.sh"
NET2=10.214.$(( 0x$ID % 250 + 1 ))
HOST_IP2=$NET2.1
PEER_IP2=$NET2.2
# As ip(8) prints them (an $ID with leading zeros is shortened).
canon() { python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1], strict=False))' "$1"; }
HOST_IP6=$(canon "fd00:$ID::1" | cut -d/ -f1)
PEER_IP6=$(canon "fd00:$ID::2" | cut -d/ -f1)
ROUTE=198.51.100.0/24
ROUTE6=$(canon "2001:db8:$ID::/48")
integ_start "[host]" "address = $HOST_IP2/24" "address = $HOST_IP6/64" "route = $ROUTE via $PEER_IP" \
	"route = $ROUTE6 via $PEER_IP6"
peer ip addr add "$PEER_IP2/24" dev "$VETH_PEER"
ip6_add "$PEER" "$VETH_PEER" "$PEER_IP6/64"

has_addr() { ip addr show dev "$TAP" | grep -q "inet6\? $1/"; }
has_route() { ip route show dev "$TAP" | grep -q "^$ROUTE via $PEER_IP "; }
has_route6() { ip -6 route show dev "$TAP" | grep -q "^$ROUTE6 via $PEER_IP6 "; }
has_addr "$HOST_IP" && has_addr "$HOST_IP2" && has_addr "$HOST_IP6" || fail "TAP addresses: $(ip addr show dev "$TAP")"
has_route || fail "route not on the TAP: $(ip route show dev "$TAP")"
has_route6 || fail "IPv6 route not on the TAP: $(ip -6 route show dev "$TAP")"
grep -q "^1$" "/proc/sys/net/ipv4/conf/$TAP/promote_secondaries" || fail "promote_secondaries not set on the TAP"
ok "the TAP carries $HOST_IP, $HOST_IP2, $HOST_IP6, $ROUTE via $PEER_IP and $ROUTE6 via $PEER_IP6"

# IPv6 addresses are usable once duplicate address detection is over.
wait_for 10 sh -c "ip -6 addr show dev $TAP -tentative | grep -q '$HOST_IP6/64'" || fail "$HOST_IP6 stays tentative"
for a in "$HOST_IP" "$HOST_IP2" "$HOST_IP6"; do
	peer ping -c 1 -W 2 "$a" > /dev/null || fail "no ping answer from $a"
done
ok "the peer pings all three addresses"

start_bg "$BIN/mstack-echo" -s "$SOCK" udp "$HOST_IP2:7100" > "$WORK/echo2" 2>&1
wait_for 10 grep -q echoing "$WORK/echo2" || fail "bind to $HOST_IP2: $(cat "$WORK/echo2")"
start_bg "$BIN/mstack-echo" -s "$SOCK" udp "[$HOST_IP6]:7100" > "$WORK/echo6" 2>&1
wait_for 10 grep -q echoing "$WORK/echo6" || fail "bind to $HOST_IP6: $(cat "$WORK/echo6")"
[ "$(udp_roundtrip "$HOST_IP2" 7100 two-$ID)" = "two-$ID" ] || fail "no echo on $HOST_IP2"
[ "$(udp_roundtrip "$HOST_IP6" 7100 six-$ID)" = "six-$ID" ] || fail "no echo on $HOST_IP6"
ok "apps bind to the second IPv4 and to the IPv6 address and answer"

# The config check names the line of a gateway that no address makes on-link.
sed "s|^route = .*|route = $ROUTE via 10.215.0.9|" "$CONF" > "$WORK/bad.conf"
if "$BIN/mstackd" -n -c "$WORK/bad.conf" > "$WORK/check" 2>&1; then fail "mstackd -n took an off-link gateway"; fi
grep -q "bad.conf:[0-9]*: route gateway 10.215.0.9 is not on-link" "$WORK/check" || fail "check: $(cat "$WORK/check")"
ok "mstackd -n refuses an off-link gateway with file:line"

# Reload without the second IPv4 and the route; an address added by hand must stay.
HAND=10.216.$(( 0x$ID % 250 + 1 )).1
ip addr add "$HAND/32" dev "$TAP"
LL=$(ip -6 addr show dev "$TAP" scope link | sed -n 's/.*inet6 \(fe80[^/]*\).*/\1/p' | head -1)
sed -e "/^address = $HOST_IP2\/24$/d" -e "\\|^route = $ROUTE |d" "$CONF" > "$WORK/new.conf"
cp "$WORK/new.conf" "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: configuration re-read" "$DLOG" || fail "reload not applied"
grep -q "reload: address $HOST_IP2/24 removed from $TAP" "$DLOG" || fail "removal not logged"
grep -q "reload: route $ROUTE via $PEER_IP removed from $TAP" "$DLOG" || fail "route removal not logged"
grep -q "cannot change at run time" "$DLOG" && fail "reload called a [host] change fixed"
has_addr "$HOST_IP2" && fail "$HOST_IP2 still on the TAP after the reload"
has_route && fail "$ROUTE still on the TAP after the reload"
has_addr "$HOST_IP" && has_addr "$HOST_IP6" || fail "a kept address went away: $(ip addr show dev "$TAP")"
has_addr "$HAND" || fail "the address added by hand was removed"
has_route6 || fail "the unchanged IPv6 route went away"
[ -z "$LL" ] || has_addr "$LL" || fail "the kernel's link-local address was removed"
ok "SIGHUP took away $HOST_IP2 and the IPv4 route, and nothing else"

if peer ping -c 1 -W 1 "$HOST_IP2" > /dev/null; then fail "$HOST_IP2 still answers ping"; fi
if "$BIN/mstack-echo" -s "$SOCK" udp "$HOST_IP2:7200" > "$WORK/refused" 2>&1; then fail "bind to a removed address"; fi
grep -q "bind udp $HOST_IP2:7200: Cannot assign requested address" "$WORK/refused" ||
	fail "refusal: $(cat "$WORK/refused")"
[ "$(udp_roundtrip "$HOST_IP6" 7100 still-$ID)" = "still-$ID" ] || fail "the IPv6 app stopped answering"
start_echo 7300
[ "$(udp_roundtrip "$HOST_IP" 7300 one-$ID)" = "one-$ID" ] || fail "no echo on $HOST_IP after the reload"
peer ping -c 1 -W 2 "$HOST_IP" > /dev/null && peer ping -c 1 -W 2 "$HOST_IP6" > /dev/null ||
	fail "kept addresses do not answer ping"
ok "the removed address is unreachable and refused to binds; $HOST_IP and $HOST_IP6 still serve"

# Back again: the address and the route come back at the next reload.
sed -i "s|^address = $HOST_IP6/64$|&\naddress = $HOST_IP2/24\nroute = $ROUTE via $PEER_IP|" "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: route $ROUTE via $PEER_IP added on $TAP" "$DLOG" || fail "re-add not logged"
has_addr "$HOST_IP2" && has_route || fail "address or route not back after the reload"
wait_for 5 peer ping -c 1 -W 1 "$HOST_IP2" || fail "$HOST_IP2 does not answer once back"
ip addr del "$HAND/32" dev "$TAP"
ok "a later reload puts the address and the route back"

# An address the kernel refuses at reload is logged with file:line, the rest still applies, and
# the next reload tries it again (the running config holds only what was applied).
HOST_IP7=$(canon "fd00:$ID:7::1" | cut -d/ -f1)
HOST_IP3=10.217.$(( 0x$ID % 250 + 1 )).1
sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
printf 'address = %s/64\naddress = %s/24\n' "$HOST_IP7" "$HOST_IP3" >> "$CONF"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: address $HOST_IP3/24 added" "$DLOG" || fail "the address after a refused one not added"
grep -q "reload: $CONF:[0-9]*: cannot add address $HOST_IP7/64 to $TAP" "$DLOG" || fail "refusal not logged with file:line"
has_addr "$HOST_IP3" || fail "$HOST_IP3 not on the TAP"
sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=0"
kill -HUP "$DAEMON_PID"
wait_for 5 grep -q "reload: address $HOST_IP7/64 added" "$DLOG" || fail "the refused address not retried"
has_addr "$HOST_IP7" || fail "$HOST_IP7 not on the TAP after the retry"
ok "a refused address is logged with file:line, the others apply, the next reload retries it"
integ_pass
