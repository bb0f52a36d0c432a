#!/usr/bin/env bash
# Benchmark GET /api/v1/users/me/ against the floor app of ../shared/bench (ratios, same run).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'TXT'
Usage: scripts/bench_api.sh [--telemetry] [--help]

Serves the API the way ../shared/bench/README.md asks (PROD mode, one uvicorn worker pinned to
CPU 0, database app_bench), starts the floor on :8001, then runs compare.sh (throughput ratio),
compare.sh of the floor against itself once (the noise of the moment), and storm_p99.sh with
RATE=1 against both. Needs wrk (apt-get install -y wrk); installs it when missing.

--telemetry: what tracing and metrics cost, in one sitting (docs/observability.md). Compares
api/floor, then traced/floor (the API tracing every request, always_on, over OTLP/HTTP to a
receiver that drops the spans, on PORT+2), then api/without-metrics (the API without its HTTP
metrics middleware, scripts/bench_without_metrics.py, on PORT+1), each baseline also against
itself (the noise). Every server is pinned to CPU 0 like the API.
Variables: BENCH=../shared/bench  PORT=8081  PAIRS=3  RATE=1
TXT
}
TELEMETRY=""
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --telemetry) TELEMETRY=1 ;;
  "") ;;
  *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
esac

BENCH=${BENCH:-../shared/bench} PORT=${PORT:-8081}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
[ -d "$BENCH/.venv-floor" ] || { "$BENCH/pg_up.sh"; "$BENCH/setup_floor.sh"; }

# PROD refuses a committed key, an empty database password, guest:guest and a reset link that
# is not https: the local PostgreSQL does not check the password (trust), and the benchmark
# publishes and mails nothing.
export LAUNCH_MODE=PROD DEBUG=false LOG_LEVEL=WARNING LOG_JSON=true DB_NAME=app_bench \
  SECRET_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
  DB_PASSWORD=unchecked-by-trust-authentication MESSAGE_BROKER_URL=amqp://bench:unused@127.0.0.1:5672/ \
  SIGN_IN_ATTEMPTS_PER_MINUTE=100000 PASSWORD_RESET_URL='https://bench.invalid/reset?token={token}'
psql -h 127.0.0.1 -U postgres -qAtc "SELECT 1 FROM pg_database WHERE datname='app_bench'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE app_bench"
.venv/bin/app migrate >/dev/null 2>&1

declare -A pids=()  # port: pid of our servers (and the trace receiver)
trap 'kill "${pids[@]}" 2>/dev/null; "$BENCH/run_floor.sh" stop >/dev/null 2>&1 || true' EXIT
serve() {  # PORT COMMAND...: one server pinned to CPU 0, answering /livez before we go on
  local port=$1; shift
  taskset -c 0 "$@" >"/tmp/bench-api-$port.log" 2>&1 &
  pids[$port]=$!
  for _ in $(seq 1 50); do curl -so /dev/null "http://127.0.0.1:$port/livez" && return; sleep 0.2; done
  echo "the server on :$port did not start: /tmp/bench-api-$port.log" >&2; exit 1
}
halt() {  # PORT
  kill "${pids[$1]}" && wait "${pids[$1]}" 2>/dev/null || true
  unset "pids[$1]"
}
serve "$PORT" .venv/bin/app api --port "$PORT" --workers 1
"$BENCH/run_floor.sh" start
API=http://127.0.0.1:$PORT FLOOR=http://127.0.0.1:8001

if [ -n "$TELEMETRY" ]; then
  # Two servers at a time: three pools of up to 40 connections would pass PostgreSQL's 100.
  BARE_PORT=$((PORT + 1)) TRACED_PORT=$((PORT + 2)) RECEIVER=$((PORT + 3))
  "$BENCH/compare.sh" "$FLOOR" "$API" | tee /tmp/bench-compare.txt
  "$BENCH/compare.sh" "$FLOOR" "$FLOOR" | tee /tmp/bench-noise.txt
  halt "$PORT"
  .venv/bin/python -m tests.tracing.receiver "$RECEIVER" >/tmp/bench-receiver.log 2>&1 &
  pids[$RECEIVER]=$!
  TRACING_ENABLED=true OTEL_TRACES_SAMPLER=always_on OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf \
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$RECEIVER \
    serve "$TRACED_PORT" .venv/bin/app api --port "$TRACED_PORT" --workers 1
  "$BENCH/compare.sh" "$FLOOR" "http://127.0.0.1:$TRACED_PORT" | tee /tmp/bench-traced.txt
  halt "$TRACED_PORT"
  halt "$RECEIVER"
  "$BENCH/run_floor.sh" stop >/dev/null
  serve "$PORT" .venv/bin/app api --port "$PORT" --workers 1
  serve "$BARE_PORT" .venv/bin/python scripts/bench_without_metrics.py "$BARE_PORT"
  BARE=http://127.0.0.1:$BARE_PORT
  "$BENCH/compare.sh" "$BARE" "$API" | tee /tmp/bench-metrics.txt
  "$BENCH/compare.sh" "$BARE" "$BARE" | tee /tmp/bench-metrics-noise.txt
  echo
  echo "api/floor (tracing off):         $(grep RATIO /tmp/bench-compare.txt)"
  echo "floor/floor:                     $(grep RATIO /tmp/bench-noise.txt)"
  echo "traced/floor (always_on):        $(grep RATIO /tmp/bench-traced.txt)"
  echo "api/without-metrics:             $(grep RATIO /tmp/bench-metrics.txt)"
  echo "without-metrics/without-metrics: $(grep RATIO /tmp/bench-metrics-noise.txt)"
  exit 0
fi

"$BENCH/compare.sh" "$FLOOR" "$API" | tee /tmp/bench-compare.txt
PAIRS=1 "$BENCH/compare.sh" "$FLOOR" "$FLOOR" | tee /tmp/bench-noise.txt
RATE=${RATE:-1} "$BENCH/storm_p99.sh" "$API" | tee /tmp/bench-storm-api.txt
RATE=${RATE:-1} "$BENCH/storm_p99.sh" "$FLOOR" | tee /tmp/bench-storm-floor.txt
echo
echo "api/floor:   $(grep RATIO /tmp/bench-compare.txt)"
echo "floor/floor: $(grep RATIO /tmp/bench-noise.txt)"
echo "api:   $(grep RESULT /tmp/bench-storm-api.txt)"
echo "floor: $(grep RESULT /tmp/bench-storm-floor.txt)"
