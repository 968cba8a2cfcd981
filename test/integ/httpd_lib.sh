#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# httpd_lib.sh - what the mstack-httpd tests share after lib.sh: load from the peer that must not fail, a clean stop.

# ab_clean N C ARGS... URL: ab -n N -c C from the peer; every request completes, none fails (with -k: all kept alive).
ab_clean() {
	local n=$1 c=$2 out
	shift 2
	out=$(peer ab -q -n "$n" -c "$c" "$@" 2>&1)
	echo "$out" | grep -q '^Failed requests: *0$' || fail "ab -c $c $*: $out"
	echo "$out" | grep -q "^Complete requests: *$n$" || fail "ab -c $c $*: $out"
	case " $* " in
	*" -k "*) echo "$out" | grep -q "^Keep-Alive requests: *$n$" || fail "ab -k -c $c $*: $out" ;;
	esac
}

# wrk_clean ARGS... URL: wrk from the peer without a non-2xx answer or a socket error; sets WRK_RPS.
# With "Connection: close" the client's own write errors on sockets we closed are not ours to count.
wrk_clean() {
	local out bad='Socket errors|Non-2xx'
	case "$*" in
	*"Connection: close"*) bad='Non-2xx|Socket errors: connect [1-9]|read [1-9]|timeout [1-9]' ;;
	esac
	out=$(peer wrk "$@" 2>&1)
	echo "$out" | grep -q 'requests in' || fail "wrk $*: $out"
	echo "$out" | grep -qE "$bad" && fail "wrk $*: $out"
	WRK_RPS=$(echo "$out" | sed -n 's/^Requests\/sec: *//p')
}

# httpd_stop PID LOG: SIGTERM ends the server within 5 s, with status 0 and no sanitizer report.
httpd_stop() {
	local pid=$1 log=$2 rc
	kill -TERM "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "mstack-httpd ignores SIGTERM"
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] || fail "mstack-httpd exited $rc on SIGTERM: $(tail -3 "$log")"
	if grep -q Sanitizer "$log"; then fail "sanitizer report: $(cat "$log")"; fi
}
