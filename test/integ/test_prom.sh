#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_prom.sh - mstackctl stats --prometheus against the real daemon, read by prometheus_client's own
# parser: every family once, typed, with HELP; app labels as APPS says; values as stats --json says.
source "$(dirname "$0")/lib.sh"
# Debian's python3-prometheus-client is in the system python, which another python3 on PATH may hide.
PY=python3
"$PY" -c "import prometheus_client" 2>/dev/null || PY=/usr/bin/python3
"$PY" -c "import prometheus_client" 2>/dev/null || fail "needs python3-prometheus-client (scripts/deps.sh)"
integ_start

start_echo 7000; APP=$APP_ID
for i in 1 2 3; do udp_roundtrip "$HOST_IP" 7000 "x$i" > /dev/null || fail "echo $i"; done
# Traffic has stopped: the app's counters hold still between the calls below.
ctl stats --prometheus > "$WORK/prom" || fail "stats --prometheus"
ctl --json stats > "$WORK/stats.json" || fail "stats --json"
ctl --json apps > "$WORK/apps.json" || fail "apps --json"

"$PY" - "$WORK/prom" "$WORK/stats.json" "$WORK/apps.json" "$APP" <<'PY' || fail "Prometheus output: see above"
import json, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
counters = json.load(open(sys.argv[2]))["counters"]
apps = json.load(open(sys.argv[3]))["apps"]
app = sys.argv[4]
fams = list(text_string_to_metric_families(text))
names = [f.name for f in fams]
dups = {n for n in names if names.count(n) > 1}
assert not dups, f"families split or repeated: {dups}"
for line in text.splitlines():
    if line.startswith("# HELP "):
        assert len(line.split(" ", 3)) == 4 and line.split(" ", 3)[3].endswith("."), f"HELP without a sentence: {line}"
typ = {f.name: f.type for f in fams}
samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in fams for s in f.samples}

def val(metric, **labels):
    key = (metric, tuple(sorted(labels.items())))
    assert key in samples, f"no sample {key}"
    return samples[key]

# The parser names counter families without _total; the samples keep it.
for fam, want in [("mstack_up", "gauge"), ("mstack_apps", "gauge"), ("mstack_uptime_seconds", "gauge"),
                  ("mstack_bindings", "gauge"), ("mstack_port_link_up", "gauge"),
                  ("mstack_port_rx_packets", "counter"), ("mstack_port_hw_imissed", "counter"),
                  ("mstack_dp_busy_cycles", "counter"), ("mstack_ctl_refused", "counter"),
                  ("mstack_ctl_close_pending", "gauge"), ("mstack_app_rx_packets", "counter"),
                  ("mstack_app_tx_spoofed", "counter")]:
    assert typ.get(fam) == want, f"{fam}: type {typ.get(fam)}, want {want}"
assert val("mstack_up") == 1
assert val("mstack_apps") == len(apps) == 1, "mstack_apps"
assert val("mstack_port_link_up", port="nic") == 1
a = apps[0]
assert str(a["app_id"]) == app
for c in ("rx_packets", "tx_packets", "rx_bytes", "tx_spoofed"):
    got = val(f"mstack_app_{c}_total", app=app, name=a["name"])
    assert got == counters[f"app.{app}.{c}"], f"app {c}: {got} != {counters[f'app.{app}.{c}']}"
assert val("mstack_app_rx_packets_total", app=app, name=a["name"]) == a["rx_packets"] >= 3
for port in ("nic", "tap"):
    assert val("mstack_port_hw_imissed_total", port=port) == counters[f"{port}.hw_imissed"]
assert val("mstack_ctl_refused_total") == counters["ctl.refused"]
assert val("mstack_dp_loops_total", worker="0") > 0
# Every daemon counter is there, under its family; the datapath's sums ("dp.loops") are not, their
# parts ("dp.0.loops", one per worker) are.
sums = [k for k in counters if k.startswith("dp.") and not k.split(".")[1].isdigit()]
assert sum(1 for k in samples if k[0].startswith(("mstack_port_", "mstack_dp_", "mstack_ctl_", "mstack_app_", "mstack_capture_"))
           and k[0] != "mstack_port_link_up") == len(counters) - len(sums), "not one sample per daemon counter"
print(f"{len(fams)} families, {len(samples)} samples")
PY
ok "stats --prometheus parses: $(grep -c '^# TYPE' "$WORK/prom") families, app $APP labelled $(grep -o 'name="[^"]*"' "$WORK/prom" | head -1)"

# The textfile collector's way: write a file, then move it into place.
ctl stats --prometheus > "$WORK/mstack.prom.tmp" && mv "$WORK/mstack.prom.tmp" "$WORK/mstack.prom" ||
	fail "atomic write"
grep -q '^mstack_up 1$' "$WORK/mstack.prom" || fail "no mstack_up in the file"
ok "the documented textfile one-liner"
integ_pass
