#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# package.sh - build the Debian packages (mstack, libmstack-client1, libmstack-client-dev) into ./build-pkg.
# "-B DIR" picks another build directory; the .deb files land in it. Needs dpkg-dev (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-pkg
if [ "${1:-}" = "-B" ]; then dir=$2; shift 2; fi
# Debian's hardening flags (PIE, RELRO, BIND_NOW, FORTIFY_SOURCE, stack protector), as dpkg-buildpackage sets them.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
eval "$(dpkg-buildflags --export=sh)"
export CFLAGS="$CPPFLAGS $CFLAGS" # CMake does not read CPPFLAGS (-D_FORTIFY_SOURCE)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr "$@" > /dev/null
cmake --build "$dir" -j"${MSTACK_JOBS:-$(nproc)}" --target mstackd mstackctl mstack-echo mstack-pktgen mstack-pktcount \
	mstack-tcpecho mstack-client mstack-client-static mstack-tcp mstack-tcp-static manpages deb-changelog
(cd "$dir" && cpack -G DEB > /dev/null)
ls "$dir"/*.deb
