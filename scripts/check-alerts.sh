#!/usr/bin/env bash
# Checks the shipped Prometheus alert rules (docs/alerts/): `promtool check rules` for syntax and
# `promtool test rules` for their unit tests (ingest stopped, database down, 503s, rejects, rollup).
# Installs Debian's `prometheus` package (it brings promtool; no service is started) when missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/install-prometheus.sh"
cd "$ROOT/docs/alerts"
promtool check rules usage-aggregator.rules.yml
promtool test rules usage-aggregator.test.yml
