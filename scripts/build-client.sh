#!/usr/bin/env bash
# Builds the release browser client into target/usage-client/ (the aggregator serves it at /usage/):
#   usage.js            one-tag loader (hand-written, wasm-client/js/usage.js) with the glue
#                       bundled in, minified: with the wasm, all a page downloads
#   usage_client.js     wasm-bindgen glue (ES module exporting init + UsageTracker) with the crate's
#                       JS snippets bundled in, minified: for bundlers (npm package)
#   usage_client.d.ts   TypeScript types
#   usage_client_bg.wasm, package.json
#   *.br, *.gz          brotli and gzip of usage.js, the wasm and usage_client.js (served by
#                       Accept-Encoding)
# Needs the tools of scripts/install-wasm-tools.sh. USAGE_CLIENT_OUT overrides the output dir.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${USAGE_CLIENT_OUT:-$ROOT/target/usage-client}"
WASM_OPT="$ROOT/tools/node_modules/.bin/wasm-opt"
ESBUILD="$ROOT/tools/node_modules/.bin/esbuild"
export PATH="$ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# wasm-pack needs an existing cache dir; --mode no-install keeps it from downloading anything.
export WASM_PACK_CACHE="${WASM_PACK_CACHE:-$ROOT/target/wasm-pack-cache}"
mkdir -p "$WASM_PACK_CACHE"

if ! "$WASM_OPT" --version 2>/dev/null | grep -q 'version 132'; then
  echo "build-client: binaryen 132 missing in tools/; run scripts/install-wasm-tools.sh" >&2
  exit 1
fi
if ! "$ESBUILD" --version 2>/dev/null | grep -qx '0.25.12'; then
  echo "build-client: esbuild 0.25.12 missing in tools/; run scripts/install-wasm-tools.sh" >&2
  exit 1
fi

# Build next to the final dir and swap at the end, so a running server never serves half a build.
STAGE="$OUT.staging"
rm -rf "$STAGE"
mkdir -p "$(dirname "$OUT")"
# js-sys (under web-sys) links a waker vtable whose functions carry panic locations, i.e. the
# absolute path of the crate under CARGO_HOME: remapped, so the build is the same on every machine
# (scripts/check-prebuilt-client.sh compares it byte for byte).
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo"
wasm-pack --quiet build "$ROOT/wasm-client" --target web --mode no-install \
  --profile wasm-release --out-dir "$STAGE" --out-name usage_client --no-pack \
  -- --features tiny

# The wasm-pack profile has wasm-opt off (it would pick whatever wasm-opt is on PATH, and Debian's
# breaks the module); run binaryen 132 explicitly. Feature flags match what rustc emits for
# wasm32-unknown-unknown. The memory is the module's own (not imported), so it starts zeroed and
# nothing else writes below its data: --zero-filled-memory and --low-memory-unused hold. The
# target_features section only matters to linkers, and wasm-bindgen has run already. Ordering the
# functions by (Rust) name, before the names are stripped, puts related code side by side, which
# gzip compresses better (~90 B).
"$WASM_OPT" -Oz --converge --reorder-functions-by-name \
  --strip-debug --strip-producers --strip-target-features \
  --zero-filled-memory --low-memory-unused \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$STAGE/usage_client_bg.wasm" -o "$STAGE/usage_client_bg.wasm.opt"
mv "$STAGE/usage_client_bg.wasm.opt" "$STAGE/usage_client_bg.wasm"

# One- or two-letter names for what the wasm imports from and exports to its glue, in the wasm,
# the glue and the .d.ts files at once: wasm-bindgen's names carry 16-digit hashes that do not
# compress (~1.9 KB less with brotli; the script says why binaryen cannot do it).
node "$ROOT/scripts/shorten-wasm-names.cjs" "$STAGE" usage_client >/dev/null

# Minify the JS. usage.js, what a page loads, gets the glue and the crate's JS snippets
# (snippets/*/...js) bundled in: one request instead of a chain of three, and esbuild drops the
# glue's exports the loader does not use. usage_client.js, the glue for bundlers (npm package),
# gets the snippets bundled in, so the directory holds exactly the files listed above.
# --pure:console.warn drops the glue's warnings (deprecated init arguments, a server sending the
# wasm without its MIME type: the glue then falls back silently), ~110 B: the tracker is silent
# unless `debug` is on, and its debug output (and the loader's) uses console.log.
cp "$ROOT/wasm-client/js/usage.js" "$STAGE/usage.src.js"
for entry in usage.src.js:usage.js usage_client.js:usage_client.min.js; do
  "$ESBUILD" "$STAGE/${entry%%:*}" --bundle --format=esm --minify --pure:console.warn --log-level=warning \
    --log-override:duplicate-object-key=silent --outfile="$STAGE/${entry##*:}"
done
mv "$STAGE/usage_client.min.js" "$STAGE/usage_client.js"
rm -rf "$STAGE/snippets" "$STAGE/usage.src.js"
cp "$ROOT/wasm-client/js/usage.d.ts" "$STAGE/"
cp "$ROOT/wasm-client/js/package.json" "$STAGE/package.json"
rm -f "$STAGE/.gitignore"

# Precompress what a page and a bundler download, for the aggregator to serve by Accept-Encoding
# (aggregator/src/http/client_files.rs): brotli at its best quality, and gzip -9 for the rest.
# Node's zlib, since npm (and so node) is here already; its output depends only on the input.
node -e '
const fs = require("fs"), zlib = require("zlib");
const Q = zlib.constants.BROTLI_PARAM_QUALITY, HINT = zlib.constants.BROTLI_PARAM_SIZE_HINT;
for (const f of process.argv.slice(1)) {
  const b = fs.readFileSync(f);
  fs.writeFileSync(f + ".br", zlib.brotliCompressSync(b, { params: { [Q]: 11, [HINT]: b.length } }));
  fs.writeFileSync(f + ".gz", zlib.gzipSync(b, { level: 9 }));
}' "$STAGE/usage.js" "$STAGE/usage_client_bg.wasm" "$STAGE/usage_client.js"

rm -rf "$OUT"
mv "$STAGE" "$OUT"
echo "build-client: wrote $OUT"
ls -l "$OUT"
