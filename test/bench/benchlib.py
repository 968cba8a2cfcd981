#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""benchlib.py - helpers for test/bench/run.sh: pcap sources, counter snapshots, result tables.

  benchlib.py pcap OUT --len L --dst-mac MAC --dst-ip IP --first-port P --n N --unbound-port U
      Write a pcap of UDP/IPv4 frames of L bytes (without FCS) to IP, destination ports
      round-robin over P..P+N-1, and about 1/32 of the frames to port U (nobody binds it; 0: none).
  benchlib.py snap                  (stdin: mstackctl --json stats)
      Print one line "key=value ..." of the counters the benchmark uses, apps summed.
  benchlib.py delta rx|tx SNAP0 SNAP1     rates between two snapshots (mstackd receive/transmit)
  benchlib.py testpmd FILE WARMUP SECS RXPORT TXPORT   mean pps from testpmd --stats-period 1 output
  benchlib.py pktgen FILE | iperf FILE | kern ... | tcp ... | httpd ...   parse a tool's output (see each function)
  benchlib.py hogs SECONDS PID...   foreign processes busy on our cores (see the function)
  benchlib.py ticks PID... | foreign HZ SECONDS TICKS0 TICKS1   other processes' CPU over a window
  benchlib.py table RESULTS [HEADER_FILE]
      Turn the raw results (one "part<TAB>key<TAB>metric=value..." line per run) into
      Markdown tables: median [min-max] of each metric over the runs.
