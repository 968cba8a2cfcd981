#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_httpd.sh - mstack-httpd from a peer namespace: downloads over IPv4 and IPv6 checked by sha256,
# errors, traversal, HEAD, conditional GET, keep-alive, pipelining, ab and wrk without failures, 10 000 connections,
# slowloris and clients that never read.
#
# usage: test_httpd.sh [kernel|mstack]   (or MSTACK_HTTPD_TRANSPORT=kernel|mstack; default kernel)
#   kernel: the server on the kernel's TCP, the peer on a plain veth pair.
#   mstack: the server on libmstack-tcp through a real mstackd (lib.sh's test bed).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/httpd_lib.sh"

MODE=${1:-${MSTACK_HTTPD_TRANSPORT:-kernel}}
PORT=8080
HOST_IP6=fd00:$ID::1
PEER_IP6=fd00:$ID::2
ROOT=$WORK/root
CLIENTS=$INTEG_DIR/httpd_clients.py

for t in curl ab wrk python3; do
	command -v $t > /dev/null || fail "$t is missing (scripts/deps.sh)"
done

case $MODE in
kernel)
	# A plain veth pair: our end carries the host's addresses, the kernel's TCP serves.
	ip netns add "$PEER"
	ip link add "$VETH_NIC" type veth peer name "$VETH_PEER"
	ip link set "$VETH_PEER" netns "$PEER"
	ip addr add "$HOST_IP/24" dev "$VETH_NIC"
	ip link set "$VETH_NIC" up
	peer ip link set lo up
	peer ip addr add "$PEER_IP/24" dev "$VETH_PEER"
	peer ip link set "$VETH_PEER" up
	ip6_add "" "$VETH_NIC" "$HOST_IP6/64"
	ip6_add "$PEER" "$VETH_PEER" "$PEER_IP6/64"
	TRANSPORT=(-k)
	;;
mstack)
	integ_start "[host]" "address = $HOST_IP6/64"
	ip6_add "$PEER" "$VETH_PEER" "$PEER_IP6/64"
	wait_for 10 sh -c "ip -6 addr show dev $TAP -tentative | grep -q '$HOST_IP6/64'" || fail "$HOST_IP6 stays tentative"
	TRANSPORT=(-s "$SOCK")
	;;
*) fail "unknown transport $MODE (kernel or mstack)" ;;
esac

# The document root, and a secret next to it that must never be served.
mkdir -p "$ROOT/sub" "$ROOT/noindex"
head -c 8388608 /dev/urandom > "$ROOT/big.bin"
head -c 3000000 /dev/urandom > "$ROOT/mid.dat"
head -c 1024 /dev/urandom > "$ROOT/1k.bin"
echo "<p>home</p>" > "$ROOT/index.html"
echo "<p>sub</p>" > "$ROOT/sub/index.html"
echo "top secret $ID" > "$WORK/secret.txt"
ln -s ../secret.txt "$ROOT/escape"
ln -s "$WORK/secret.txt" "$ROOT/escape_abs"
ln -s sub/index.html "$ROOT/inside"
chmod -R a+rX "$WORK"

SLOG=$WORK/httpd.log
# Not start_bg: the exit status on SIGTERM is checked at the end.
"$BIN/mstack-httpd" "${TRANSPORT[@]}" -r "$ROOT" --header-timeout 2000 --send-timeout 3000 \
	--idle-timeout 5000 "$HOST_IP:$PORT" "[$HOST_IP6]:$PORT" > "$SLOG" 2>&1 &
HTTPD=$!
INTEG_PIDS+=("$HTTPD")
U4=http://$HOST_IP:$PORT
U6=http://[$HOST_IP6]:$PORT
wait_for 15 peer curl -sf -o /dev/null "$U4/" || fail "no answer on $U4: $(cat "$SLOG")"
ok "mstack-httpd ($MODE) answers on $U4"

