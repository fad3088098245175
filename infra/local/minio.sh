#!/usr/bin/env bash
# MinIO for local runs and the integration tests (*.int.test.ts), without Docker.
#
#   infra/local/minio.sh install            build the pinned MinIO from the Go module proxy (once;
#                                           cached in .cache/bin, later calls return at once)
#   infra/local/minio.sh start              start a fresh server; prints KEY=VALUE lines (endpoint,
#                                           generated keys, bucket, STRATA_MINIO_DIR) on stdout
#   infra/local/minio.sh health [DIR]       exit 0 when the server of DIR answers its health check
#   infra/local/minio.sh env [DIR]          print the KEY=VALUE lines of a running server again
#   infra/local/minio.sh stop [DIR]         stop the server of DIR and delete its data
#
# DIR is the STRATA_MINIO_DIR printed by start (default: $STRATA_MINIO_DIR). Every start is its own
# server: a free loopback port, a new temporary data folder, new random credentials (never
# minioadmin) and a static KMS key so SSE-S3 works. Concurrent starts are safe: the build runs once
# under a lock, and a port lost to a racing process is retried with another. With
# STRATA_MINIO_OWNER_PID set, a watchdog stops the server when that process exits (a test worker
# that crashed never leaves a server behind).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MINIO_MODULE="github.com/minio/minio"
# Newest version the module proxy serves (a pseudo-version: MinIO tags its releases
# RELEASE.<date>, which Go does not accept as versions).
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
BIN_DIR="${STRATA_CACHE_DIR:-$ROOT/.cache}/bin"
BIN="$BIN_DIR/minio"
STAMP="$BIN_DIR/minio.version"
REGION="us-east-1"

log() { echo "minio.sh: $*" >&2; }

ensure_go() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
  fi
  command -v go >/dev/null 2>&1 || { log "go is not installed; it is needed once to build MinIO"; exit 1; }
}

cmd_install() {
  mkdir -p "$BIN_DIR"
  # Several test files may install at once: one builds, the others wait and find the binary.
  exec 8>"$BIN_DIR/.minio-install.lock"
  flock 8
  if [[ -x "$BIN" && -f "$STAMP" && "$(cat "$STAMP")" == "$MINIO_VERSION" ]]; then
    exec 8>&- # the server started next must not inherit (and hold) the lock
    return 0
  fi
  ensure_go
  log "building $MINIO_MODULE@$MINIO_VERSION (first time only; several minutes on 2 cores)"
  local started=$SECONDS staging
  staging="$(mktemp -d "$BIN_DIR/.build.XXXXXX")"
  GOFLAGS=-mod=mod GOBIN="$staging" CGO_ENABLED=0 go install "$MINIO_MODULE@$MINIO_VERSION" >&2
  mv "$staging/minio" "$BIN"
  rmdir "$staging"
  echo "$MINIO_VERSION" >"$STAMP"
  log "built in $((SECONDS - started)) s: $BIN"
  exec 8>&-
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

instance_dir() {
  local dir="${1:-${STRATA_MINIO_DIR:-}}"
  [[ -n "$dir" && -f "$dir/env" ]] || { log "no running instance at '${dir}' (pass the STRATA_MINIO_DIR printed by start)"; exit 2; }
  echo "$dir"
}

healthy() { curl -fsS -o /dev/null --max-time 2 "$1/minio/health/ready" 2>/dev/null; }

cmd_start() {
  cmd_install
  local dir access secret bucket endpoint pid port attempt
  dir="$(mktemp -d "${TMPDIR:-/tmp}/strata-minio.XXXXXX")"
  access="strata-$(random_hex 8)"
  secret="$(random_hex 24)"
  bucket="strata-test-$(random_hex 4)"
  mkdir -p "$dir/data"
  # A static KMS key lets MinIO honour SSE-S3 (AES256); STRATA_MINIO_KMS=off starts a server
  # without one, as many MinIO deployments are, which refuses SSE requests.
  local kms=()
  if [[ "${STRATA_MINIO_KMS:-on}" != "off" ]]; then
    kms=("MINIO_KMS_SECRET_KEY=strata-local:$(head -c 32 /dev/urandom | base64)")
  fi
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    endpoint="http://127.0.0.1:$port"
    env "${kms[@]}" MINIO_ROOT_USER="$access" MINIO_ROOT_PASSWORD="$secret" \
      MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=1 \
      setsid "$BIN" server --quiet --address "127.0.0.1:$port" "$dir/data" \
      >"$dir/log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/pid"
    local waited=0
    while ((waited < 300)); do
      if healthy "$endpoint"; then break 2; fi
      if ! kill -0 "$pid" 2>/dev/null; then break; fi # lost the port to another process: try another
      sleep 0.1
      waited=$((waited + 1))
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    log "attempt $attempt on port $port failed: $(tail -n 3 "$dir/log" | tr '\n' ' ')"
    if ((attempt == 5)); then rm -rf "$dir"; exit 1; fi
  done
  # "Ready" can still answer 503 for a moment while the server initialises: retry, and never leave
  # a server behind if the bucket cannot be made.
  local made=""
  for _ in $(seq 1 50); do
    if curl -fsS -X PUT --max-time 10 --aws-sigv4 "aws:amz:$REGION:s3" --user "$access:$secret" \
      "$endpoint/$bucket" >/dev/null 2>&1; then
      made=1
      break
    fi
    sleep 0.2
  done
  if [[ -z "$made" ]]; then
    log "could not create bucket $bucket on $endpoint"
    stop_server "$pid" "$dir"
    rm -rf "$dir"
    exit 1
  fi
  cat >"$dir/env" <<EOF
STRATA_S3_ENDPOINT=$endpoint
STRATA_S3_REGION=$REGION
STRATA_S3_ACCESS_KEY_ID=$access
STRATA_S3_SECRET_ACCESS_KEY=$secret
STRATA_S3_BUCKET=$bucket
STRATA_MINIO_DIR=$dir
STRATA_MINIO_PID=$pid
EOF
  chmod 600 "$dir/env"
  if [[ -n "${STRATA_MINIO_OWNER_PID:-}" ]]; then
    local owner="$STRATA_MINIO_OWNER_PID"
    (
      while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
      stop_server "$pid" "$dir"
      rm -rf "$dir"
    ) >/dev/null 2>&1 </dev/null &
    disown
  fi
  cat "$dir/env"
}

cmd_health() {
  local dir endpoint
  dir="$(instance_dir "${1:-}")"
  endpoint="$(grep '^STRATA_S3_ENDPOINT=' "$dir/env" | cut -d= -f2-)"
  healthy "$endpoint"
}

cmd_env() {
  cat "$(instance_dir "${1:-}")/env"
}

# Kills the server only while PID is still our MinIO on DIR (a PID can be reused once it exited).
stop_server() {
  local pid="$1" dir="$2"
  ours() { tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/data"; }
  ours || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  if ours; then kill -9 "$pid" 2>/dev/null || true; fi
}

cmd_stop() {
  local dir
  dir="$(instance_dir "${1:-}")"
  stop_server "$(cat "$dir/pid")" "$dir"
  rm -rf "$dir"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
health) cmd_health "${2:-}" ;;
env) cmd_env "${2:-}" ;;
stop) cmd_stop "${2:-}" ;;
*)
  echo "usage: $0 install|start|health [DIR]|env [DIR]|stop [DIR]" >&2
  exit 64
  ;;
esac
