#!/usr/bin/env bash
# Smoke test of the zero-setup start: `npm start` with no configuration answers /fhir/R4/metadata and stops cleanly on
# SIGINT (Ctrl-C); a second start reuses the embedded database's data.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL REDIS_URL
port="${PORT:-8103}"
if curl -fsS "http://127.0.0.1:${port}/fhir/R4/metadata" -o /dev/null 2>/dev/null; then
  echo "something already answers on port ${port}; stop it first"; exit 1
fi

start_and_stop() {
  local log pid ok=""
  log="$(mktemp)"
  setsid npm start >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 180); do
    if curl -fsS "http://127.0.0.1:${port}/fhir/R4/metadata" -o "$log.metadata" 2>/dev/null; then ok=1; break; fi
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    sleep 1
  done
  if [ -z "$ok" ]; then
    echo "npm start did not answer /fhir/R4/metadata:"; cat "$log"; kill -KILL -- -"$pid" 2>/dev/null || true; return 1
  fi
  grep -q '"resourceType":"CapabilityStatement"' "$log.metadata" || { echo "metadata is not a CapabilityStatement"; return 1; }
  kill -INT -- -"$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "npm start did not stop within 30 s of SIGINT"; cat "$log"; kill -KILL -- -"$pid"; return 1
  fi
  cat "$log"
  if [ -f .data/postgres/postmaster.pid ]; then
    echo "embedded PostgreSQL is still running after stop"; return 1
  fi
  LAST_LOG="$log"
}

echo "-- first start"
start_and_stop
grep -q "Demo data" "$LAST_LOG" || { echo "first start did not report demo data"; exit 1; }
echo "-- second start (reuses the data)"
start_and_stop
grep -q "Starting embedded PostgreSQL" "$LAST_LOG"
echo "smoke test passed: started, answered metadata, stopped cleanly, restarted on the same data"
