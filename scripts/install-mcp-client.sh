#!/usr/bin/env bash
# Installs the Model Context Protocol's Python SDK (`mcp`, PyPI) into a venv under tools/ for the
# test that drives `usage-aggregator mcp` with a real MCP client (aggregator/tests/api/mcp.rs runs
# tests/mcp/call_tools.py). Skips it when the pinned version is there. Under a minute the first time.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/tools/mcp-venv"
VERSION=2.3.0
if [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get -o DPkg::Lock::Timeout=900 install -y -q python3-venv
fi
echo "install-mcp-client: mcp $VERSION into tools/mcp-venv"
mkdir -p "$ROOT/tools"
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "mcp==$VERSION"
