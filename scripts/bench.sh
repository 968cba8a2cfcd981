#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench.sh - install what the benchmark needs, build, and run it (test/bench/run.sh; its options pass through).
# Takes 15-25 minutes; BENCH_QUICK=1 is a 2-minute smoke test. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
# What only the benchmarks need: iperf3 (part 5), linux-perf for test/bench/profile.sh, nginx-light
# (the HTTP baseline of test/bench/httpd.sh).
BENCH_PKGS="iperf3 linux-perf nginx-light"
missing=$(for p in $BENCH_PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"; done)
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
scripts/build.sh
exec test/bench/run.sh "$@"
