#!/usr/bin/env bash
# Validate the three contracts (REST, gRPC, events) and gate their breaking changes. Non-zero
# when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'TXT'
Usage: scripts/check_contracts.sh [--against REV] [--help]

  1. the committed documents are what the code makes (python scripts/gen_contracts.py --check);
  2. asyncapi validate docs/contracts/asyncapi.yaml, and buf lint on the protos;
  3. breaking changes against the last release, docs/contracts/released/ (with --against, the
     documents and protos of git revision REV instead, e.g. `git merge-base HEAD origin/main`):
     REST and events by scripts/contract_diff.py, gRPC by buf breaking; a change passes only
     when BREAKING.md names it, and a change of an event's data never does (a new version does);
  4. buf breaking still fails on a copy of the protos with a field removed (the gate bites);
  5. a TypeScript client generated from docs/contracts/openapi.json by @hey-api/openapi-ts
     type-checks with tsc --strict.
The npm tools are the exact versions of scripts/contracts/package.json and its lock, which
records no download address; they are installed into scripts/contracts/node_modules when the
lock changed since the last install. docs/contracts.md explains each check.
TXT
}
AGAINST=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --against) AGAINST=${2:?--against takes a git revision}; shift ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

TOOLS=scripts/contracts
BIN=$TOOLS/node_modules/.bin
INSTALLED=$TOOLS/node_modules/.installed-from
PROTOS=src/app/interfaces/grpc/protos
PYTHON=.venv/bin/python
command -v npm >/dev/null 2>&1 || { echo "npm is not installed (Node.js 20 and npm)" >&2; exit 1; }

tools_digest() { cat "$TOOLS/package.json" "$TOOLS/package-lock.json" | cksum; }
if [ "$(cat "$INSTALLED" 2>/dev/null)" != "$(tools_digest)" ]; then
  echo "+ npm ci --prefix $TOOLS"
  # No install scripts: buf's binary comes in a platform package, the rest is JavaScript.
  npm ci --prefix "$TOOLS" --ignore-scripts --no-audit --no-fund --loglevel=error
  tools_digest >"$INSTALLED"
fi
[ -x "$PYTHON" ] || { echo "no .venv: bash local_run.sh --install first" >&2; exit 1; }
# The AsyncAPI CLI reports each command to its makers unless its settings file says not to.
export ASYNCAPI_METRICS_CONFIG_PATH=$TOOLS/node_modules/.asyncapi-analytics
echo '{"analyticsEnabled":"false","infoMessageShown":"true","userID":"check"}' \
  >"$ASYNCAPI_METRICS_CONFIG_PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base=$work/base
if [ -n "$AGAINST" ]; then
  mkdir -p "$base"
  git archive "$AGAINST" docs/contracts/openapi.json docs/contracts/asyncapi.yaml "$PROTOS" \
    | tar -x -C "$base"
  mv "$base/docs/contracts/openapi.json" "$base/docs/contracts/asyncapi.yaml" "$base/"
  mv "$base/$PROTOS" "$base/protos"
else
  cp -r docs/contracts/released "$base"
fi

echo "+ python scripts/gen_contracts.py --check"
"$PYTHON" scripts/gen_contracts.py --check
echo "+ asyncapi validate docs/contracts/asyncapi.yaml"
"$BIN/asyncapi" validate docs/contracts/asyncapi.yaml --fail-severity=warn
echo "+ buf lint $PROTOS"
"$BIN/buf" lint "$PROTOS"

status=0
echo "+ contract_diff.py openapi (REST)"
"$PYTHON" scripts/contract_diff.py openapi "$base/openapi.json" docs/contracts/openapi.json \
  || status=1
echo "+ contract_diff.py asyncapi (events)"
"$PYTHON" scripts/contract_diff.py asyncapi "$base/asyncapi.yaml" docs/contracts/asyncapi.yaml \
  || status=1
buf_breaking() {  # buf's findings, one JSON object a line; 100 means it found some
  local code=0
  "$BIN/buf" breaking "$1" --against "$2" --error-format json || code=$?
  [ "$code" -eq 0 ] || [ "$code" -eq 100 ]
}
echo "+ buf breaking $PROTOS (gRPC)"
buf_breaking "$PROTOS" "$base/protos" >"$work/buf.jsonl"
"$PYTHON" scripts/contract_diff.py buf <"$work/buf.jsonl" || status=1

echo "+ buf breaking on a copy of the protos without Profile.email: must fail"
cp -r "$PROTOS" "$work/mutated"
sed -i '/^  string email = 2;$/d' "$work/mutated/app/v1/users.proto"
if cmp -s "$PROTOS/app/v1/users.proto" "$work/mutated/app/v1/users.proto"; then
  echo "no line 'string email = 2;' in users.proto to remove: update this check" >&2
  exit 1
fi
buf_breaking "$work/mutated" "$PROTOS" >"$work/canary.jsonl"
if "$PYTHON" scripts/contract_diff.py buf <"$work/canary.jsonl" >/dev/null; then
  echo "the gRPC gate let a removed field through" >&2
  status=1
fi

echo "+ openapi-ts docs/contracts/openapi.json, then tsc --strict"
rm -rf "$TOOLS/client"
"$BIN/openapi-ts" --input docs/contracts/openapi.json --output "$TOOLS/client" >/dev/null
"$BIN/tsc" -p "$TOOLS"
exit "$status"
