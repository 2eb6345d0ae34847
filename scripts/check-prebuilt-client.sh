#!/usr/bin/env bash
# Fails when the checked-in client (wasm-client/dist/, what `make run` serves so that it needs no
# wasm tools) is not exactly what its source builds today: it rebuilds wasm-client/ from source
# with scripts/build-client.sh into target/prebuilt-check/ and compares the two directories byte
# for byte. `make test` (and so CI) runs it.
#
# The build is reproducible only with the same tools: wasm-bindgen, binaryen and esbuild are pinned
# by install-wasm-tools.sh, but rustc is the machine's one toolchain. `make client-update` records
# the rustc it used in wasm-client/dist.rustc; a different rustc here is reported as such, since
# comparing bytes across compilers would only say "differs" without saying why.
#
# `--update` rebuilds wasm-client/dist/ and wasm-client/dist.rustc instead (`make client-update`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREBUILT="$ROOT/wasm-client/dist"
RUSTC_FILE="$ROOT/wasm-client/dist.rustc"
FRESH="$ROOT/target/prebuilt-check"
export PATH="$HOME/.cargo/bin:$PATH"
say() { echo "check-prebuilt-client: $*"; }

rustc_now="$(rustc -V)"

if [ "${1:-}" = "--update" ]; then
  USAGE_CLIENT_OUT="$PREBUILT" bash "$ROOT/scripts/build-client.sh" >/dev/null
  echo "$rustc_now" >"$RUSTC_FILE"
  say "rebuilt wasm-client/dist/ with $rustc_now; commit wasm-client/dist/ and wasm-client/dist.rustc"
  exit 0
fi

if [ ! -d "$PREBUILT" ] || [ ! -f "$RUSTC_FILE" ]; then
  say "FAILED: wasm-client/dist/ or wasm-client/dist.rustc is missing; run 'make client-update'" >&2
  exit 1
fi
rustc_then="$(cat "$RUSTC_FILE")"
if [ "$rustc_then" != "$rustc_now" ]; then
  say "FAILED: wasm-client/dist/ was built with '$rustc_then' but this machine has '$rustc_now'," >&2
  say "so a rebuild cannot be compared byte for byte. Run 'make client-update' and commit" >&2
  say "wasm-client/dist/ and wasm-client/dist.rustc." >&2
  exit 1
fi

USAGE_CLIENT_OUT="$FRESH" bash "$ROOT/scripts/build-client.sh" >/dev/null

# Builds from /work/main and from a clone elsewhere with another CARGO_HOME were identical without
# any --remap-path-prefix (the tiny panic handler keeps panic locations out). Should a change bring
# an absolute path into the build, say so: the bytes would then differ from one checkout to another.
for leak in "$ROOT" "${CARGO_HOME:-$HOME/.cargo}"; do
  if grep -rqF -- "$leak" "$FRESH"; then
    say "FAILED: the build contains the absolute path $leak, so it differs per checkout;" >&2
    say "build with RUSTFLAGS=--remap-path-prefix=... (scripts/build-client.sh) or drop what embeds it" >&2
    exit 1
  fi
done

# diff -r also reports a file present on one side only.
if ! diff -r -q "$PREBUILT" "$FRESH" >&2; then
  echo >&2
  (cd "$PREBUILT" && sha256sum -- * | sed 's/^/  checked in: /') >&2
  (cd "$FRESH" && sha256sum -- * | sed 's/^/  from source: /') >&2
  say "FAILED: wasm-client/dist/ (checked in, served by 'make run') differs from a fresh build of" >&2
  say "wasm-client/ (in target/prebuilt-check/). Run 'make client-update' and commit wasm-client/dist/." >&2
  exit 1
fi
say "ok: wasm-client/dist/ matches a fresh build of wasm-client/ ($rustc_now)"
