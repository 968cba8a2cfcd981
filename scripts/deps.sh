#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# deps.sh - install what building and testing mstack needs on Debian 12 (as root).
set -euo pipefail
PKGS="build-essential cmake pkg-config dpdk dpdk-dev libnuma-dev libbsd-dev libsystemd-dev libmnl-dev
      check iproute2 ethtool iputils-ping procps python3 python3-prometheus-client curl valgrind systemd
      clang-format clang libclang-rt-14-dev dpkg-dev adduser libpcap-dev tshark libevent-dev
      python3-scapy apache2-utils wrk"
missing=$(for p in $PKGS; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"; done)
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
