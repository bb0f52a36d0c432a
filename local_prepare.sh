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
  - creates the database DB_NAME (drops it first with --recreate).
Settings come from the environment and .env (see .env.example).
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

if [ -f .env ]; then set -a; . ./.env; set +a; fi
DB_HOST=${DB_HOST:-127.0.0.1} DB_PORT=${DB_PORT:-5432} DB_USER=${DB_USER:-postgres} DB_NAME=${DB_NAME:-app}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
MESSAGE_BROKER=${MESSAGE_BROKER:-rabbitmq}
MESSAGE_BROKER_URL=${MESSAGE_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672/}

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
