#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# test_package.sh - the Debian packages install, carry the right files, a conffile, the mstack group and a
# unit that verifies and is not enabled; the -dev package builds a program; a purge takes it all away.
#
# Builds the packages into a temporary directory (scripts/package.sh), or takes them from $MSTACK_DEB_DIR.
# Files of a from-source install (`cmake --install`) at the packages' paths are moved aside for the
# duration and put back afterwards, also when the test fails.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PKGS=(mstack libmstack-client1 libmstack-client-dev)
tmp=$(mktemp -d)
aside=$tmp/aside
group_was_there=0
getent group mstack > /dev/null && group_was_there=1
APT=(apt-get -q -y --no-install-recommends -o DPkg::Lock::Timeout=120)
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2> /dev/null | grep -q '^[ic]i'; }
purge_all() {
	local p any=()
	for p in "${PKGS[@]}"; do
		dpkg-query -W "$p" > /dev/null 2>&1 && any+=("$p")
	done
	[ ${#any[@]} = 0 ] || "${APT[@]}" purge "${any[@]}" > /dev/null 2>&1 || dpkg --purge "${any[@]}" > /dev/null 2>&1
}
cleanup() {
	purge_all
	if [ -d "$aside" ]; then
		(cd "$aside" && find . \( -type f -o -type l \) -print0 | while IFS= read -r -d '' f; do
			mkdir -p "/${f%/*}" && mv -f "$f" "/$f"
		done)
	fi
	[ "$group_was_there" = 1 ] || ! getent group mstack > /dev/null || groupdel mstack
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

# A previous run that died half way: start from nothing.
purge_all

if [ -n "${MSTACK_DEB_DIR:-}" ]; then
	debs=$MSTACK_DEB_DIR
else
	MSTACK_JOBS=2 nice "$SRC/scripts/package.sh" -B "$tmp/build" > "$tmp/build.log" 2>&1 ||
		{ tail -20 "$tmp/build.log"; fail "scripts/package.sh"; }
	debs=$tmp/build
fi
v=$(sed -n 's/^project(mstack VERSION \([0-9.]*\).*/\1/p' "$SRC/CMakeLists.txt")
for p in "${PKGS[@]}"; do
	[ -f "$debs/${p}_${v}_amd64.deb" ] || fail "no $debs/${p}_${v}_amd64.deb"
done

# Whatever a from-source install left at the packages' paths goes aside (dpkg would overwrite it and the
# purge would delete it).
for p in "${PKGS[@]}"; do
	dpkg-deb --fsys-tarfile "$debs/${p}_${v}_amd64.deb" | tar t | sed 's|^\./|/|' | grep -v '/$'
done > "$tmp/paths"
while read -r f; do
	if [ -e "$f" ] || [ -L "$f" ]; then
		{ mkdir -p "$aside${f%/*}" && mv -f "$f" "$aside$f"; } || fail "cannot move $f aside"
	fi
done < "$tmp/paths"

# Local files only: every dependency is installed already, so apt needs no network.
(cd "$debs" && "${APT[@]}" install "./mstack_${v}_amd64.deb" "./libmstack-client1_${v}_amd64.deb" \
	"./libmstack-client-dev_${v}_amd64.deb") > "$tmp/apt.log" 2>&1 || { tail -20 "$tmp/apt.log"; fail "apt-get install"; }
for p in "${PKGS[@]}"; do
	installed "$p" || fail "$p not installed"
done

# The files, where the unit and the docs expect them.
unit=$(dpkg -L mstack | grep '/systemd/system/mstackd.service$')
for f in /usr/sbin/mstackd /usr/bin/mstackctl /usr/bin/mstack-echo /etc/mstack/mstackd.conf "$unit" \
	/usr/share/man/man8/mstackd.8.gz /usr/share/man/man8/mstackctl.8.gz /usr/share/man/man5/mstackd.conf.5.gz \
	/usr/lib/x86_64-linux-gnu/libmstack-client.so.1 /usr/include/mstack/mstack.h \
	/usr/lib/x86_64-linux-gnu/pkgconfig/libmstack-client.pc \
	/usr/bin/mstack-httpd /usr/share/man/man8/mstack-httpd.8.gz; do
	[ -e "$f" ] || fail "$f missing"
done
dpkg -L libmstack-client1 | grep -q '\.so$' && fail "the .so link belongs in libmstack-client-dev"
dpkg-query --control-show mstack conffiles | grep -qx /etc/mstack/mstackd.conf || fail "mstackd.conf not a conffile"
getent group mstack > /dev/null || fail "no mstack group"

# Installed, not enabled, not started.
[ "$(systemctl is-enabled mstackd.service 2> /dev/null)" = disabled ] || fail "mstackd.service enabled"
if [ -d /run/systemd/system ]; then
	systemctl is-active --quiet mstackd.service && fail "mstackd.service started"
fi
out=$(systemd-analyze verify "$unit" 2>&1)
[ -z "$out" ] || fail "systemd-analyze verify: $out"
out=$(/usr/sbin/mstackd -n -c /etc/mstack/mstackd.conf 2>&1)
[ "$out" = "configuration OK" ] || fail "mstackd -n: $out"

# The -dev package builds and runs a client (its .pc, not one under /usr/local).
cat > "$tmp/t.c" << 'C'
#include <errno.h>
#include <stdio.h>
#include <mstack/mstack.h>
int main(void) { return puts(ms_strerror(-EINVAL)) < 0; }
C
pc=$(PKG_CONFIG_LIBDIR=/usr/lib/x86_64-linux-gnu/pkgconfig pkg-config --cflags --libs libmstack-client) ||
	fail "pkg-config libmstack-client"
# shellcheck disable=SC2086 # pkg-config's words
cc -o "$tmp/t" "$tmp/t.c" $pc || fail "cc against libmstack-client-dev"
"$tmp/t" > /dev/null || fail "a program linked with libmstack-client does not run"

# Purge: every file goes, /etc/mstack too.
"${APT[@]}" purge "${PKGS[@]}" > "$tmp/apt.log" 2>&1 || { tail -20 "$tmp/apt.log"; fail "apt-get purge"; }
for p in "${PKGS[@]}"; do
	dpkg-query -W "$p" > /dev/null 2>&1 && fail "$p still known to dpkg after purge"
done
while read -r f; do
	[ -e "$f" ] && fail "$f left after purge"
done < "$tmp/paths"
[ -e /etc/mstack ] && fail "/etc/mstack left after purge"
echo "PASS: mstack packages install, check out, verify, build a client and purge cleanly"
