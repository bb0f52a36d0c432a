#!/usr/bin/env bash
# Re-lock the hash-pinned requirement files from pyproject.toml (no registry host is recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header --quiet -o requirements/main.txt "$@"
uv pip compile pyproject.toml --python-version 3.11 --extra dev --generate-hashes --no-header --quiet -o requirements/dev.txt "$@"
# The deploy checks' tools (scripts/check_deploy.sh), in a venv of their own.
uv pip compile requirements/deploy.in --python-version 3.11 --generate-hashes --no-header --quiet -o requirements/deploy.txt "$@"