# Failures to start say why in one line and exit 1: a port that is taken, a daemon that is not there.
for args in "-k -r $ROOT $HOST_IP:$PORT" "-s $WORK/nothing.sock -r $ROOT $HOST_IP:$((PORT + 1))" \
	"-k -r $WORK/nodir $HOST_IP:$PORT"; do
	# shellcheck disable=SC2086 # word splitting wanted
	out=$("$BIN/mstack-httpd" $args 2>&1 > /dev/null)
	[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q '^mstack-httpd: ' || fail "mstack-httpd $args: '$out'"
	"$BIN/mstack-httpd" $args > /dev/null 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "mstack-httpd $args: exit status $rc"
done
ok "a port in use, no mstackd, no document root: exit 1 with a one-line reason"

alive() { kill -0 "$HTTPD" 2>/dev/null || fail "mstack-httpd died: $(tail -5 "$SLOG")"; }
code() { peer curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }

# Multi-megabyte downloads, both families, checked by hash.
for f in big.bin mid.dat; do
	want=$(sha256sum < "$ROOT/$f")
	for u in "$U4" "$U6"; do
		got=$(peer curl -sf --max-time 20 "$u/$f" | sha256sum)
		[ "$got" = "$want" ] || fail "$u/$f: sha256 differs"
	done
done
ok "8 MB and 3 MB downloads over IPv4 and IPv6 match their sha256"

# Status codes.
[ "$(code "$U4/nope")" = 404 ] || fail "missing file: not 404"
[ "$(code "$U4/noindex/")" = 404 ] || fail "directory without index: not 404"
[ "$(code -X POST -d x=1 "$U4/")" = 405 ] || fail "POST: not 405"
[ "$(code -X DELETE "$U6/index.html")" = 405 ] || fail "DELETE: not 405"
peer curl -s -o /dev/null -D - -X PUT "$U4/" | grep -qi '^Allow: GET, HEAD' || fail "405 without Allow"
[ "$(peer curl -s "$U4/sub/")" = "<p>sub</p>" ] || fail "a directory is not served as its index.html"
[ "$(peer curl -s "$U4/inside")" = "<p>sub</p>" ] || fail "a link inside the root is not served"
for raw in 'GET / HTTP/1.1\r\n\r\n' 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n' 'GET / HTTP/1.1\r\nHost : a\r\n\r\n' \
	'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n' 'hello\r\n\r\n'; do
	got=$(peer python3 "$CLIENTS" raw "$HOST_IP" $PORT "$raw")
	[ "$got" = "400 close 16" ] || fail "malformed request $raw: got '$got', want a 400 that closes"
done
[ "$(code "$U4/$(head -c 5000 /dev/zero | tr '\0' a)")" = 414 ] || fail "long request line: not 414"
[ "$(code -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' b)" "$U4/")" = 431 ] || fail "large head: not 431"
ok "404, 405 with Allow, 400 for malformed requests, 414, 431; index.html and inner links served"

# Traversal, plain, encoded, through links: never the secret.
for t in /../secret.txt /%2e%2e/secret.txt /%2E%2E/secret.txt /sub/..%2f..%2fsecret.txt /escape /escape_abs \
	"/sub/%2e%2e/%2e%2e/secret.txt" "/%00/../secret.txt"; do
	body=$(peer curl -s --path-as-is --max-time 5 "$U4$t")
	c=$(code --path-as-is "$U4$t")
	case $c in 400 | 403 | 404) ;; *) fail "$t: status $c" ;; esac
	case $body in *"top secret"*) fail "$t: the secret was served" ;; esac
done
ok "traversal attempts (.., %2e%2e, encoded slash, NUL, links out) refused"

# HEAD: GET's head, no body: the next pipelined answer follows at once.
h=$(peer curl -sI "$U4/big.bin" | tr -d '\r')
echo "$h" | grep -q '^Content-Length: 8388608$' || fail "HEAD: $h"
echo "$h" | grep -q '^Last-Modified: ' || fail "HEAD without Last-Modified"
got=$(peer python3 "$CLIENTS" pipeline "$HOST_IP" $PORT "HEAD /mid.dat" /index.html "HEAD /nope" /1k.bin | tr '\n' ' ')
[ "$got" = "200 3000000 0 200 12 12 404 14 0 200 1024 1024 " ] || fail "pipelined HEAD/GET: $got"
ok "HEAD answers GET's head without a body"

