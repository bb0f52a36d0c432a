<%
    E, e, N = c.Entity, c.entity, c.name
    required = [f for f in c.fields if not f.optional]
    owner = "uuid4(), " if c.owner else ""
%>\
"""The ${E} aggregate: the rules of its fields and the events its changes record."""

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from app.domain.${N}.${e} import ${E}
from app.domain.${N}.values import ${", ".join([c.ENTITY + "_FIELDS", "OPTIONAL_FIELDS", *(k.enum_class(c, f) for f in c.of_type("enum"))])}
from app.domain.shared import ValidationError

NOW = datetime(2026, 1, 1, tzinfo=UTC)
# A valid value of each field, another one, and one its rule refuses.
VALUES = {
% for f in c.fields:
    "${f.name}": ${s.sample(c, f, 0)},
% endfor
}
CHANGED = {
% for f in c.fields:
    "${f.name}": ${s.sample(c, f, 1)},
% endfor
}
BAD = {
% for f in c.fields:
    "${f.name}": ${s.bad(f)},
% endfor
}


def new_${e}() -> ${E}:
    ${e} = ${E}.create(${owner}VALUES, NOW)
    ${e}.collect_events()
    return ${e}


def test_${c.an_entity.split()[0]}_${e}_keeps_its_fields_in_the_domains_order():
% if c.owner:
    owner = uuid4()
    ${e} = ${E}.create(owner, VALUES, NOW)
    assert (${e}.owner_id, ${e}.created_at, ${e}.updated_at) == (owner, NOW, NOW)
% else:
    ${e} = ${E}.create(VALUES, NOW)
    assert (${e}.created_at, ${e}.updated_at) == (NOW, NOW)
% endif
    assert tuple(VALUES) == ${c.ENTITY}_FIELDS
    assert ${e}.values() == VALUES
% if "created" in c.events:


def test_creating_records_${e}_created_with_every_field_as_json():
    ${e} = ${E}.create(${owner}VALUES, NOW)
    [event] = ${e}.collect_events()
    assert (event.name, event.aggregate_id) == ("${N}.created.v1", str(${e}.id))
    assert event.payload()["${e}_uuid"] == str(${e}.id)
%   if c.owner:
    assert event.payload()["owner_uuid"] == str(${e}.owner_id)
%   endif
    assert set(event.payload()) >= set(VALUES)
% endif


def test_every_bad_field_is_named_at_once():
    with pytest.raises(ValidationError) as error:
        ${E}.create(${owner}VALUES | BAD, NOW)
    assert sorted(field for field, _ in error.value.errors) == sorted(BAD)
% if required:


def test_a_required_field_is_required_and_an_optional_one_may_be_left_out():
    required = {name: value for name, value in VALUES.items() if name not in OPTIONAL_FIELDS}
    with pytest.raises(ValidationError) as error:
        ${E}.create(${owner}{}, NOW)
    assert sorted(field for field, _ in error.value.errors) == sorted(required)
    ${e} = ${E}.create(${owner}required, NOW)
    assert all(getattr(${e}, name) is None for name in OPTIONAL_FIELDS)
% endif


def test_an_update_changes_the_fields_named_all_or_none():
    ${e} = new_${e}()
    with pytest.raises(ValidationError):
        ${e}.update(CHANGED | {"no_such_field": 1}, NOW)
    assert ${e}.values() == VALUES
    ${e}.update(CHANGED, NOW)
    assert ${e}.values() == CHANGED
% if "updated" in c.events:
    [event] = ${e}.collect_events()
    assert (event.name, event.payload()["fields"]) == ("${N}.updated.v1", sorted(CHANGED))
% endif
% if c.optional and required:


def test_null_clears_an_optional_field_and_is_refused_for_a_required_one():
    ${e} = new_${e}()
    ${e}.update({"${c.optional[0].name}": None}, NOW)
    assert ${e}.${c.optional[0].name} is None
    with pytest.raises(ValidationError):
        ${e}.update({"${required[0].name}": None}, NOW)
% endif
% if "deleted" in c.events:


def test_deleting_records_${e}_deleted():
    ${e} = new_${e}()
    ${e}.delete(NOW)
    assert [event.name for event in ${e}.collect_events()] == ["${N}.deleted.v1"]
% endif
