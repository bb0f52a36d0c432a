#!/usr/bin/env bash
# Check the Prometheus alert rules and run their unit tests. Non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h|--help)
    cat <<'TXT'
Usage: scripts/check_alerts.sh [--help]

  promtool check rules deploy/prometheus/alerts.yml       (syntax, expressions, templates)
  promtool test rules deploy/prometheus/alerts_test.yml   (each alert fires when it should)
promtool comes with Debian's prometheus package (bash local_prepare.sh installs it).
TXT
    exit 0 ;;
  "") ;;
  *) echo "unknown option: $1" >&2; exit 2 ;;
esac

if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool is not installed: apt-get install -y prometheus (or bash local_prepare.sh)" >&2
  exit 1
fi
echo "+ promtool check rules deploy/prometheus/alerts.yml"
promtool check rules deploy/prometheus/alerts.yml
echo "+ promtool test rules deploy/prometheus/alerts_test.yml"
promtool test rules deploy/prometheus/alerts_test.yml
