#!/usr/bin/env bash
# Creates (once) the Python venv with PySpark that `npm run bench reference` uses to run the Silver
# rules the way the reference stack did (Spark 3.5, local mode). Kept apart from .cache/venv (the
# delta-rs tests' venv) because PySpark is a ~300 MB download only the benchmark needs.
# Idempotent: a stamp file records the pinned requirements; a matching stamp means nothing to do.
# PySpark 3.5 is the reference stack's Spark line and runs on the machine's Java 17 (Spark ≥ 3.3
# adds the --add-opens flags Java 17 needs by itself).
# Usage: infra/local/pyspark-venv.sh  → prints the venv's python path on stdout (progress on stderr).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${STRATA_PYSPARK_VENV:-$ROOT/.cache/venv-spark}"
REQUIREMENTS="pyspark==3.5.9"
STAMP="$VENV/.strata-requirements"
LOCK="$ROOT/.cache/venv-spark.lock"

mkdir -p "$ROOT/.cache"
# A benchmark and a developer may call this at once: serialise on a lock so pip runs once.
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$REQUIREMENTS" ]]; then
  echo "$VENV/bin/python"
  exit 0
fi

if ! command -v java >/dev/null 2>&1; then
  echo "pyspark-venv: java not found; PySpark needs a JDK 17 (Debian: apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi

PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
echo "pyspark-venv: installing $REQUIREMENTS into $VENV (one-time download of ~300 MB)" >&2
"$PYTHON" -m venv "$VENV" >&2
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet $REQUIREMENTS >&2
# Smoke check before stamping, so a broken install is retried next time instead of trusted.
"$VENV/bin/python" -c "import pyspark" >&2
echo "$REQUIREMENTS" >"$STAMP"
echo "$VENV/bin/python"
