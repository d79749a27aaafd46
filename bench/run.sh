#!/usr/bin/env bash
# Busbar benchmarks: installs what they need, builds Busbar and the harness, runs B1-B6 on loopback and
# writes bench/results/<date>.{json,md,svg} and latest.{md,svg}.
#   bash bench/run.sh            full run (< 15 min on 2 cores: 13 min 45 s on 2026-11-28's slow host)
#   bash bench/run.sh --quick    validation run, one round of each scenario (< 3 min: 2 min 14 s)
# Extra arguments go to the harness (e.g. --only B1,B3). Not part of `mvn verify` or CI.
set -euo pipefail
BENCH="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(dirname "$BENCH")"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Peers: nats-server (Debian, 2.9) and Socket.IO 4.8 (npm, locked).
if ! command -v nats-server >/dev/null 2>&1; then
  $SUDO apt-get update
  $SUDO apt-get install -y nats-server
fi
if ! command -v node >/dev/null 2>&1; then
  $SUDO apt-get update
  $SUDO apt-get install -y nodejs npm
fi
if ! command -v taskset >/dev/null 2>&1; then
  $SUDO apt-get install -y util-linux
fi
(cd "$BENCH/peers/socketio" && npm ci --no-audit --no-fund --loglevel=error)

# Busbar (copied: a later rebuild never touches the jar the nodes run) and the harness.
(cd "$ROOT" && mvn -B -q package -DskipTests)
mkdir -p "$BENCH/target"
cp "$ROOT/target/busbar.jar" "$BENCH/target/busbar.jar"
(cd "$BENCH/harness" && mvn -B -q package)

# Thousands of sockets on each side.
ulimit -n "$(ulimit -Hn)" || true
if [ "$(ulimit -n)" -lt 20000 ] 2>/dev/null; then
  echo "note: ulimit -n is $(ulimit -n); the 10k-connection scenarios need about 20k" >&2
fi

# Two or more cores: servers on CPU 0, the load generator on CPU 1. One core: no pinning.
CORES="$(nproc)"
PIN_LOAD=(); SERVER_CORES="0"; LOAD_CORES="1"
if [ "$CORES" -ge 2 ]; then
  PIN_LOAD=(taskset -c 1)
  if [ "$CORES" -ge 4 ]; then SERVER_CORES="0,2"; LOAD_CORES="1,3"; PIN_LOAD=(taskset -c 1,3); fi
else
  SERVER_CORES=""; LOAD_CORES="all"
fi
MACHINE="$CORES cores, $(java -version 2>&1 | head -1 | tr -d '"'), node $(node --version), $(nats-server --version)"
exec "${PIN_LOAD[@]}" java -Xms512m -Xmx2g -XX:+UseG1GC -jar "$BENCH/harness/target/bench.jar" "$BENCH" \
  --server-cores "$SERVER_CORES" --load-cores "$LOAD_CORES" --machine "$MACHINE" "$@"