"""
import json
import re
import statistics
import struct
import sys


def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def _ip(s):
    return bytes(int(x) for x in s.split("."))


def _frame(length, dst_mac, src_mac, src_ip, dst_ip, sport, dport, ident):
    payload_len = length - 14 - 20 - 8
    ip_total = 20 + 8 + payload_len
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_total, ident & 0xFFFF, 0x4000, 64, 17, 0, src_ip, dst_ip)
    iph = iph[:10] + struct.pack("!H", _csum(iph)) + iph[12:]
    payload = bytes((i & 0xFF) for i in range(payload_len))
    udp_len = 8 + payload_len
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 17, udp_len)
    udph = struct.pack("!HHHH", sport, dport, udp_len, 0)
    c = _csum(pseudo + udph + payload) or 0xFFFF
    udph = struct.pack("!HHHH", sport, dport, udp_len, c)
    return dst_mac + src_mac + b"\x08\x00" + iph + udph + payload


def cmd_pcap(argv):
    import argparse

    ap = argparse.ArgumentParser(prog="benchlib.py pcap")
    ap.add_argument("out")
    ap.add_argument("--len", type=int, required=True)
    ap.add_argument("--dst-mac", required=True)
    ap.add_argument("--src-mac", default="02:00:00:be:0c:02")
    ap.add_argument("--dst-ip", required=True)
    ap.add_argument("--src-net", default="10.215.0")
    ap.add_argument("--first-port", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--unbound-port", type=int, required=True)
    ap.add_argument("--min-bound", type=int, default=1000)
    a = ap.parse_args(argv)
    if a.len < 60 or a.len > 1514:
        sys.exit("benchlib.py: --len must be 60..1514")
    # Every bound port gets the same number of frames; 1 frame in 32 goes to the unbound port.
    per_port = max(1, -(-a.min_bound // a.n))
    bound = per_port * a.n
    unbound = max(1, round(bound / 31)) if a.unbound_port else 0
    total = bound + unbound
    dst_mac, src_mac, dst_ip = _mac(a.dst_mac), _mac(a.src_mac), _ip(a.dst_ip)
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    b = u = 0
    for j in range(total):
        # Spread the unbound frames evenly: frame j is unbound when the quota steps up.
        if unbound and (j + 1) * unbound // total > u:
            dport = a.unbound_port
            u += 1
        else:
            dport = a.first_port + b % a.n
            b += 1
        src_ip = _ip("%s.%d" % (a.src_net, 2 + j % 200))
        f = _frame(a.len, dst_mac, src_mac, src_ip, dst_ip, 1024 + j % 4096, dport, j)
        out.append(struct.pack("<IIII", 0, j, len(f), len(f)) + f)
    with open(a.out, "wb") as fh:
        fh.write(b"".join(out))
    print("pcap: %s frames=%d bound=%d unbound=%d len=%d" % (a.out, total, bound, unbound, a.len))


SNAP_KEYS = ["nic.rx_packets", "nic.tx_packets", "nic.rx_to_kernel", "nic.tx_full", "tap.rx_packets",
             "tap.tx_packets", "tap.tx_full",
             "dp.busy_cycles", "dp.total_cycles", "dp.packets", "dp.loops", "dp.busy_loops", "dp.sleeps", "dp.naps"]
APP_KEYS = ["rx_packets", "rx_ring_full", "tx_packets", "tx_nic_full", "tx_nombuf", "rx_wakeups",
            "tx_spoofed", "tx_malformed"]


def cmd_snap(argv):
    c = json.load(sys.stdin)["counters"]
    out = {k: int(c.get(k, 0)) for k in SNAP_KEYS}
    for k in APP_KEYS:
        out["app." + k] = 0
    napps = set()
    for k, v in c.items():
        m = re.match(r"app\.(\d+)\.(\w+)$", k)
        if m and m.group(2) in APP_KEYS:
            out["app." + m.group(2)] += int(v)
            napps.add(m.group(1))
    out["apps"] = len(napps)
    print(" ".join("%s=%d" % kv for kv in out.items()))


def _kv(line):
    d = {}
    for kv in line.split():
        k, v = kv.split("=", 1)
        d[k] = float(v)
    return d


def _line(d):
    return " ".join("%s=%s" % (k, ("%.6g" % v) if isinstance(v, float) else v) for k, v in d.items())


def cmd_delta(argv):
    """delta rx|tx SNAP0 SNAP1: rates over the window between two snapshots."""
    mode, a, b = argv[0], _kv(argv[1]), _kv(argv[2])
    dt = b["t"] - a["t"]
    d = {k: b[k] - a[k] for k in a}
    out = {}
    pk = d["dp.packets"] or 1
    if mode == "rx":
        out["delivered_mpps"] = d["app.rx_packets"] / dt / 1e6
        out["drops_per_s"] = d["app.rx_ring_full"] / dt
        out["nic_rx_mpps"] = d["nic.rx_packets"] / dt / 1e6
        out["kernel_mpps"] = d["nic.rx_to_kernel"] / dt / 1e6
    else:
        out["tx_mpps"] = d["nic.tx_packets"] / dt / 1e6
        out["drops_per_s"] = d["app.tx_nic_full"] / dt
        out["nombuf_per_s"] = d["app.tx_nombuf"] / dt
        out["refused_per_s"] = (d["app.tx_spoofed"] + d["app.tx_malformed"]) / dt
    out["cycles_per_pkt"] = d["dp.busy_cycles"] / pk
    out["pkts_per_busy_loop"] = d["dp.packets"] / (d["dp.busy_loops"] or 1)
    out["busy_pct"] = 100.0 * d["dp.busy_cycles"] / (d["dp.total_cycles"] or 1)
    out["tsc_mhz"] = d["dp.total_cycles"] / dt / 1e6
    if "worker_ns" in d:
        out["worker_share_pct"] = 100.0 * d["worker_ns"] / 1e9 / dt
    out["window_s"] = dt
    print(_line(out))


def cmd_testpmd(argv):
    """testpmd FILE WARMUP SECS RXPORT TXPORT: mean Rx-pps of RXPORT and Tx-pps of TXPORT over the window."""
    path, warm, secs, rxp, txp = argv[0], int(argv[1]), int(argv[2]), argv[3], argv[4]
    rx, tx, port = {}, {}, None
    with open(path, errors="replace") as fh:
        for line in fh:
            m = re.search(r"NIC statistics for port (\d+)", line)
            if m:
                port = m.group(1)
                continue
            m = re.search(r"Rx-pps:\s+(\d+)", line)
            if m and port is not None:
                rx.setdefault(port, []).append(int(m.group(1)))
            m = re.search(r"Tx-pps:\s+(\d+)", line)
            if m and port is not None:
                tx.setdefault(port, []).append(int(m.group(1)))
    # Block 0 has no rate (no earlier sample); then WARMUP blocks of warm-up, then the window.
    def window(v):
        w = v[1 + warm:1 + warm + secs]
        return sum(w) / len(w) / 1e6 if w else float("nan")
    print("rx_mpps=%.6g tx_mpps=%.6g blocks=%d" % (window(rx.get(rxp, [])), window(tx.get(txp, [])),
                                                    len(rx.get(rxp, []))))


def cmd_pktgen(argv):
    with open(argv[0]) as fh:
        for line in fh:
            m = re.search(r"^pktgen: sessions=.* mpps=([0-9.]+)", line)
            if m:
                print(m.group(1))
                return
    print("nan")


def cmd_kern(argv):
    """kern PATH HZ T0 T1 IDLE1_0 IDLE1_1 RCV_NS_0 RCV_NS_1 VETH_0 VETH_1 "UDP_0" "UDP_1" SNAP0 SNAP1

    IDLE1: core 1's idle ticks; RCV_NS: the receiver's run time (schedstat); VETH: frames that
    reached our veth end; UDP: InDatagrams InErrors RcvbufErrors; SNAP: mstackd snapshots."""
    path, hz = argv[0], float(argv[1])
    t0, t1, c0, c1, p0, p1, v0, v1 = (float(x) for x in argv[2:10])
    u0, u1 = [float(x) for x in argv[10].split()], [float(x) for x in argv[11].split()]
    dt = t1 - t0
    offered = (v1 - v0) / dt
    app_s = (p1 - p0) / 1e9
    core1_s = max(0.0, dt - (c1 - c0) / hz)
    out = {"offered_mpps": offered / 1e6}
    if path == "kernel":
        delivered = (u1[0] - u0[0]) / dt
        mux_s = core1_s
        out["rcvbuf_drops_per_s"] = (u1[2] - u0[2]) / dt
    else:
        a, b = _kv(argv[12]), _kv(argv[13])
        sdt = b["t"] - a["t"]
        delivered = (b["app.rx_packets"] - a["app.rx_packets"]) / sdt
        tsc_hz = (b["dp.total_cycles"] - a["dp.total_cycles"]) / sdt
        # mstackd's CPU is what all its threads ran (worker, TAP lcore, control thread): a worker
        # that spins between frames costs its core whether or not its loops found work. The busy
        # loops alone are shown beside it (what a worker that never waits would cost).
        busy_s = (b["dp.busy_cycles"] - a["dp.busy_cycles"]) / tsc_hz * dt / sdt
        mux_s = (b["daemon_ns"] - a["daemon_ns"]) / 1e9 * dt / sdt
        out["busy_ns_per_pkt"] = busy_s / (delivered * dt or 1) * 1e9
        out["sleeps_per_s"] = (b.get("dp.sleeps", 0) - a.get("dp.sleeps", 0)) / sdt
        out["naps_per_s"] = (b.get("dp.naps", 0) - a.get("dp.naps", 0)) / sdt
        out["app_wakeups_per_s"] = (b.get("app.rx_wakeups", 0) - a.get("app.rx_wakeups", 0)) / sdt
        out["ring_full_per_s"] = (b["app.rx_ring_full"] - a["app.rx_ring_full"]) / sdt
        out["nic_rx_mpps"] = (b["nic.rx_packets"] - a["nic.rx_packets"]) / sdt / 1e6
        out["tsc_mhz"] = tsc_hz / 1e6
        out["pkts_per_busy_loop"] = (b["dp.packets"] - a["dp.packets"]) / ((b["dp.busy_loops"] - a["dp.busy_loops"]) or 1)
        if "worker_ns" in a:
            out["worker_share_pct"] = 100.0 * (b["worker_ns"] - a["worker_ns"]) / 1e9 / sdt
    n = delivered * dt or 1
    out["delivered_mpps"] = delivered / 1e6
    out["loss_pct"] = max(0.0, 100.0 * (1 - delivered / offered)) if offered else 0.0
    out["mux_ns_per_pkt"] = mux_s / n * 1e9
    out["app_ns_per_pkt"] = app_s / n * 1e9
    out["cpu_ns_per_pkt"] = (mux_s + app_s) / n * 1e9
    out["core1_pct"] = 100.0 * core1_s / dt
    print(_line(out))


def cmd_tcp(argv):
    """tcp STACK HZ T0 T1 IDLE1_0 IDLE1_1 SRV_NS_0 SRV_NS_1 GEN_NS_0 GEN_NS_1 LOAD0 LOAD1 SNAP0 SNAP1

    STACK: kernel or mstack. IDLE1: core 1's idle ticks; SRV_NS, GEN_NS: run time of tcpperf_srv
    and tcp_load (schedstat); LOAD: tcp_load's "t= bytes= conns= fails=" lines at the window's
    edges; SNAP: mstackd snapshots (mstack only). The stack's CPU is core 1's busy time for the
    kernel (its receive softirq, moved there by RPS), the worker's busy cycles for mstack (it
    polls: its idle loops are not the stack's work)."""
    stack, hz = argv[0], float(argv[1])
    t0, t1, c0, c1, p0, p1, q0, q1 = (float(x) for x in argv[2:10])
    g0, g1 = _kv(argv[10]), _kv(argv[11])
    dt, gdt = t1 - t0, g1["t"] - g0["t"]
    out = {}
    bps = (g1["bytes"] - g0["bytes"]) / gdt
    cps = (g1["conns"] - g0["conns"]) / gdt
    out["gbps"] = bps * 8 / 1e9
    out["conns_per_s"] = cps
    out["fails_per_s"] = (g1["fails"] - g0["fails"]) / gdt
    srv = (p1 - p0) / 1e9 / dt
    if stack == "kernel":
        stk = max(0.0, dt - (c1 - c0) / hz) / dt
    else:
        a, b = _kv(argv[12]), _kv(argv[13])
        sdt = b["t"] - a["t"]
        total = b["dp.total_cycles"] - a["dp.total_cycles"]
        stk = (b["dp.busy_cycles"] - a["dp.busy_cycles"]) / (total or 1)
        out["worker_share_pct"] = 100.0 * (b["worker_ns"] - a["worker_ns"]) / 1e9 / sdt
        out["tsc_mhz"] = total / sdt / 1e6
        out["nic_rx_pps"] = (b["nic.rx_packets"] - a["nic.rx_packets"]) / sdt
        out["nic_tx_pps"] = (b["nic.tx_packets"] - a["nic.tx_packets"]) / sdt
        out["ring_full_per_s"] = (b["app.rx_ring_full"] - a["app.rx_ring_full"]) / sdt
        out["pkts_per_busy_loop"] = (b["dp.packets"] - a["dp.packets"]) / ((b["dp.busy_loops"] - a["dp.busy_loops"]) or 1)
    cores = stk + srv
    out["stack_cores"] = stk
    out["srv_cores"] = srv
    out["gen_cores"] = (q1 - q0) / 1e9 / dt
    out["cores"] = cores
    out["gbit_per_core_s"] = out["gbps"] / cores if cores else float("nan")
    out["cpu_ns_per_kb"] = cores * 1e9 / bps * 1000 if bps else float("nan")
    out["conns_per_core_s"] = cps / cores if cores else float("nan")
    out["cpu_us_per_conn"] = cores * 1e6 / cps if cps else float("nan")
    print(_line(out))


