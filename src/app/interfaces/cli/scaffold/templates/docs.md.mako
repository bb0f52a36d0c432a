<%
    E, e, N = c.Entity, c.entity, c.name
%>\
# ${c.words.capitalize()}

The `${N}` context keeps ${c.words}${", each owned by the user who created it" if c.owner else ""}. They are
created, read, listed, changed and deleted over REST${" and gRPC" if c.grpc else ""}, and through
`container.${N}` in any process. The context was written by

```sh
${command_line}
```

and is changed by hand from there on: the code it wrote is the project's own, tested like the rest.

${"##"} Fields

The domain declares them once (`${c.ENTITY}_FIELDS` in `domain/${N}/values.py`, with their rules and
limits); the row, the view, the REST schemas and the messages follow it, and each interface's tests
fail when it disagrees. Every ${c.entity_words} also has its `uuid`, ${"its `owner_uuid`, " if c.owner else ""}`created_at` and `updated_at`.

| field | type | null | rule |
| --- | --- | --- | --- |
% for f in c.fields:
| `${f.name}` | ${f.type} | ${"yes" if f.optional else "no"} | ${k.rule_text(f)} |
% endfor

${"##"} Use cases and permissions

`${E}Service` (`application/${N}.py`) has one method per use case, each with a fresh unit of work:
`create`, `get`, `list` (the filter DSL, with the allow-list of `infrastructure/db/${N}.py`),
`update` (the fields sent; null clears an optional one) and `delete`.
% if c.owner:
The owner needs no permission for their own ${c.words}; `${N}:read` reads anyone's and `${N}:write`
changes anyone's (an admin holds both). Someone else's ${c.entity_words} answers 404, as a missing
one does.
% else:
Reading needs `${N}:read`, every change `${N}:write` (an admin holds both; grant them to another
role in `ROLE_PERMISSIONS`, `domain/auth/permissions.py`).
% endif

| use case | REST | gRPC (`${proto_package}.${c.Entities}Service`) |
| --- | --- | --- |
| create | `POST /api/v1/${N}/` | ${"`Create" + E + "`" if c.grpc else "-"} |
| get | `GET /api/v1/${N}/{uuid}/` | ${"`Get" + E + "`" if c.grpc else "-"} |
| list | `GET /api/v1/${N}/` | ${"`List" + c.Entities + "`" if c.grpc else "-"} |
| update | `PATCH /api/v1/${N}/{uuid}/` | ${"`Update" + E + "`" if c.grpc else "-"} |
| delete | `DELETE /api/v1/${N}/{uuid}/` | ${"`Delete" + E + "`" if c.grpc else "-"} |

Errors are the contract's: an invalid field is a 422 (`INVALID_ARGUMENT`) naming each bad field,
a missing ${c.entity_words} a 404 (`NOT_FOUND`), a missing permission a 403 (`PERMISSION_DENIED`).

${"##"} Events

Each change commits with its event in the outbox; the relay publishes them.

| event | payload |
| --- | --- |
% if "created" in c.events:
| `${N}.created.v1` | `${e}_uuid`, ${"`owner_uuid`, " if c.owner else ""}every field as JSON (text for decimals, dates, times and uuids) |
% endif
% if "updated" in c.events:
| `${N}.updated.v1` | `${e}_uuid`, `fields` (the names changed) |
% endif
% if "deleted" in c.events:
| `${N}.deleted.v1` | `${e}_uuid` |
% endif
% if c.consumer:

The consumer handles `${N}.created.v1` (`${e}_created` in `HANDLERS_MAP`,
`interfaces/consumer/handlers.py`) with `${E}Service.note_created`, once per message id:
${"a notification for the owner" if c.owner else "an inbox row, an example to build on"}.
% endif

${"##"} Code

| layer | files |
| --- | --- |
| domain | `domain/${N}/`: `${e}.py` (the aggregate), `values.py`, `events.py`, `errors.py` |
| application | `application/${N}.py`; its ports in `application/ports.py` |
| infrastructure | `${E}Row` in `infrastructure/db/tables.py`, its migration, `infrastructure/db/${N}.py` |
| interfaces | `interfaces/api/${N}.py`${", `interfaces/grpc/" + N + ".py` and `protos/app/v1/" + N + ".proto`" if c.grpc else ""} |
| tests | `tests/*/test_${N}.py`, the fakes in `tests/fakes.py` |
