#!/usr/bin/env bash
# Smoke test of the zero-setup start: `npm start` with no configuration answers /fhir/R4/metadata, then stops cleanly on SIGINT.
set -euo pipefail
cd "$(dirname "$0")/.."
unset DATABASE_URL REDIS_URL
port="${PORT:-8103}"
log="$(mktemp)"
setsid npm start >"$log" 2>&1 &
pid=$!
ok=""
for _ in $(seq 1 180); do
  if curl -fsS "http://127.0.0.1:${port}/fhir/R4/metadata" -o /dev/null 2>/dev/null; then ok=1; break; fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
if [ -z "$ok" ]; then
  echo "npm start did not answer /fhir/R4/metadata:"; cat "$log"; kill -KILL -- -"$pid" 2>/dev/null || true; exit 1
fi
echo "metadata answered:"
curl -fsS "http://127.0.0.1:${port}/fhir/R4/metadata" | head -c 300; echo
kill -INT -- -"$pid"
for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
if kill -0 "$pid" 2>/dev/null; then
  echo "npm start did not stop within 30 s of SIGINT"; cat "$log"; kill -KILL -- -"$pid"; exit 1
fi
cat "$log"
if [ -f .data/postgres/postmaster.pid ]; then
  echo "embedded PostgreSQL is still running after stop"; exit 1
fi
echo "smoke test passed: started, answered metadata, stopped cleanly"
