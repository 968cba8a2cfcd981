#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - build the fuzz targets if needed, replay the regressions, fuzz each target for SECONDS.
#
# usage: test/fuzz/run.sh [SECONDS]   (default 20 per target)
# Build directory: $MSTACK_FUZZ_BUILD, default build-fuzz (configured with clang and -DMSTACK_FUZZ=ON
# when it does not exist). Each target runs on a copy of test/fuzz/corpus/<target>/, in
# $BUILD/fuzz-run/<target>/; a crash fails the run and its input is kept there (crash-*, leak-*...).
# To keep an input for good: test/fuzz/regressions/<target>/, replayed first on every run.
set -euo pipefail

secs=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${MSTACK_FUZZ_BUILD:-$root/build-fuzz}
targets="proto conf classify txval ring tcp_ip tcp_input http"

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DMSTACK_FUZZ=ON >/dev/null
fi
cmake --build "$build" --target fuzz -j2 >/dev/null

fail=0
for t in $targets; do
	bin=$build/test/fuzz/fuzz_$t
	out=$build/fuzz-run/$t
	rm -rf "$out"
	mkdir -p "$out"
	# Every input that once crashed a target, first: a fixed bug stays fixed.
	regs=()
	if [ -d "$here/regressions/$t" ]; then
		mapfile -t regs < <(find "$here/regressions/$t" -type f | sort)
	fi
	if [ ${#regs[@]} -gt 0 ] && ! "$bin" "${regs[@]}" >"$out/regressions.log" 2>&1; then
		echo "fuzz_$t: a regression input crashes again, see $out/regressions.log" >&2
		fail=1
		continue
	fi
	cp -r "$here/corpus/$t" "$out/corpus"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/" "$out/corpus" >"$out/fuzz.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz.log")
		echo "fuzz_$t: ok, ${runs:-?} runs in ${secs}s, ${#regs[@]} regressions replayed"
	else
		echo "fuzz_$t: FAILED, input kept: $(ls "$out" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -1)" >&2
		echo "  log: $out/fuzz.log" >&2
		fail=1
	fi
done
exit $fail
