#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check_exports.sh - a shared library exports exactly the functions of its public headers, in its version nodes.
# Use: check_exports.sh LIBRARY.so NODE_PREFIX SONAME HEADER...
#   e.g. libmstack-client.so MSTACK_1 libmstack-client.so.1 include/mstack/mstack.h include/mstack/ms_proto.h ...
#   (every symbol must sit in a node NODE_PREFIX.minor: MSTACK_1.0, MSTACK_1.1, ...)
set -eu
so=$1
node=$2
want_soname=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every function the headers declare (a prototype starts at column 0; static inline ones are
# the ABI header's helpers, compiled into the application).
grep -ohE '^[a-z][^(]*\bms_[a-z0-9_]+\(' "$@" | grep -v '^static' |
	grep -oE 'ms_[a-z0-9_]+\($' | tr -d '(' | sort -u >"$tmp/api"
[ -s "$tmp/api" ] || { echo "FAIL: no public functions found in $*"; exit 1; }

# Every symbol the library defines in its dynamic symbol table, with its version.
nm -D --defined-only --with-symbol-versions "$so" | awk '$2 != "A" { print $3 }' | sort >"$tmp/dyn"
sed 's/@.*//' "$tmp/dyn" >"$tmp/exported"

rc=0
if ! diff -u "$tmp/api" "$tmp/exported" >"$tmp/diff"; then
	echo "FAIL: exported symbols (+) differ from the public headers' functions (-):"
	cat "$tmp/diff"
	rc=1
fi
if grep -vE "@@$node\.[0-9]+\$" "$tmp/dyn" >"$tmp/unversioned"; then
	echo "FAIL: exported without a version node $node.x:"
	cat "$tmp/unversioned"
	rc=1
fi
soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "$want_soname" ]; then
	echo "FAIL: SONAME is '$soname', not $want_soname"
	rc=1
fi
[ $rc -eq 0 ] && echo "ok: $(wc -l <"$tmp/api") public functions exported in $node.x nodes, SONAME $soname"
exit $rc