def cmd_httpd(argv):
    """httpd STACK HZ T0 T1 IDLE1_0 IDLE1_1 SRV_NS_0 SRV_NS_1 FOREIGN WRK SNAP0 SNAP1

    STACK: kernel or mstack. IDLE1: core 1's idle ticks; SRV_NS: run time of the HTTP server
    (all threads, schedstat); FOREIGN: cores other people's processes used meanwhile (cmd_foreign); WRK: the "wrk: requests= bytes= duration_us=
    p50_us= p99_us= errors=" line of the run (test/bench/httpd.sh's wrk script); SNAP: mstackd
    snapshots (mstack only). The stack's CPU is counted as cmd_tcp counts it."""
    stack, hz = argv[0], float(argv[1])
    t0, t1, c0, c1, p0, p1, foreign = (float(x) for x in argv[2:9])
    w = _kv(argv[9].replace("wrk: ", ""))
    dt, wdt = t1 - t0, w["duration_us"] / 1e6
    out = {}
    rps = w["requests"] / wdt
    out["req_per_s"] = rps
    out["gbps"] = w["bytes"] * 8 / wdt / 1e9
    out["p50_ms"] = w["p50_us"] / 1e3
    out["p99_ms"] = w["p99_us"] / 1e3
    out["errors"] = w["errors"]
    out["foreign_cores"] = foreign
    if stack == "kernel":
        stk = max(0.0, dt - (c1 - c0) / hz) / dt
    else:
        a, b = _kv(argv[10]), _kv(argv[11])
        sdt = b["t"] - a["t"]
        stk = (b["dp.busy_cycles"] - a["dp.busy_cycles"]) / ((b["dp.total_cycles"] - a["dp.total_cycles"]) or 1)
        out["worker_share_pct"] = 100.0 * (b["worker_ns"] - a["worker_ns"]) / 1e9 / sdt
        out["nic_rx_pps"] = (b["nic.rx_packets"] - a["nic.rx_packets"]) / sdt
        out["nic_tx_pps"] = (b["nic.tx_packets"] - a["nic.tx_packets"]) / sdt
    srv = (p1 - p0) / 1e9 / dt
    out["stack_cores"] = stk
    out["srv_cores"] = srv
    out["cpu_us_per_req"] = (stk + srv) * 1e6 / rps if rps else float("nan")
    out["req_per_core_s"] = rps / (stk + srv) if stk + srv else float("nan")
    print(_line(out))


