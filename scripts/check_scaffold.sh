#!/usr/bin/env bash
# `app scaffold context` writes code that passes the project's checks as it is: in a copy of the
# repository (nothing here is touched; .venv is only read), two sample contexts are generated,
# one with every field type, every event and an owner, one without gRPC or consumer; then the
# copy runs ruff (check and format) on what was written and edited, mypy, the import contracts,
# alembic upgrade / check / downgrade / upgrade on a database of its own, the contract documents,
# and the generated tests (with the contract tests, which read every event and model).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
started=$SECONDS
copy=$(mktemp -d -t app-scaffold-XXXXXX)
database="scaffold_check_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
# A key of this run only: a key written in a committed file is one PROD refuses.
SECRET_KEY=$(python3 -c "import secrets; print(secrets.token_urlsafe(32))")
export LAUNCH_MODE=TEST SECRET_KEY
export PYTHONPATH="$copy/src" PYTHONDONTWRITEBYTECODE=1  # the copy's code, no .pyc in .venv
py="$copy/.venv/bin/python"
contract_tests=()

admin() {  # SQL on the server's maintenance database, as the test fixtures run it
  "$py" - "$1" <<'PY'
import asyncio, sys
import asyncpg
from app.config.settings import load_settings

async def run(sql: str) -> None:
    s = load_settings()
    conn = await asyncpg.connect(host=s.db_host, port=s.db_port, user=s.db_user,
                                 password=s.db_password or None, database="postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()

asyncio.run(run(sys.argv[1]))
PY
}
cleanup() {
  admin "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" || true
  rm -rf "$copy"
}
trap cleanup EXIT
step() { echo "+ [$((SECONDS - started))s] $*"; }

step "copy of the working tree in $copy"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' file; do [ -e "$file" ] && printf '%s\0' "$file"; done |
  xargs -0 cp --parents -t "$copy"
ln -s "$ROOT/.venv" "$copy/.venv"
# mypy's cache, when this checkout has one: unchanged modules are then not checked again.
[ -d .mypy_cache ] && cp -r .mypy_cache "$copy/"
cd "$copy"

step "app scaffold context invoices (every type, every event, --owner) and categories"
.venv/bin/app scaffold context invoices --owner \
  --field number:str:max=32 --field notes:text? --field quantity:int:min=1,max=1000 \
  --field amount:decimal:min=0,digits=10,places=2 --field paid:bool --field due:date? \
  --field sent_at:datetime? --field customer:uuid --field extra:json? \
  --field 'status:enum(draft|sent|paid)' --events created,updated,deleted | tee invoices.out
.venv/bin/app scaffold context categories --no-grpc --no-consumer --events created,deleted \
  --field title:str:max=80 --field position:int?:min=0 --field active:bool | tee categories.out
mapfile -t python < <(awk '$1 == "write" || $1 == "edit" {print $2}' invoices.out categories.out |
  grep '\.py$' | grep -v '/grpc/pb/' | sort -u)
mapfile -t tests < <(awk '$1 == "write" {print $2}' invoices.out categories.out |
  grep '^tests/.*\.py$')
rm invoices.out categories.out

step "ruff check and ruff format --check on the ${#python[@]} Python files written or edited"
.venv/bin/ruff check "${python[@]}"
.venv/bin/ruff format --check "${python[@]}"
step "mypy"
.venv/bin/mypy
step "import contracts"
.venv/bin/lint-imports --no-logo

step "alembic upgrade head, check, downgrade base, upgrade head on $database"
admin "CREATE DATABASE \"$database\""
DB_NAME=$database .venv/bin/alembic upgrade head
DB_NAME=$database .venv/bin/alembic check
DB_NAME=$database .venv/bin/alembic downgrade base
DB_NAME=$database .venv/bin/alembic upgrade head

if [ -f scripts/gen_contracts.py ]; then
  step "the contract documents are current and hold the new paths, RPCs' twins and events"
  "$py" scripts/gen_contracts.py --check
  grep -q '"/api/v1/invoices/{uuid}/"' docs/contracts/openapi.json
  grep -q '"/api/v1/categories/"' docs/contracts/openapi.json
  grep -q 'invoices.created.v1' docs/contracts/asyncapi.yaml
  grep -q 'categories.deleted.v1' docs/contracts/asyncapi.yaml
  contract_tests=(tests/contracts/test_events.py tests/contracts/test_documents.py)
fi
buf="$ROOT/scripts/contracts/node_modules/.bin/buf"
if [ -x "$buf" ]; then
  step "buf lint on the protos, the new one included"
  (cd src/app/interfaces/grpc/protos && "$buf" lint)
else
  step "buf lint skipped: buf is not installed (scripts/check_contracts.sh installs it)"
fi

step "the ${#tests[@]} generated test modules"
.venv/bin/pytest -p no:cacheprovider -n 2 --no-cov -q "${tests[@]}" "${contract_tests[@]}"
step "done in $((SECONDS - started))s"
