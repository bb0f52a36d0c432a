#!/usr/bin/env bash
# Install what is missing, migrate once, and start the chosen processes of the service.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'TXT'
Usage: local_run.sh [--run_api] [--run_grpc] [--run_consume] [--run_celery] [--run_beat]
                    [--run_tests] [--recreate] [--install] [--stop] [--help] [-- ARGS]

  --run_api      the REST API (app api, on API_PORT, default 8081)
  --run_grpc     the gRPC server (app grpc, on GRPC_PORT, default 50051)
  --run_consume  the message consumer with its outbox relay (app consume)
  --run_celery   a Celery worker (app worker)
  --run_beat     Celery beat, the periodic tasks (app beat)
  --run_tests    run the whole test suite (it makes and drops its own database); ARGS go to pytest
  --recreate     drop and re-create the database first
  --install      only create .venv and install the locked dependencies
  --stop         stop the processes started in the background, and a Tansu Kafka broker
                 started by local_prepare.sh

Every run first installs (uv with pip, .venv from requirements/dev.txt, the project) when
.venv is missing or requirements/dev.txt changed since the last install (--install always does),
copies .env.example to .env when LAUNCH_MODE is LOCAL (the default) and .env is missing,
checks the services and creates the database (local_prepare.sh), and migrates once.
One process runs in the foreground (ARGS go to it); several run in the background with
logs and PID files under RUN_DIR (default .run/, relative to the repository), and
`local_run.sh --stop` with the same RUN_DIR stops them.
TXT
}

export RUN_DIR=${RUN_DIR:-.run}  # local_prepare.sh keeps a Tansu's PID file there too
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

# A digest of the lock and of the recipe the last install followed. The project is installed
# editable, so code changes need no install; a new console script in pyproject.toml needs
# `--install`.
INSTALLED=.venv/.installed-from
install() {
  command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
  [ -x .venv/bin/python ] || uv venv --quiet --python 3.11 .venv
  # Byte code compiled once, here: where PYTHONDONTWRITEBYTECODE is set, every process would
  # otherwise compile its libraries again at start (two seconds of CPU per process).
  uv pip sync --quiet --python .venv/bin/python --compile-bytecode requirements/dev.txt
  uv pip install --quiet --python .venv/bin/python --no-deps -e .
  lock_digest >"$INSTALLED"
}
lock_digest() { { declare -f install; cat requirements/dev.txt; } | cksum; }
# The project's own byte code, for the same reason; only what changed is compiled again.
compile_src() { .venv/bin/python -m compileall -q -j 0 src >/dev/null; }

# A sync uninstalls the project for a moment: processes and tests already using .venv would
# fail to start in that window, so a run syncs only when the lock changed.
up_to_date() { [ -x .venv/bin/app ] && [ "$(cat "$INSTALLED" 2>/dev/null)" = "$(lock_digest)" ]; }

alive() {  # a zombie (exited, not yet reaped) counts as stopped
  kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}

stop_one() {  # pidfile
  local pid
  [ -e "$1" ] || return 0
  pid=$(cat "$1")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    echo "stopped $(basename "$1" .pid) ($pid)"
  fi
  rm -f "$1"
}

stop_all() {
  local pidfile
  for pidfile in "$RUN_DIR"/*.pid; do
    # The broker goes last: a consumer or relay stopping may still talk to it.
    [ "$pidfile" = "$RUN_DIR/tansu.pid" ] || stop_one "$pidfile"
  done
  stop_one "$RUN_DIR/tansu.pid"
}

if [ "$STOP" = 1 ]; then stop_all; exit 0; fi
if [ "$INSTALL_ONLY" = 1 ]; then install; exit 0; fi
up_to_date || install
if [ ${#PROCESSES[@]} -eq 0 ] && [ "$RUN_TESTS" = 0 ]; then usage; exit 2; fi

compile_src
if [ "$RUN_TESTS" = 1 ]; then
  bash local_prepare.sh >/dev/null
  exec .venv/bin/pytest "${EXTRA[@]}"
fi

# The settings read .env only in LOCAL: elsewhere a copy would be unused clutter in the tree.
launch_mode=$(printf %s "${LAUNCH_MODE:-LOCAL}" | tr '[:lower:]' '[:upper:]')
if [ "$launch_mode" = LOCAL ] && [ ! -f .env ]; then cp .env.example .env; fi
prepare_args=()
[ "$RECREATE" = 1 ] && prepare_args+=(--recreate)
bash local_prepare.sh "${prepare_args[@]}"
.venv/bin/app migrate

if [ ${#PROCESSES[@]} -eq 1 ]; then
  exec .venv/bin/app "${PROCESSES[0]}" "${EXTRA[@]}"
fi
mkdir -p "$RUN_DIR"
for name in "${PROCESSES[@]}"; do
  if [ -f "$RUN_DIR/$name.pid" ] && alive "$(cat "$RUN_DIR/$name.pid")"; then
    echo "$name already runs (pid $(cat "$RUN_DIR/$name.pid"))"
    continue
  fi
  nohup .venv/bin/app "$name" </dev/null >"$RUN_DIR/$name.log" 2>&1 &
  echo $! >"$RUN_DIR/$name.pid"
  echo "started $name (pid $!, log $RUN_DIR/$name.log)"
done
if [ "$RUN_DIR" = .run ]; then stop_command="bash local_run.sh --stop"
else stop_command="RUN_DIR=$RUN_DIR bash local_run.sh --stop"; fi
echo "stop them with: $stop_command"
