#!/usr/bin/env bash
# Tests the browser client: native unit tests of the core, then the wasm tests (tests/web*.rs) in
# headless Chrome and Firefox, on the debug build and on the release `tiny` build, then the type
# check of the TypeScript types (scripts/check-types.sh). Exits non-zero on any failure. Needs scripts/install-wasm-tools.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
export WASM_PACK_CACHE="${WASM_PACK_CACHE:-$ROOT/target/wasm-pack-cache}"
mkdir -p "$WASM_PACK_CACHE"
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT

echo "== usage-client: native unit tests"
cargo test --manifest-path "$ROOT/wasm-client/Cargo.toml" -p usage-client

# Twice: the debug build, and the release build with the `tiny` runtime that pages get (its
# allocator and panic handler; opt-level z as in the wasm-release profile, which wasm-pack test
# cannot select by name). About 2.5 min more on 2 cores, mostly its compile, shared by both browsers.
for build in debug tiny; do
  args=()
  if [ "$build" = tiny ]; then args=(--release --features tiny); fi
  for browser in chrome firefox; do
    echo "== usage-client: wasm tests ($build build) in headless $browser"
    start=$(date +%s)
    # wasm-pack test must run in the crate dir (it reads webdriver.json from there).
    if ! (cd "$ROOT/wasm-client" &&
      CARGO_PROFILE_RELEASE_OPT_LEVEL=z \
        wasm-pack test --mode no-install --headless "--$browser" "${args[@]}" --test web --test web_expiry --test web_automation) 2>&1 | tee "$LOG"; then
      echo "FAILED: wasm tests ($build build) in $browser" >&2
      exit 1
    fi
    # Belt and braces: a runner that dies without running the tests must not count as a pass.
    if ! grep -Eq "^test result: ok\. [1-9][0-9]* passed; 0 failed" "$LOG"; then
      echo "FAILED: no passing test summary from $browser ($build build)" >&2
      exit 1
    fi
    echo "== $browser ($build build): ok in $(($(date +%s) - start)) s"
  done
done
echo "== usage-client: TypeScript types"
bash "$ROOT/scripts/check-types.sh"
echo "== usage-client: all tests passed"
