#!/usr/bin/env bash
# Tests the browser client: native unit tests of the core, then the wasm tests (tests/web.rs) in
# headless Chrome and Firefox. Exits non-zero on any failure. Needs scripts/install-wasm-tools.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_PACK_CACHE="${WASM_PACK_CACHE:-$ROOT/target/wasm-pack-cache}"
mkdir -p "$WASM_PACK_CACHE"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== usage-client: native unit tests"
cargo test --manifest-path "$ROOT/wasm-client/Cargo.toml" -p usage-client

for browser in chrome firefox; do
  echo "== usage-client: wasm tests in headless $browser"
  start=$(date +%s)
  # wasm-pack test must run in the crate dir (it reads webdriver.json from there).
  if ! (cd "$ROOT/wasm-client" &&
    wasm-pack test --mode no-install --headless "--$browser" --test web) 2>&1 | tee "$LOG"; then
    echo "FAILED: wasm tests in $browser" >&2
    exit 1
  fi
  # Belt and braces: a runner that dies without running the tests must not count as a pass.
  if ! grep -Eq "^test result: ok\. [1-9][0-9]* passed; 0 failed" "$LOG"; then
    echo "FAILED: no passing test summary from $browser" >&2
    exit 1
  fi
  echo "== $browser: ok in $(($(date +%s) - start)) s"
done
echo "== usage-client: all tests passed"