# Conditional GET (RFC 9110 13.1.3): If-Modified-Since no earlier than Last-Modified is a 304 without a
# body, in any of the three HTTP-date formats (5.6.7); an earlier or an invalid date gets the file.
lm=$(echo "$h" | sed -n 's/^Last-Modified: //p')
mtime=$(stat -c %Y "$ROOT/big.bin")
hdr=$(peer curl -s -D - -o "$WORK/cond.body" --max-time 5 -z "$lm" "$U4/big.bin" | tr -d '\r')
echo "$hdr" | head -1 | grep -q '^HTTP/1.1 304 Not Modified$' || fail "curl -z '$lm': $hdr"
[ -s "$WORK/cond.body" ] && fail "a 304 with a body"
echo "$hdr" | grep -q "^Last-Modified: $lm$" && echo "$hdr" | grep -q '^Date: ' || fail "304 without its validators: $hdr"
for d in "$(LC_ALL=C date -u -d "@$mtime" '+%A, %d-%b-%y %H:%M:%S GMT')" \
	"$(LC_ALL=C date -u -d "@$mtime" '+%a %b %e %H:%M:%S %Y')"; do
	[ "$(code -H "If-Modified-Since: $d" "$U6/big.bin")" = 304 ] || fail "If-Modified-Since: $d: not 304"
done
got=$(peer curl -sf --max-time 20 -z "$(LC_ALL=C date -u -R -d "@$((mtime - 1))")" "$U4/big.bin" | sha256sum)
[ "$got" = "$(sha256sum < "$ROOT/big.bin")" ] || fail "If-Modified-Since a second before Last-Modified: not the file"
[ "$(code -H "If-Modified-Since: $lm x" "$U4/big.bin")" = 200 ] || fail "an invalid If-Modified-Since is not ignored"
ok "If-Modified-Since: 304 (IMF-fixdate, RFC 850, asctime) with Date and Last-Modified and no body; the file when older or invalid"

# Entity tags (RFC 9110 8.8.3, 13.1.2): the ETag of a 200 sent back in If-None-Match is a 304 without a body
# that carries the same ETag, weak or in a list too, and decides alone (If-Modified-Since ignored, 13.1.3);
# a tag that does not match gets the file.
etag=$(echo "$h" | sed -n 's/^ETag: //p')
case $etag in '"'*'"') ;; *) fail "HEAD without a strong ETag: $h" ;; esac
hdr=$(peer curl -s -D - -o "$WORK/cond.body" --max-time 5 -H "If-None-Match: $etag" "$U4/big.bin" | tr -d '\r')
echo "$hdr" | head -1 | grep -q '^HTTP/1.1 304 Not Modified$' || fail "If-None-Match: $etag: $hdr"
[ -s "$WORK/cond.body" ] && fail "a 304 (If-None-Match) with a body"
echo "$hdr" | grep -qF "ETag: $etag" || fail "304 without the ETag: $hdr"
[ "$(code -H "If-None-Match: \"x\", W/$etag" "$U6/big.bin")" = 304 ] || fail "a weak tag in a list: not 304"
[ "$(code -H "If-None-Match: *" "$U4/mid.dat")" = 304 ] || fail "If-None-Match: *: not 304"
[ "$(code -H "If-None-Match: *" "$U4/nope")" = 404 ] || fail "If-None-Match: * on a missing file: not 404"
# (Not curl -z: curl itself drops a 200 whose Last-Modified is not newer than its condition.)
got=$(peer curl -sf --max-time 20 -H 'If-None-Match: "x"' -H "If-Modified-Since: $lm" "$U4/big.bin" | sha256sum)
[ "$got" = "$(sha256sum < "$ROOT/big.bin")" ] || fail "a tag that does not match, with If-Modified-Since: not the file"
ok "If-None-Match: the ETag (strong, weak, in a list) or * is a 304 with the ETag and no body; another tag gets the file"

