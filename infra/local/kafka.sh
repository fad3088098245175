#!/usr/bin/env bash
# A local Apache Kafka broker in KRaft mode (one process: broker + controller), for the Kafka
# integration tests, the benchmark and local use. No Docker, no download besides Maven Central:
#   install  resolve the pinned broker jars (infra/local/kafka/pom.xml) into .cache/kafka/libs (once)
#   start    format a fresh log dir in a temp folder, start on free 127.0.0.1 ports, wait until healthy
#   stop     kill the broker and delete its data          kill  kill it but keep the data (outage tests)
#   resume   restart a killed broker on the same ports and data
#   health   exit 0 when the broker answers a metadata request
#   env      print STRATA_KAFKA_BROKERS=127.0.0.1:<port>
# State (ports, pid, data dir) lives in $STRATA_KAFKA_STATE (default .cache/kafka/run), so several
# checkouts or CI jobs can run side by side with their own state folder.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LIBS="$ROOT/.cache/kafka/libs"
POM="$ROOT/infra/local/kafka/pom.xml"
STATE="${STRATA_KAFKA_STATE:-$ROOT/.cache/kafka/run}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
STAMP="$LIBS/.pom-sha256"

log() { echo "kafka.sh: $*" >&2; }

install() {
  mkdir -p "$ROOT/.cache/kafka"
  # The lock lives on fd 8 of a subshell only: a broker started later must not inherit (and hold) it.
  (
    if command -v flock >/dev/null 2>&1; then flock 8; fi
    want="$(sha256sum "$POM" | cut -d' ' -f1)"
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then exit 0; fi
    command -v mvn >/dev/null || { log "Maven (mvn) is needed to fetch the broker jars"; exit 1; }
    rm -rf "$LIBS"
    log "resolving Kafka broker jars from Maven Central into $LIBS"
    mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS" >&2
    echo "$want" >"$STAMP"
  ) 8>"$ROOT/.cache/kafka/install.lock"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

running() { [[ -f "$STATE/pid" ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }

launch() {
  # Small heap: the tests and the benchmark move a few MB; two shared cores.
  KAFKA_HEAP="${STRATA_KAFKA_HEAP:--Xmx512m -Xms128m}"
  # shellcheck disable=SC2086
  nohup "$JAVA" $KAFKA_HEAP -XX:+UseSerialGC -Djava.awt.headless=true -cp "$LIBS/*" kafka.Kafka \
    "$STATE/server.properties" >>"$STATE/broker.log" 2>&1 &
  echo $! >"$STATE/pid"
  wait_healthy
}

wait_healthy() {
  for _ in $(seq 1 120); do
    if health 2>/dev/null; then return 0; fi
    if ! running; then log "broker exited; see $STATE/broker.log"; tail -20 "$STATE/broker.log" >&2; exit 1; fi
    sleep 0.5
  done
  log "broker did not become healthy in 60 s; see $STATE/broker.log"
  exit 1
}

start() {
  install
  if running && health; then return 0; fi
  stop_quietly
  mkdir -p "$STATE"
  local data port cport
  data="$(mktemp -d "${TMPDIR:-/tmp}/strata-kafka.XXXXXX")"
  port="$(free_port)"
  cport="$(free_port)"
  while [[ "$cport" == "$port" ]]; do cport="$(free_port)"; done
  echo "$data" >"$STATE/data-dir"
  echo "$port" >"$STATE/port"
  cat >"$STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/logs
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=1000000
EOF
  : >"$STATE/broker.log"
  "$JAVA" -cp "$LIBS/*" kafka.tools.StorageTool format --standalone \
    -t "$("$JAVA" -cp "$LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
    -c "$STATE/server.properties" >>"$STATE/broker.log" 2>&1
  launch
  watchdog
  log "broker up on 127.0.0.1:$port (data $data)"
}

# With STRATA_KAFKA_WATCH_PID (a test runner's pid), the broker and its data go when that process
# dies, even if it was killed before its cleanup ran. Reads the pid file each time: resume changes it.
watchdog() {
  [[ -n "${STRATA_KAFKA_WATCH_PID:-}" ]] || return 0
  local watched="$STRATA_KAFKA_WATCH_PID" state="$STATE"
  nohup bash -c '
    while kill -0 "$0" 2>/dev/null; do sleep 2; done
    if [[ -f "$1/pid" ]]; then kill -9 "$(cat "$1/pid")" 2>/dev/null || true; fi
    if [[ -f "$1/data-dir" ]]; then rm -rf "$(cat "$1/data-dir")"; fi
    rm -rf "$1"
  ' "$watched" "$state" >/dev/null 2>&1 &
}

kill_broker() {
  if [[ -f "$STATE/pid" ]]; then
    local pid
    pid="$(cat "$STATE/pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$STATE/pid"
  fi
}

stop_quietly() {
  kill_broker
  if [[ -f "$STATE/data-dir" ]]; then rm -rf "$(cat "$STATE/data-dir")"; rm -f "$STATE/data-dir"; fi
}

resume() {
  [[ -f "$STATE/server.properties" && -f "$STATE/data-dir" ]] || { log "nothing to resume; use start"; exit 1; }
  if running; then return 0; fi
  launch
}

health() {
  [[ -f "$STATE/port" ]] || return 1
  # Sends a Kafka Metadata request (v4) on the wire, without a JVM start (the admin tools cost ~2 s):
  # healthy = the broker answers with at least one live broker in the cluster metadata.
  python3 - "$(cat "$STATE/port")" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=2)
client = b"strata-health"
body = struct.pack(">hhih", 3, 4, 7, len(client)) + client + struct.pack(">ib", -1, 0)
s.sendall(struct.pack(">i", len(body)) + body)
def read(n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk: sys.exit(1)
        data += chunk
    return data
size = struct.unpack(">i", read(4))[0]
data = read(size)
correlation, _throttle, brokers = struct.unpack(">iii", data[:12])
sys.exit(0 if correlation == 7 and brokers > 0 else 1)
EOF
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_quietly; rm -rf "$STATE" ;;
  kill) kill_broker ;;
  resume) resume ;;
  health) health ;;
  env) [[ -f "$STATE/port" ]] || { log "not started"; exit 1; }; echo "STRATA_KAFKA_BROKERS=127.0.0.1:$(cat "$STATE/port")" ;;
  *) echo "usage: $0 install|start|stop|kill|resume|health|env" >&2; exit 2 ;;
esac
