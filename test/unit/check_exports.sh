#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check_exports.sh - libmstack-client.so exports exactly the functions of its public headers, in MSTACK_1.x nodes.
# Use: check_exports.sh LIBRARY.so INCLUDE_DIR (the directory holding mstack/*.h)
set -eu
so=$1
inc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every function the public headers declare (a prototype starts at column 0; static inline ones are
# the ABI header's helpers, compiled into the application).
grep -ohE '^[a-z][^(]*\bms_[a-z0-9_]+\(' "$inc"/mstack/*.h | grep -v '^static' |
	grep -oE 'ms_[a-z0-9_]+\($' | tr -d '(' | sort -u >"$tmp/api"
[ -s "$tmp/api" ] || { echo "FAIL: no public functions found under $inc"; exit 1; }

# Every symbol the library defines in its dynamic symbol table, with its version.
nm -D --defined-only --with-symbol-versions "$so" | awk '$2 != "A" { print $3 }' | sort >"$tmp/dyn"
sed 's/@.*//' "$tmp/dyn" >"$tmp/exported"

rc=0
if ! diff -u "$tmp/api" "$tmp/exported" >"$tmp/diff"; then
	echo "FAIL: exported symbols (+) differ from the public headers' functions (-):"
	cat "$tmp/diff"
	rc=1
fi
if grep -vE '@@MSTACK_1\.[0-9]+$' "$tmp/dyn" >"$tmp/unversioned"; then
	echo "FAIL: exported without a version node MSTACK_1.x:"
	cat "$tmp/unversioned"
	rc=1
fi
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "libmstack-client.so.1" ]; then
	echo "FAIL: SONAME is '$soname', not libmstack-client.so.1"
	rc=1
fi
[ $rc -eq 0 ] && echo "ok: $(wc -l <"$tmp/api") public functions exported in MSTACK_1.x nodes, SONAME $soname"
exit $rc