def _user_procs(mine):
    """{pid: (comm, utime + stime)} of the user processes other than MINE; kthreadd's children
    (softirq work is ours to measure) are left out."""
    import os

    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid in mine:
            continue
        try:
            with open("/proc/%s/stat" % pid) as fh:
                st = fh.read()
        except OSError:
            continue
        f = st[st.rindex(")") + 2:].split()
        if f[1] == "2" or pid == "2":
            continue
        out[pid] = (st[st.index("(") + 1:st.rindex(")")], int(f[11]) + int(f[12]))
    return out


def cmd_ticks(argv):
    """ticks PID...: "pid=ticks" of every user process but the given ones, for cmd_foreign."""
    print(" ".join("%s=%d" % (pid, t) for pid, (_, t) in _user_procs(set(argv)).items()))


def cmd_foreign(argv):
    """foreign HZ SECONDS TICKS0 TICKS1: cores that other people's processes used between two
    cmd_ticks samples SECONDS apart (those started meanwhile count whole; those that ended are lost)."""
    hz, secs = float(argv[0]), float(argv[1])
    a, b = _kv(argv[2]), _kv(argv[3])
    print("%.4f" % (sum(v - a.get(k, 0) for k, v in b.items()) / hz / secs))


def cmd_hogs(argv):
    """hogs SECONDS PID...: processes other than the given ones (and kernel threads) that used more
    than a fifth of a core over SECONDS, as "PID:COMM" words: someone else's work sharing our cores."""
    import os
    import time

    secs, mine = float(argv[0]), set(argv[1:])
    hz = os.sysconf("SC_CLK_TCK")
    a = _user_procs(mine)
    time.sleep(secs)
    b = _user_procs(mine)
    print(" ".join("%s:%s" % (pid, b[pid][0]) for pid in b
                   if pid in a and (b[pid][1] - a[pid][1]) / hz / secs > 0.2))


