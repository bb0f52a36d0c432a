<%
    E, e, N = c.Entity, c.entity, c.name
    pb = N + "_pb2"
%>\
"""gRPC ${c.Entities}Service over a real channel: the same use cases and rules as REST /${N}."""

from datetime import UTC, date, datetime

import grpc
import pytest

from app.domain.${N}.values import ${c.ENTITY}_FIELDS, OPTIONAL_FIELDS
from app.interfaces.grpc import convert
from app.interfaces.grpc.pb import auth_pb2, ${pb}, ${pb}_grpc
from tests.grpc.conftest import PASSWORD, bearer, unique_email

# The samples of tests/domain/test_${N}.py as the messages carry them.
FIELDS = {
% for f in c.fields:
    "${f.name}": ${s.proto_sample(f, 0)},
% endfor
}
CHANGED = {
% for f in c.fields:
    "${f.name}": ${s.proto_sample(f, 1)},
% endfor
}


@pytest.fixture
def ${N}(channel) -> ${pb}_grpc.${c.Entities}ServiceStub:
    return ${pb}_grpc.${c.Entities}ServiceStub(channel)


@pytest.fixture
async def user(stubs) -> tuple[tuple[str, str], ...]:
    return bearer((await stubs.signed_in()).access)


@pytest.fixture
async def admin(stubs, container) -> tuple[tuple[str, str], ...]:
    email = unique_email()
    await stubs.auth.SignUp(auth_pb2.SignUpRequest(email=email, password=PASSWORD))
    await container.admin.grant(email, "admin")
    pair = await stubs.auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=PASSWORD))
    return bearer(pair.access)


@pytest.fixture
def author(${"user" if c.owner else "admin"}) -> tuple[tuple[str, str], ...]:
    return ${"user" if c.owner else "admin"}


async def refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def test_the_messages_carry_the_domains_fields_in_its_order():
    def names(message) -> tuple[str, ...]:
        return tuple(field.name for field in message.DESCRIPTOR.fields)

    assert names(${pb}.Create${E}Request) == ${c.ENTITY}_FIELDS
    assert names(${pb}.Update${E}Request) == ("uuid", *${c.ENTITY}_FIELDS, "clear")
    assert names(${pb}.${E})[${2 if c.owner else 1}:-2] == ${c.ENTITY}_FIELDS


async def test_${e}_is_created_read_listed_changed_and_deleted(${N}, author):
    request = ${pb}.Create${E}Request(**FIELDS)
    created = (await ${N}.Create${E}(request, metadata=author)).${e}
    assert {name: getattr(created, name) for name in FIELDS} == FIELDS
    ref = ${pb}.Get${E}Request(uuid=created.uuid)
    assert (await ${N}.Get${E}(ref, metadata=author)).${e} == created
    Filter = ${pb}.List${c.Entities}Request.Filter
    query = ${pb}.List${c.Entities}Request(filters=[Filter(key="uuid", value=created.uuid)])
    listed = await ${N}.List${c.Entities}(query, metadata=author)
    assert ([item.uuid for item in listed.items], listed.total) == ([created.uuid], 1)
    change = ${pb}.Update${E}Request(uuid=created.uuid, **CHANGED)
    changed = (await ${N}.Update${E}(change, metadata=author)).${e}
    assert {name: getattr(changed, name) for name in CHANGED} == CHANGED
    await ${N}.Delete${E}(${pb}.Delete${E}Request(uuid=created.uuid), metadata=author)
    gone = await refused(${N}.Get${E}(ref, metadata=author))
    assert gone.code() is grpc.StatusCode.NOT_FOUND
% if c.optional:


async def test_clear_sets_optional_fields_to_null_and_only_those(${N}, author):
    created = (await ${N}.Create${E}(${pb}.Create${E}Request(**FIELDS), metadata=author)).${e}
    clear = ${pb}.Update${E}Request(uuid=created.uuid, clear=OPTIONAL_FIELDS)
    cleared = (await ${N}.Update${E}(clear, metadata=author)).${e}
    assert not any(cleared.HasField(name) for name in OPTIONAL_FIELDS)
%   if len(c.optional) < len(c.fields):
    required = next(name for name in ${c.ENTITY}_FIELDS if name not in OPTIONAL_FIELDS)
    bad = ${pb}.Update${E}Request(uuid=created.uuid, clear=[required])
    invalid = await refused(${N}.Update${E}(bad, metadata=author))
    assert invalid.code() is grpc.StatusCode.INVALID_ARGUMENT
%   endif
% endif


async def test_a_request_missing_fields_is_invalid_naming_each(${N}, author):
    invalid = await refused(${N}.Create${E}(${pb}.Create${E}Request(), metadata=author))
    assert invalid.code() is grpc.StatusCode.INVALID_ARGUMENT
    named = [value.split(":")[0] for key, value in invalid.trailing_metadata() if key == "field-error"]
    assert sorted(named) == sorted(set(${c.ENTITY}_FIELDS) - set(OPTIONAL_FIELDS))
    bad_uuid = await refused(${N}.Get${E}(${pb}.Get${E}Request(uuid="x"), metadata=author))
    assert bad_uuid.code() is grpc.StatusCode.INVALID_ARGUMENT
    anonymous = await refused(${N}.List${c.Entities}(${pb}.List${c.Entities}Request()))
    assert anonymous.code() is grpc.StatusCode.UNAUTHENTICATED
% if c.owner:


async def test_someone_elses_${e}_is_not_found(${N}, user, stubs):
    created = (await ${N}.Create${E}(${pb}.Create${E}Request(**FIELDS), metadata=user)).${e}
    other = bearer((await stubs.signed_in()).access)
    hidden = await refused(${N}.Get${E}(${pb}.Get${E}Request(uuid=created.uuid), metadata=other))
    assert hidden.code() is grpc.StatusCode.NOT_FOUND
% else:


async def test_a_plain_user_is_permission_denied(${N}, user):
    denied = await refused(${N}.Create${E}(${pb}.Create${E}Request(**FIELDS), metadata=user))
    assert denied.code() is grpc.StatusCode.PERMISSION_DENIED
    assert denied.details() == "This needs the permission ${N}:write"
% endif