# Keep-alive and pipelining.
v=$(peer curl -sv -o /dev/null -o /dev/null "$U4/index.html" "$U4/1k.bin" 2>&1)
echo "$v" | grep -q "Re-using existing connection" || fail "curl did not reuse the connection"
got=$(peer python3 "$CLIENTS" pipeline "$HOST_IP" $PORT /index.html /mid.dat /sub/ /1k.bin /nope /index.html | tr '\n' ' ')
[ "$got" = "200 12 12 200 3000000 3000000 200 11 11 200 1024 1024 404 14 14 200 12 12 " ] ||
	fail "pipelined requests: $got"
got=$(peer python3 "$CLIENTS" raw "$HOST_IP" $PORT 'GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /index.html HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n' | tr '\n' ' ')
[ "$got" = "200 keep-alive 12 200 close 12 " ] || fail "HTTP/1.0 keep-alive rules: $got"
ok "keep-alive (1.1 by default, 1.0 when asked) and 6 pipelined requests in order"

# Load: ab and wrk, zero failures.
ab_clean 4000 50 "$U4/1k.bin"
ab_clean 4000 50 -k "$U4/index.html"
wrk_clean -t1 -c16 -d2s -H "Connection: close" "$U6/index.html"
wrk_clean -t1 -c64 -d2s "$U4/1k.bin"
ok "ab (4000 + 4000 keep-alive) and wrk (keep-alive, and one per connection over IPv6): 0 failures," \
	"$WRK_RPS req/s keep-alive"
alive

# 10 000 connections at once, each answered; the server's memory while they are open.
hold=$WORK/many.hold
peer python3 "$CLIENTS" many "$HOST_IP" $PORT 10000 /1k.bin "$hold" > "$WORK/many.out" 2>&1 &
MANY=$!
many_fail() {
	[ "$MODE" = mstack ] && echo "--- mstackctl --json stats ---" >&2 && ctl --json stats >&2
	echo "--- mstack-httpd log ($SLOG) ---" >&2 && tail -20 "$SLOG" >&2
	fail "10 000 connections: $(cat "$WORK/many.out")"
}
wait_for 40 test -f "$hold" || many_fail
[ "$(head -1 "$WORK/many.out")" = 10000 ] || many_fail
rss=$(awk '/^VmRSS/ {print $2}' /proc/$HTTPD/status)
rm -f "$hold"
wait $MANY
ok "10 000 concurrent connections answered; server RSS with them open: ${rss} kB"

# Slowloris: 200 heads that never end; others are served meanwhile, and the trickle is cut at the deadline.
peer python3 "$CLIENTS" slowloris "$HOST_IP" $PORT 200 4 > "$WORK/slow.out" 2>&1 &
SLOW=$!
sleep 1
t0=$(date +%s%N)
[ "$(code "$U4/index.html")" = 200 ] || fail "not served during slowloris"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 1000 ] || fail "a request took $ms ms during slowloris"
wait $SLOW
[ "$(cat "$WORK/slow.out")" -ge 200 ] || fail "slowloris connections not closed at the header deadline: $(cat "$WORK/slow.out")"
ok "slowloris: 200 trickling heads cut at the header deadline; a request meanwhile took $ms ms"

# Clients that pipeline requests for a large file and never read: others are served, they are reset.
peer python3 "$CLIENTS" nonreaders "$HOST_IP" $PORT 50 /big.bin 3 > "$WORK/nonread.out" 2>&1 &
NR=$!
sleep 1
t0=$(date +%s%N)
got=$(peer curl -sf --max-time 10 "$U4/mid.dat" | sha256sum)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$got" = "$(sha256sum < "$ROOT/mid.dat")" ] || fail "not served while 50 clients do not read"
rss2=$(awk '/^VmRSS/ {print $2}' /proc/$HTTPD/status)
wait $NR
[ "$(cat "$WORK/nonread.out")" -ge 45 ] || fail "non-reading clients not reset at the send deadline: $(cat "$WORK/nonread.out")"
ok "50 non-reading clients: a 3 MB download meanwhile took $ms ms (RSS ${rss2} kB); they were reset"

alive
httpd_stop "$HTTPD" "$SLOG"
ok "mstack-httpd stops cleanly on SIGTERM"
integ_pass