def cmd_iperf(argv):
    extra = ""
    if len(argv) >= 3 and argv[1] and argv[2]:
        a, b = _kv(argv[1]), _kv(argv[2])
        extra = " tap_tx_full=%d nic_tx_full=%d nic_rx=%d tap_rx=%d" % tuple(
            b[k] - a[k] for k in ("tap.tx_full", "nic.tx_full", "nic.rx_packets", "tap.rx_packets"))
        # The workers' busy cycles per frame they moved (NIC rx to the kernel, the kernel's frames to the NIC).
        frames = (b["nic.rx_packets"] - a["nic.rx_packets"]) + (b["tap.rx_packets"] - a["tap.rx_packets"])
        extra += " worker_cyc_per_frame=%.0f" % ((b["dp.busy_cycles"] - a["dp.busy_cycles"]) / (frames or 1))
    try:
        with open(argv[0]) as fh:
            j = json.load(fh)
        e = j["end"]
        print("gbps=%.4f retr=%d%s" % (e["sum_received"]["bits_per_second"] / 1e9,
                                         e["sum_sent"].get("retransmits", 0), extra))
    except (OSError, ValueError, KeyError):
        print("gbps=nan retr=nan" + extra)


# --- result tables ---------------------------------------------------------------------------

def _fmt(v, digits):
    if v is None:
        return "-"
    if digits == 0:
        return "%d" % round(v)
    return ("%%.%df" % digits) % v


def _cell(vals, digits):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "-"
    med = statistics.median(vals)
    if len(vals) == 1:
        return _fmt(med, digits)
    return "%s [%s-%s]" % (_fmt(med, digits), _fmt(min(vals), digits), _fmt(max(vals), digits))


def _med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def load_results(path):
    """{part: {key: {metric: [values per run]}}}, keys in first-seen order."""
    res = {}
    with open(path) as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            part, key, rest = line.split("\t", 2)
            d = res.setdefault(part, {}).setdefault(key, {})
            for kv in rest.split():
                k, v = kv.split("=", 1)
                try:
                    f = float(v)
                    d.setdefault(k, []).append(None if f != f else f)
                except ValueError:
                    d.setdefault(k, []).append(None)
    return res


