#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# check_spdx.sh - every source file of the tree names its license (SPDX), as LICENSE says.
set -euo pipefail
cd "$(dirname "$0")/../.."
missing=$(git ls-files -- '*.c' '*.h' '*.sh' '*.py' 'CMakeLists.txt' '*/CMakeLists.txt' 2>/dev/null |
	while read -r f; do head -3 "$f" | grep -q "SPDX-License-Identifier: BSD-2-Clause" || echo "$f"; done)
if [ -n "$missing" ]; then
	echo "no SPDX-License-Identifier line in:"; echo "$missing"
	exit 1
fi
echo "every source file has its SPDX line"
