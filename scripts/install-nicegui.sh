#!/usr/bin/env bash
# Installs NiceGUI (PyPI) into a venv under target/ for the end-to-end test of the integration
# guide's NiceGUI example (tests/nicegui/app.py, tests/tests/nicegui.rs). Skips it when present.
# About a minute the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/nicegui-venv"
VERSION=3.18.0
if "$VENV/bin/python" -c "import nicegui, sys; sys.exit(nicegui.__version__ != '$VERSION')" 2>/dev/null; then
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -q python3-venv
fi
echo "install-nicegui: nicegui $VERSION into target/nicegui-venv"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "nicegui==$VERSION"