def _keyparts(key):
    """"a=1,b=x, y" -> {"a": "1", "b": "x, y"}: a comma starts a new pair only before "word="."""
    return dict(re.findall(r"(\w+)=((?:(?!,\w+=).)*)", key))


def _ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def table(path, header=None):
    res = load_results(path)
    out = []
    if header:
        with open(header) as fh:
            out.append(fh.read().rstrip("\n"))
            out.append("")
    note = "Each cell: median [min-max] over the runs; ratios use the medians."
    out.append(note)
    out.append("")

    rx, base = res.get("rx", {}), res.get("rx_testpmd", {})
    if rx:
        out.append("### 1-2. Receive: net_pcap (infinite_rx) -> mstackd demux -> N sessions of one mstack-pktcount")
        out.append("")
        out.append("| frame | N apps | delivered Mpps | drops (ring full) /s | NIC rx Mpps | to kernel Mpps "
                   "| busy cycles/pkt | x testpmd io | x N=1 | worker's share of core 1 % |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        n1 = {}
        for key, m in rx.items():
            kp = _keyparts(key)
            if kp["n"] == "1" and kp.get("variant", "") == "":
                n1[kp["len"]] = _med(m.get("delivered_mpps", []))
        for key, m in rx.items():
            kp = _keyparts(key)
            b = base.get("len=" + kp["len"], {})
            d = _med(m.get("delivered_mpps", []))
            label = kp["n"] + (" (%s)" % kp["variant"] if kp.get("variant") else "")
            out.append("| %s B | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                kp["len"], label, _cell(m.get("delivered_mpps", []), 3), _cell(m.get("drops_per_s", []), 0),
                _cell(m.get("nic_rx_mpps", []), 3), _cell(m.get("kernel_mpps", []), 3),
                _cell(m.get("cycles_per_pkt", []), 0),
                _fmt(_ratio(d, _med(b.get("rx_mpps", []))), 2), _fmt(_ratio(d, n1.get(kp["len"])), 2),
                _cell(m.get("worker_share_pct", []), 0)))
        out.append("")
    if base:
        out.append("Baseline: the same pcap through `dpdk-testpmd --forward-mode=io` to net_null, one forwarding core:")
        out.append("")
        out.append("| frame | testpmd RX Mpps | testpmd TX Mpps |")
        out.append("|---|---|---|")
        for key, m in base.items():
            kp = _keyparts(key)
            out.append("| %s B | %s | %s |" % (kp["len"], _cell(m.get("rx_mpps", []), 3),
                                              _cell(m.get("tx_mpps", []), 3)))
        out.append("")

    tx, txb = res.get("tx", {}), res.get("tx_testpmd", {})
    if tx or txb:
        tb = _med(next(iter(txb.values()), {}).get("tx_mpps", [])) if txb else None
        out.append("### 3. Transmit: N sessions of one mstack-pktgen -> mstackd validate + copy -> net_null")
        out.append("")
        out.append("| frame | N apps | NIC tx Mpps | pktgen posted Mpps | drops /s | busy cycles/pkt "
                   "| datapath busy % | frames per busy loop | x testpmd txonly | worker's share of core 1 % |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for key, m in tx.items():
            kp = _keyparts(key)
            out.append("| %s B | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                kp["len"], kp["n"], _cell(m.get("tx_mpps", []), 3), _cell(m.get("gen_mpps", []), 3),
                _cell(m.get("drops_per_s", []), 0), _cell(m.get("cycles_per_pkt", []), 0),
                _cell(m.get("busy_pct", []), 0), _cell(m.get("pkts_per_busy_loop", []), 0),
                _fmt(_ratio(_med(m.get("tx_mpps", [])), tb), 2), _cell(m.get("worker_share_pct", []), 0)))
        out.append("")
        out.append("Baseline: `dpdk-testpmd --forward-mode=txonly` to net_null, one forwarding core:")
        out.append("")
        out.append("| frame | testpmd TX Mpps |")
        out.append("|---|---|")
        for key, m in txb.items():
            kp = _keyparts(key)
            out.append("| %s B | %s |" % (kp["len"], _cell(m.get("tx_mpps", []), 3)))
        out.append("")

    k = res.get("kern", {})
    if k:
        out.append("### 4. Kernel UDP demux vs mstackd, same offered load over a veth pair")
        out.append("")
        out.append("| offered | N | path | offered Mpps | delivered Mpps | loss % | receive CPU ns/pkt "
                   "| of which mux (softirq / mstackd) | of which app | mstackd / kernel CPU "
                   "| mstackd busy loops only ns/pkt | worker sleeps/s | worker naps/s | app wakeups/s |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        kern_cpu = {}
        for key, m in k.items():
            kp = _keyparts(key)
            if kp["path"] == "kernel":
                kern_cpu[(kp["load"], kp["n"])] = _med(m.get("cpu_ns_per_pkt", []))
        for key, m in k.items():
            kp = _keyparts(key)
            ratio = "-"
            if kp["path"] != "kernel":
                ratio = _fmt(_ratio(_med(m.get("cpu_ns_per_pkt", [])), kern_cpu.get((kp["load"], kp["n"]))), 2)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                kp["load"], kp["n"], kp["path"], _cell(m.get("offered_mpps", []), 3),
                _cell(m.get("delivered_mpps", []), 3), _cell(m.get("loss_pct", []), 1),
                _cell(m.get("cpu_ns_per_pkt", []), 0), _cell(m.get("mux_ns_per_pkt", []), 0),
                _cell(m.get("app_ns_per_pkt", []), 0), ratio, _cell(m.get("busy_ns_per_pkt", []), 0),
                _cell(m.get("sleeps_per_s", []), 0), _cell(m.get("naps_per_s", []), 0),
                _cell(m.get("app_wakeups_per_s", []), 0)))
        out.append("")

    ip = res.get("iperf", {})
    if ip:
        out.append("### 5. Exception path: TCP (iperf3, 1 stream) from the peer namespace to HOST_IP")
        out.append("")
        out.append("| path | Gbit/s | retransmits | mstackd tap.tx_full + nic.tx_full | worker busy cycles per frame |")
        out.append("|---|---|---|---|---|")
        for key, m in ip.items():
            kp = _keyparts(key)
            full = [None if a is None or b is None else a + b
                    for a, b in zip(m.get("tap_tx_full", []), m.get("nic_tx_full", []))]
            out.append("| %s | %s | %s | %s | %s |" % (kp["path"], _cell(m.get("gbps", []), 2),
                                                     _cell(m.get("retr", []), 0), _cell(full, 0),
                                                     _cell(m.get("worker_cyc_per_frame", []), 0)))
        out.append("")

    tb, tr = res.get("tcp_bulk", {}), res.get("tcp_rate", {})
    kern = "kernel, offloads off"
    if tb:
        out.append("### TCP bulk, one connection: tcp_load (peer namespace) <-> tcpperf_srv on each stack")
        out.append("")
        out.append("| direction | stack | Gbit/s | stack CPU (cores) | server CPU (cores) | Gbit/s per core-second "
                   "| CPU ns per kB | x kernel per core-second | generator CPU (cores) |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for key, m in tb.items():
            kp = _keyparts(key)
            d = "peer -> server (sink)" if kp["test"] == "up" else "server -> peer (source)"
            base = tb.get("test=%s,stack=%s" % (kp["test"], kern), {})
            ratio = "-" if kp["stack"] == kern else _fmt(
                _ratio(_med(m.get("gbit_per_core_s", [])), _med(base.get("gbit_per_core_s", []))), 2)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                d, kp["stack"], _cell(m.get("gbps", []), 2), _cell(m.get("stack_cores", []), 2),
                _cell(m.get("srv_cores", []), 2), _cell(m.get("gbit_per_core_s", []), 2),
                _cell(m.get("cpu_ns_per_kb", []), 0), ratio, _cell(m.get("gen_cores", []), 2)))
        out.append("")
    if tr:
        out.append("### TCP connection setup rate: parallel loops of connect, echo, close")
        out.append("")
        out.append("| stack | connections/s | failed/s | stack CPU (cores) | server CPU (cores) "
                   "| connections per core-second | CPU us per connection | x kernel per core-second "
                   "| generator CPU (cores) |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        base = tr.get("test=rate,stack=%s" % kern, {})
        for key, m in tr.items():
            kp = _keyparts(key)
            ratio = "-" if kp["stack"] == kern else _fmt(
                _ratio(_med(m.get("conns_per_core_s", [])), _med(base.get("conns_per_core_s", []))), 2)
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                kp["stack"], _cell(m.get("conns_per_s", []), 0), _cell(m.get("fails_per_s", []), 1),
                _cell(m.get("stack_cores", []), 2), _cell(m.get("srv_cores", []), 2),
                _cell(m.get("conns_per_core_s", []), 0), _cell(m.get("cpu_us_per_conn", []), 1), ratio,
                _cell(m.get("gen_cores", []), 2)))
        out.append("")
    ms = [m for part in (tb, tr) for k, m in part.items() if "stack=mstack" in k]
    if ms:
        out.append("mstackd during the mstack windows (worker lcore on core 1; it polls, so its run time is "
                   "always ~100%: the stack CPU above is its busy cycles):")
        out.append("")
        out.append("| test | NIC rx pps | NIC tx pps | app ring full /s | frames per busy loop | worker's share of core 1 % |")
        out.append("|---|---|---|---|---|---|")
        for part in (tb, tr):
            for key, m in part.items():
                kp = _keyparts(key)
                if kp["stack"] != "mstack":
                    continue
                out.append("| %s | %s | %s | %s | %s | %s |" % (
                    kp["test"], _cell(m.get("nic_rx_pps", []), 0), _cell(m.get("nic_tx_pps", []), 0),
                    _cell(m.get("ring_full_per_s", []), 0), _cell(m.get("pkts_per_busy_loop", []), 1),
                    _cell(m.get("worker_share_pct", []), 0)))
        out.append("")
    hp = res.get("httpd", {})
    if hp:
        _httpd_tables(hp, out)
    print("\n".join(out))


