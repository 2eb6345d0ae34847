#!/usr/bin/env bash
# Type-checks the client's TypeScript types with `tsc --strict` (npm typescript in tools/, from
# scripts/install-wasm-tools.sh): a small consumer (wasm-client/tests/types/consumer.ts) of the
# package's usage_client.d.ts and of usage.d.ts (window.usage), as checked in at wasm-client/dist/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TSC="$ROOT/tools/node_modules/.bin/tsc"
if ! "$TSC" --version 2>/dev/null | grep -qx 'Version 5.9.3'; then
  echo "check-types: typescript 5.9.3 missing in tools/; run scripts/install-wasm-tools.sh" >&2
  exit 1
fi
"$TSC" -p "$ROOT/wasm-client/tests/types/tsconfig.json"
echo "check-types: ok (tsc --strict on wasm-client/tests/types/consumer.ts)"
