#!/usr/bin/env bash
# Creates (once) the Python venv the Delta interop tests use to read and write tables with delta-rs.
# Idempotent: a stamp file records the pinned requirements; a matching stamp means nothing to do.
# Usage: infra/local/python-venv.sh  → prints the venv's python path on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${STRATA_PY_VENV:-$ROOT/.cache/venv}"
REQUIREMENTS="deltalake==1.6.6 pyarrow==26.0.1"
STAMP="$VENV/.strata-requirements"
LOCK="$ROOT/.cache/venv.lock"

mkdir -p "$ROOT/.cache"
# Several test files may call this at once: serialise on a lock so pip runs once.
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$REQUIREMENTS" ]]; then
  echo "$VENV/bin/python"
  exit 0
fi

PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet $REQUIREMENTS >&2
echo "$REQUIREMENTS" >"$STAMP"
echo "$VENV/bin/python"
