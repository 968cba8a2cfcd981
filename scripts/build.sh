#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# build.sh - configure and build mstack into ./build (extra arguments go to cmake).
set -euo pipefail
cd "$(dirname "$0")/.."
# "-B DIR" first picks another build directory (scripts/test.sh's sanitizer build).
dir=build
if [ "${1:-}" = "-B" ]; then dir=$2; shift 2; fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > /dev/null
cmake --build "$dir" -j"$(nproc)"
