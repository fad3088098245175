#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (*.e2e.test.ts), once: playwright's own browser
# download cannot work here, so playwright-core drives the distribution package at /usr/bin/chromium.
# Idempotent and safe to call from several test files at once (serialised on a lock).
# Usage: infra/local/chromium.sh  → prints the browser path on stdout.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BROWSER=/usr/bin/chromium
LOCK="$ROOT/.cache/chromium.lock"

mkdir -p "$ROOT/.cache"
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if [[ ! -x "$BROWSER" ]]; then
  SUDO=""
  if [[ "$(id -u)" != "0" ]]; then SUDO="sudo"; fi
  # apt's output goes to stderr so stdout stays the one line callers read.
  # Wait for another apt/dpkg run (e.g. a concurrent install) instead of failing on its lock.
  APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  $SUDO "${APT[@]}" update >&2
  $SUDO "${APT[@]}" install -y --no-install-recommends chromium >&2
fi
echo "$BROWSER"
