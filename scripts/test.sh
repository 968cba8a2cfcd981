#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test.sh - install dependencies, build, and run the whole test suite (unit, then integration).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -L unit && ctest --output-on-failure -L integ)
# Again with AddressSanitizer and UBSan in the daemon, the library and the tests.
scripts/build.sh -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMSTACK_ASAN=ON
(cd build-asan && ctest --output-on-failure -L unit && ctest --output-on-failure -L integ)
# Each fuzz target for 15 s (clang, libFuzzer; its own build in build-fuzz).
test/fuzz/run.sh 15
