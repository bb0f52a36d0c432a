#!/usr/bin/env bash
# Install what is missing, migrate once, and start the chosen processes of the service.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'TXT'
Usage: local_run.sh [--run_api] [--run_grpc] [--run_consume] [--run_celery] [--run_beat]
                    [--run_tests] [--recreate] [--install] [--stop] [--help] [-- ARGS]

  --run_api      the REST API (app api, :8081)
  --run_grpc     the gRPC server (app grpc, :50051)
  --run_consume  the message consumer with its outbox relay (app consume)
  --run_celery   a Celery worker (app worker)
  --run_beat     Celery beat, the periodic tasks (app beat)
  --run_tests    run the whole test suite (it makes and drops its own database); ARGS go to pytest
  --recreate     drop and re-create the database first
  --install      only create .venv and install the locked dependencies
  --stop         stop the processes started in the background

Every run first installs what is missing (uv with pip, .venv from requirements/dev.txt),
checks the services and creates the database (local_prepare.sh), and migrates once.
One process runs in the foreground (ARGS go to it); several run in the background with
logs and PID files under .run/, and `local_run.sh --stop` stops them.
TXT
}

RUN_DIR=.run
PROCESSES=() RUN_TESTS=0 RECREATE=0 INSTALL_ONLY=0 STOP=0 EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run_api) PROCESSES+=(api) ;;
    --run_grpc) PROCESSES+=(grpc) ;;
    --run_consume) PROCESSES+=(consume) ;;
    --run_celery) PROCESSES+=(worker) ;;
    --run_beat) PROCESSES+=(beat) ;;
    --run_tests) RUN_TESTS=1 ;;
    --recreate) RECREATE=1 ;;
    --install) INSTALL_ONLY=1 ;;
    --stop) STOP=1 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

install() {
  command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
  [ -x .venv/bin/python ] || uv venv --quiet --python 3.11 .venv
  uv pip sync --quiet --python .venv/bin/python requirements/dev.txt
  uv pip install --quiet --python .venv/bin/python --no-deps -e .
}

stop_all() {
  local pidfile pid
  for pidfile in "$RUN_DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      echo "stopped $(basename "$pidfile" .pid) ($pid)"
    fi
    rm -f "$pidfile"
  done
}

if [ "$STOP" = 1 ]; then stop_all; exit 0; fi
install
[ "$INSTALL_ONLY" = 1 ] && exit 0
if [ ${#PROCESSES[@]} -eq 0 ] && [ "$RUN_TESTS" = 0 ]; then usage; exit 2; fi

if [ "$RUN_TESTS" = 1 ]; then
  bash local_prepare.sh >/dev/null
  exec .venv/bin/pytest "${EXTRA[@]}"
fi

[ -f .env ] || cp .env.example .env
prepare_args=()
[ "$RECREATE" = 1 ] && prepare_args+=(--recreate)
bash local_prepare.sh "${prepare_args[@]}"
.venv/bin/app migrate

if [ ${#PROCESSES[@]} -eq 1 ]; then
  exec .venv/bin/app "${PROCESSES[0]}" "${EXTRA[@]}"
fi
mkdir -p "$RUN_DIR"
for name in "${PROCESSES[@]}"; do
  if [ -f "$RUN_DIR/$name.pid" ] && kill -0 "$(cat "$RUN_DIR/$name.pid")" 2>/dev/null; then
    echo "$name already runs (pid $(cat "$RUN_DIR/$name.pid"))"
    continue
  fi
  nohup .venv/bin/app "$name" >"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  echo "started $name (pid $!, log $RUN_DIR/$name.log)"
done
echo "stop them with: bash local_run.sh --stop"
