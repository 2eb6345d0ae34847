#!/usr/bin/env bash
# Installs schemathesis (PyPI) into a venv under tools/ for the test that runs it against the real
# aggregator and its OpenAPI description (aggregator/tests/api/openapi.rs). Skips it when the
# pinned version is there. About a minute the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/tools/schemathesis-venv"
VERSION=4.32.5
if "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "version $VERSION\$"; then
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -q python3-venv
fi
echo "install-schemathesis: schemathesis $VERSION into tools/schemathesis-venv"
mkdir -p "$ROOT/tools"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "schemathesis==$VERSION"