# The targets of issue 10: mstack-httpd's requests per server CPU-second against nginx's, one
# request per connection, by object size (KB); ahead of the kernel-transport httpd at every size.
HTTPD_TARGETS = {1: 1.9, 32: 1.18}


def _httpd_tables(hp, out):
    out.append("### HTTP: wrk (peer namespace) -> mstack-httpd on mstack, mstack-httpd -k, nginx on the kernel")
    out.append("")
    out.append("| connections | object KB | server | requests/s | Gbit/s | p50 ms | p99 ms | errors "
               "| stack cores | server cores | server CPU us/request | requests per server CPU-s | others' cores |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    eff = {}
    for key, m in hp.items():
        kp = _keyparts(key)
        eff[(kp["mode"], int(kp["kb"]), kp["server"])] = _med(m.get("req_per_core_s", []))
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            kp["mode"], kp["kb"], kp["server"], _cell(m.get("req_per_s", []), 0), _cell(m.get("gbps", []), 2),
            _cell(m.get("p50_ms", []), 2), _cell(m.get("p99_ms", []), 2), _cell(m.get("errors", []), 0),
            _cell(m.get("stack_cores", []), 2), _cell(m.get("srv_cores", []), 2),
            _cell(m.get("cpu_us_per_req", []), 1), _cell(m.get("req_per_core_s", []), 0),
            _cell(m.get("foreign_cores", []), 2)))
    out.append("")
    out.append("Requests per server CPU-second, mstack-httpd on mstack against each baseline (medians):")
    out.append("")
    out.append("| connections | object KB | x nginx | x mstack-httpd -k | target x nginx | met |")
    out.append("|---|---|---|---|---|---|")
    for mode, kb in sorted({(k[0], k[1]) for k in eff}, key=lambda x: (x[0] != "close", x[1])):
        ms = eff.get((mode, kb, "mstack-httpd"))
        rn, rk = _ratio(ms, eff.get((mode, kb, "nginx"))), _ratio(ms, eff.get((mode, kb, "mstack-httpd -k")))
        target = HTTPD_TARGETS.get(kb) if mode == "close" else None
        met = [] if rk is None else [rk > 1.0]
        if target is not None and rn is not None:
            met.append(rn >= target)
        out.append("| %s | %d | %s | %s | %s | %s |" % (
            mode, kb, _fmt(rn, 2), _fmt(rk, 2), "%.2f" % target if target else "-",
            "-" if not met else ("yes" if all(met) else "no")))
    out.append("")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "pcap":
        cmd_pcap(argv)
    elif cmd == "snap":
        cmd_snap(argv)
    elif cmd in ("delta", "testpmd", "pktgen", "kern", "iperf", "tcp", "httpd", "ticks", "foreign", "hogs"):
        globals()["cmd_" + cmd](argv)
    elif cmd == "table":
        table(argv[0], argv[1] if len(argv) > 1 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
