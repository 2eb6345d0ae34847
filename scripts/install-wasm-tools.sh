#!/usr/bin/env bash
# Installs what building and testing the browser client needs, skipping anything already present
# (safe to run repeatedly; needs only crates.io, npm and apt, never other downloads):
#   rustup target wasm32-unknown-unknown
#   wasm-bindgen-cli at exactly the wasm-bindgen version of Cargo.lock
#   wasm-pack 0.15.1, geckodriver 0.37.1
#   apt: chromium chromium-driver firefox-esr (only if missing)
#   binaryen 132 (wasm-opt) from npm into ./tools/ (Debian's binaryen breaks the module)
#   esbuild 0.25.12 from npm into ./tools/ (minifies the JS of the release client)
#   typescript 5.9.3 from npm into ./tools/ (tsc --strict on the client's types, check-types.sh)
#   axe-core 4.11.0 from npm into ./tools/ (accessibility checks of the dashboard, tests/src/axe.rs)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
say() { echo "install-wasm-tools: $*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The CLI must match the wasm-bindgen crate exactly, or the generated glue does not fit the wasm.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock" 2>/dev/null || true)"
if [ -z "$WB_VERSION" ]; then
  WB_VERSION="$(sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' "$ROOT/wasm-client/Cargo.toml")"
fi
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VERSION"; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  # No --locked: its lockfile wants a crate version the registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

if ! wasm-pack --version 2>/dev/null | grep -qx "wasm-pack 0.15.1"; then
  say "installing wasm-pack 0.15.1"
  cargo install wasm-pack --version 0.15.1 --locked --force
fi

# Read the version first: `geckodriver --version | head -n1` can kill geckodriver with SIGPIPE,
# which pipefail reports as a failure (and a needless 5-minute reinstall).
gecko="$(geckodriver --version 2>/dev/null || true)"
if [[ "$gecko" != "geckodriver 0.37.1"* ]]; then
  say "installing geckodriver 0.37.1"
  cargo install geckodriver --version 0.37.1 --locked --force
fi

missing=()
for pkg in chromium chromium-driver firefox-esr; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! "$ROOT/tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version 132"; then
  say "installing binaryen 132 into tools/"
  mkdir -p "$ROOT/tools"
  npm install --prefix "$ROOT/tools" --no-audit --no-fund --loglevel=error binaryen@132
fi

if ! "$ROOT/tools/node_modules/.bin/esbuild" --version 2>/dev/null | grep -qx "0.25.12"; then
  say "installing esbuild 0.25.12 into tools/"
  mkdir -p "$ROOT/tools"
  npm install --prefix "$ROOT/tools" --no-audit --no-fund --loglevel=error esbuild@0.25.12
fi

if ! "$ROOT/tools/node_modules/.bin/tsc" --version 2>/dev/null | grep -qx "Version 5.9.3"; then
  say "installing typescript 5.9.3 into tools/"
  mkdir -p "$ROOT/tools"
  npm install --prefix "$ROOT/tools" --no-audit --no-fund --loglevel=error typescript@5.9.3
fi

if ! grep -qs '"version": "4.11.0"' "$ROOT/tools/node_modules/axe-core/package.json"; then
  say "installing axe-core 4.11.0 into tools/"
  mkdir -p "$ROOT/tools"
  npm install --prefix "$ROOT/tools" --no-audit --no-fund --loglevel=error axe-core@4.11.0
fi

gecko="$(geckodriver --version 2>/dev/null || true)"
say "ready: $(wasm-bindgen --version), $(wasm-pack --version), ${gecko%%$'\n'*}," \
  "$("$ROOT/tools/node_modules/.bin/wasm-opt" --version), esbuild $("$ROOT/tools/node_modules/.bin/esbuild" --version)"
