#!/usr/bin/env bash
# Validate the Kubernetes kit without a cluster. Non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'TXT'
Usage: scripts/check_deploy.sh [--help]

For every overlay in deploy/kubernetes/overlays/:
  - renders it with `kubectl kustomize`;
  - validates every object with `kubernetes-validate --strict` against each version of
    K8S_VERSIONS (default "1.30.0 1.33.0 1.36.0"); KEDA's kinds have no schema there and are
    checked by tests/deploy/ instead, any other kind without a schema fails;
  - runs checkov's Kubernetes checks (skips: deploy/kubernetes/.checkov.yaml and annotations).
The tools come from requirements/deploy.txt, installed into .venv-deploy when that lock
changed since the last install (checkov's dependencies conflict with the dev lock).
TXT
}
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
esac

K8S_VERSIONS=${K8S_VERSIONS:-1.30.0 1.33.0 1.36.0}
VENV=.venv-deploy
LOCK=requirements/deploy.txt
INSTALLED=$VENV/.installed-from

if ! command -v kubectl >/dev/null 2>&1; then
  echo "kubectl is not installed: it renders the overlays (kubectl kustomize)" >&2
  exit 1
fi

lock_digest() { cksum <"$LOCK"; }
if [ ! -x "$VENV/bin/checkov" ] || [ "$(cat "$INSTALLED" 2>/dev/null)" != "$(lock_digest)" ]; then
  command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
  [ -x "$VENV/bin/python" ] || uv venv --quiet --python 3.11 "$VENV"
  uv pip sync --quiet --python "$VENV/bin/python" --require-hashes "$LOCK"
  lock_digest >"$INSTALLED"
fi

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
status=0
for overlay in deploy/kubernetes/overlays/*/; do
  name=$(basename "$overlay")
  echo "+ kubectl kustomize $overlay"
  kubectl kustomize "$overlay" >"$rendered/$name.yaml" || { status=1; continue; }
  for version in $K8S_VERSIONS; do
    echo "+ kubernetes-validate --strict -k $version ($name)"
    report=$("$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" "$rendered/$name.yaml" 2>&1) || status=1
    # Only KEDA's kinds may lack a schema; any other warning or error is a failure.
    unexpected=$(printf '%s\n' "$report" | grep -v "api version keda.sh/v1alpha1 for kubernetes" | grep . || true)
    if [ -n "$unexpected" ]; then printf '%s\n' "$unexpected" >&2; status=1; fi
  done
done

echo "+ checkov --config-file deploy/kubernetes/.checkov.yaml -d <rendered overlays>"
"$VENV/bin/checkov" --config-file deploy/kubernetes/.checkov.yaml -d "$rendered" \
  --quiet --compact --skip-download || status=1

if [ "$status" = 0 ]; then echo "deploy kit: ok"; else echo "deploy kit: FAILED" >&2; fi
exit "$status"
