#!/usr/bin/env bash
# Tests the Python package (clients/python): installs it with its test extra into a venv under
# target/ (pip from PyPI the first time), runs its pytest unit tests and mypy --strict, then builds its wheel and
# sdist into target/python-dist/ with `python -m build`. Exits non-zero on any failure. The
# end-to-end test of its NiceGUI helper is tests/tests/nicegui.rs (cargo test).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/target/python-client-venv"
PKG="$ROOT/clients/python"
if ! "$VENV/bin/python" -c "import pytest, build, mypy, setuptools, sys; sys.exit(int(setuptools.__version__.split(".")[0]) < 77)" 2>/dev/null; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=900 install -y -q python3-venv
  fi
  echo "test-python-client: pytest, mypy and build into target/python-client-venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "pytest>=8" "build>=1" "mypy>=1.10" "setuptools>=77" wheel
fi
# Installed afresh each run (not editable): the tests import what `pip install` really installs.
# Installed and built from a copy: setuptools leaves build/ and *.egg-info/ where it builds.
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -r "$PKG/pyproject.toml" "$PKG/README.md" "$PKG/src" "$STAGE/"
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$STAGE"
echo "== usage-client (Python): unit tests"
(cd "$PKG" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests)
echo "== usage-client (Python): types (mypy --strict; NiceGUI itself is not installed here)"
(cd "$PKG" && "$VENV/bin/mypy" --strict --ignore-missing-imports --cache-dir "$ROOT/target/mypy-cache" src tests)
echo "== usage-client (Python): wheel"
rm -rf "$ROOT/target/python-dist"
# Without isolation: the build backend is the venv's setuptools, so no download per build.
"$VENV/bin/python" -m build -q --no-isolation --outdir "$ROOT/target/python-dist" "$STAGE"
ls "$ROOT/target/python-dist"/usage_client-*.whl
echo "== usage-client (Python): all tests passed"
