#!/usr/bin/env bash
# Builds the release client (scripts/build-client.sh) and prints the raw, gzip and brotli size of what
# a page with the one tag downloads: the usage.js loader (the build bundles the JS glue and the
# crate's JS snippets into it), the wasm, and any JS snippet files a build left beside them. The
# glue for bundlers, usage_client.js, is listed below the total: a page with the tag never loads it.
# `--no-build` measures the existing target/usage-client/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${USAGE_CLIENT_OUT:-$ROOT/target/usage-client}"
if [ "${1:-}" != "--no-build" ]; then
  "$ROOT/scripts/build-client.sh" >/dev/null
fi

# The build writes each file's .gz (gzip -9) and .br (brotli 11) beside it; the aggregator serves
# those by Accept-Encoding, so a browser downloads the .br (every current one accepts br).
total_raw=0
total_gz=0
total_br=0
printf '%-40s %9s %9s %9s\n' file raw gzip-9 brotli
files=(usage_client_bg.wasm usage.js)
if [ -d "$OUT/snippets" ]; then
  while IFS= read -r f; do files+=("${f#"$OUT/"}"); done < <(find "$OUT/snippets" -name '*.js' | sort)
fi
size_of() { if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi; }
for f in "${files[@]}"; do
  raw=$(wc -c <"$OUT/$f")
  gz=$(size_of "$OUT/$f.gz")
  br=$(size_of "$OUT/$f.br")
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  total_br=$((total_br + br))
  printf '%-40s %9d %9d %9d\n' "$f" "$raw" "$gz" "$br"
done
printf '%-40s %9d %9d %9d\n' total "$total_raw" "$total_gz" "$total_br"
f=usage_client.js
printf '%-40s %9d %9d %9d  (bundlers only, not in the total)\n' "$f" "$(wc -c <"$OUT/$f")" \
  "$(size_of "$OUT/$f.gz")" "$(size_of "$OUT/$f.br")"
