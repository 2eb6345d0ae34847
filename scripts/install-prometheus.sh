#!/usr/bin/env bash
# Installs Debian's `prometheus` package when missing: /usr/bin/prometheus (started by the tests'
# support on loopback, scraping the real aggregator) and /usr/bin/promtool (make check-alerts).
# Installing starts no service here; the tests start their own.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  exit 0
fi
echo "install-prometheus: apt-get install prometheus"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
  --no-install-recommends prometheus
