#!/usr/bin/env bash
# Checks the shipped Prometheus alert rules (docs/alerts/): `promtool check rules` for syntax and
# `promtool test rules` for their unit tests (ingest stopped, database down, 503s, rejects, rollup).
# Installs Debian's `prometheus` package (it brings promtool; no service is started) when missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v promtool >/dev/null 2>&1; then
  echo "check-alerts: apt-get install prometheus (for promtool)"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends prometheus
fi
cd "$ROOT/docs/alerts"
promtool check rules usage-aggregator.rules.yml
promtool test rules usage-aggregator.test.yml
