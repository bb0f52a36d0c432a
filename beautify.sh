#!/usr/bin/env bash
# Format, lint, type-check and check the import contracts; non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"

case "${1:-}" in
  -h|--help) echo "Usage: beautify.sh [--check]   (--check: change nothing, only report)"; exit 0 ;;
  --check) CHECK=1 ;;
  "") CHECK=0 ;;
  *) echo "unknown option: $1" >&2; exit 2 ;;
esac

bin=.venv/bin
status=0
run() { echo "+ $*"; "$@" || status=1; }
if [ "$CHECK" = 1 ]; then
  run "$bin/ruff" format --check .
  run "$bin/ruff" check .
else
  run "$bin/ruff" format .
  run "$bin/ruff" check --fix .
fi
run "$bin/mypy"
run "$bin/lint-imports"
exit $status
