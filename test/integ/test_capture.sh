#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_capture.sh - mstackctl capture: pcapng that tshark reads, with the interface and direction of each
# frame; a filter; -c; admin only; one at a time; a capture whose client is killed stops at once.
source "$(dirname "$0")/lib.sh"
command -v tshark > /dev/null || fail "tshark is missing (scripts/deps.sh installs it)"
integ_start "mode = 0666"

# cap NAME ARGS...: start a capture in the background into $WORK/NAME.pcapng; sets $LAST_PID
cap() {
	local name=$1; shift
	start_bg "$BIN/mstackctl" -s "$SOCK" capture -w "$WORK/$name.pcapng" "$@" 2> "$WORK/$name.err"
	wait_for 10 grep -q "capturing to" "$WORK/$name.err" || fail "capture $name did not start: $(cat "$WORK/$name.err")"
}
# fields NAME: interface, direction, udp ports of each frame, one line each
fields() {
	tshark -r "$WORK/$1.pcapng" -T fields -E separator=' ' -e frame.interface_name \
		-e frame.packet_flags_direction -e udp.srcport -e udp.dstport 2> /dev/null
}
# done_in SECONDS PID: the capture ended by itself (its -c)
done_in() { wait_for "$1" sh -c "! kill -0 $2" || fail "the capture did not end after its count"; }

start_echo 7000
APP=$APP_ID
udp_roundtrip "$HOST_IP" 7000 warm-up > /dev/null || fail "echo" # ARP and RESOLVE happen here, not below

# NIC, both directions, filtered: each echo is one inbound and one outbound frame on "nic".
frames0=$(counter capture.frames)
cap nic -c 4 udp port 7000
for i in 1 2; do udp_roundtrip "$HOST_IP" 7000 "nic-$i" > /dev/null || fail "echo $i"; done
done_in 10 "$LAST_PID"
fields nic > "$WORK/nic.txt"
[ "$(wc -l < "$WORK/nic.txt")" -eq 4 ] || fail "want 4 frames: $(cat "$WORK/nic.txt")"
[ "$(grep -c '^nic 0x0*1 [0-9]* 7000$' "$WORK/nic.txt")" -eq 2 ] || fail "want 2 inbound to 7000: $(cat "$WORK/nic.txt")"
[ "$(grep -c '^nic 0x0*2 7000 [0-9]*$' "$WORK/nic.txt")" -eq 2 ] || fail "want 2 outbound from 7000: $(cat "$WORK/nic.txt")"
grep -q "4 frames written" "$WORK/nic.err" || fail "summary: $(cat "$WORK/nic.err")"
[ "$(counter capture.frames)" -gt "$frames0" ] || fail "capture.frames did not move"
ok "NIC capture: 2 inbound and 2 outbound UDP frames on interface nic, read back by tshark"

# A filter selects only some: the kernel's ping is left out, the echo is kept.
cap filt -c 1 --dir rx udp port 7000
peer ping -c 2 -i 0.2 -W 1 "$HOST_IP" > /dev/null || fail "ping"
udp_roundtrip "$HOST_IP" 7000 filtered > /dev/null || fail "echo"
done_in 10 "$LAST_PID"
[ "$(fields filt)" = "nic 0x00000001 $(fields filt | cut -d' ' -f3) 7000" ] || fail "filtered: $(fields filt)"
grep -Eq "[1-9][0-9]* filtered out" "$WORK/filt.err" || fail "no frame filtered out: $(cat "$WORK/filt.err")"
ok "filter 'udp port 7000' keeps the echo and drops the pings: $(cat "$WORK/filt.err" | tail -1)"

# An application's point: delivered into its ring (rx) and validated from it (tx).
cap app -c 2 --app "$APP" udp
udp_roundtrip "$HOST_IP" 7000 app > /dev/null || fail "echo"
done_in 10 "$LAST_PID"
[ "$(fields app | cut -d' ' -f1-2 | sort | tr '\n' ' ')" = "app.$APP 0x00000001 app.$APP 0x00000002 " ] ||
	fail "app capture: $(fields app)"
ok "app capture: one frame into app.$APP's ring, one from it"

# TAP: the kernel's answer to a ping comes from the TAP (rx) and goes out of the NIC.
cap tap -c 1 --tap --dir rx icmp
peer ping -c 3 -i 0.2 -W 1 "$HOST_IP" > /dev/null || fail "ping"
done_in 10 "$LAST_PID"
tshark -r "$WORK/tap.pcapng" -T fields -e frame.interface_name -e icmp.type 2> /dev/null | grep -q "^tap	0$" ||
	fail "tap capture: $(tshark -r "$WORK/tap.pcapng" 2>&1)"
ok "TAP capture: the kernel's echo reply"

# Administrators only; one capture at a time.
if setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN/mstackctl" -s "$SOCK" capture -w /dev/null -c 1 \
	> "$WORK/denied" 2>&1; then fail "a non-admin could capture"; fi
grep -q "administrator only" "$WORK/denied" || fail "refusal: $(cat "$WORK/denied")"
grep -q "capture refused to pid" "$DLOG" || fail "refusal not logged"
ok "capture refused to a non-admin uid: $(cat "$WORK/denied")"

cap long
LONG=$LAST_PID
if ctl capture -w /dev/null -c 1 > "$WORK/busy" 2>&1; then fail "a second capture started"; fi
grep -q "another capture is running" "$WORK/busy" || fail "busy: $(cat "$WORK/busy")"
ok "a second capture is refused while one runs"

# A reader that falls behind loses copies (capture.dropped), the traffic loses nothing.
kill -STOP "$LONG"
dropped0=$(counter capture.dropped)
rx0=$(counter "app.$APP.rx_packets")
peer python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b"flood", (sys.argv[1], 7000))
    if i % 50 == 49: time.sleep(0.005)' "$HOST_IP"
sleep 1
d_drop=$(($(counter capture.dropped) - dropped0))
d_rx=$(($(counter "app.$APP.rx_packets") - rx0))
[ "$d_drop" -gt 0 ] || fail "a stopped reader's capture dropped nothing"
[ "$d_rx" -ge 2900 ] || fail "the app got $d_rx of 3000 datagrams while the capture ring was full"
kill -CONT "$LONG"
ok "a stopped reader: $d_drop copies dropped (capture.dropped), the app still got $d_rx of 3000 datagrams"

# kill -9 the reader: the daemon sees the session close and stops copying.
udp_roundtrip "$HOST_IP" 7000 long > /dev/null || fail "echo"
wait_for 5 test "$(counter capture.frames)" -gt 0 || fail "no frames"
kill -9 "$LONG"
wait_for 5 grep -q "capture by pid $LONG ended" "$DLOG" || fail "the daemon did not end the capture"
f1=$(counter capture.frames)
for i in 1 2 3; do udp_roundtrip "$HOST_IP" 7000 "after-$i" > /dev/null || fail "echo after kill"; done
[ "$(counter capture.frames)" -eq "$f1" ] || fail "capture.frames still moves after the reader was killed"
cap again -c 2 --dir rx
udp_roundtrip "$HOST_IP" 7000 again > /dev/null || fail "echo"
peer ping -c 1 -W 1 "$HOST_IP" > /dev/null
done_in 10 "$LAST_PID"
ok "a capture whose reader is killed stops (capture.frames stays at $f1) and a new one can start"
kill -0 "$DAEMON_PID" || fail "mstackd died"
integ_pass
