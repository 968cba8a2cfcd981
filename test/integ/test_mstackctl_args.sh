#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# mstackctl_args.sh - mstackctl's command line without a daemon: usage errors exit 2, an absent
# daemon exits 1 with a hint, help lists every command. Needs no root, no DPDK.
set -u
BIN=${MSTACK_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
CTL=$BIN/mstackctl
WORK=$(mktemp -d /tmp/mstackctl-args.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
NAME=$(basename "$0" .sh)

fail() { echo "FAIL: $NAME: $*" >&2; exit 1; }

# expect RC PATTERN ARGS...: mstackctl ARGS exits RC and its stderr+stdout matches PATTERN
expect() {
	local want=$1 pat=$2 out rc; shift 2
	out=$("$CTL" "$@" 2>&1); rc=$?
	[ "$rc" -eq "$want" ] || fail "mstackctl $*: exit $rc, want $want: $out"
	grep -q -- "$pat" <<<"$out" || fail "mstackctl $*: output lacks '$pat': $out"
}

expect 0 "usage: mstackctl" help
expect 0 "usage: mstackctl" -h
for c in status apps bindings stats bind unbind help; do expect 0 "^  $c" help; done
expect 2 "usage: mstackctl" # no command
expect 2 "unknown command 'frob'" frob
expect 2 "unexpected argument 'x'" status x
expect 2 "expected PROTO ADDR:PORT" bind udp
expect 2 "unknown protocol 'icmp'" bind icmp 10.0.0.1:53
expect 2 "bad address '10.0.0.1'" unbind udp 10.0.0.1
expect 2 "bad address '10.0.0.1:65536'" bind udp 10.0.0.1:65536
expect 2 "port 0 cannot be reserved" bind udp 10.0.0.1:0
expect 2 "bad interval '0'" stats --watch 0
expect 2 "unknown argument '--bogus'" stats --bogus
expect 2 "does not take --watch" stats --prometheus --watch 5
expect 2 "does not take --watch" stats -w --prometheus
expect 2 "exclude each other" --json stats --prometheus
expect 2 "exclude each other" stats --prometheus -j
expect 2 "usage: mstackctl" --bogus status

# No daemon behind the path: exit 1 with the path and a hint, in --json mode too (on stderr).
expect 1 "cannot connect to mstackd at $WORK/none.sock: .*(is mstackd running?)" -s "$WORK/none.sock" status
expect 1 "(is mstackd running?)" -s "$WORK/none.sock" --json stats
out=$("$CTL" -s "$WORK/none.sock" --json apps 2>/dev/null)
[ -z "$out" ] || fail "--json error wrote to stdout: $out"
MSTACK_SOCKET=$WORK/env.sock expect 1 "at $WORK/env.sock:" bindings
# A socket file nobody listens on: connection refused.
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' "$WORK/dead.sock"
expect 1 "Connection refused (is mstackd running?)" -s "$WORK/dead.sock" status

echo "PASS: $NAME"
