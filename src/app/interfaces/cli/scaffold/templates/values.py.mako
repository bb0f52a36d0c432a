"""Value objects of the ${c.words} context: the fields of ${c.an_entity}, their limits and rules."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any, NewType
from uuid import UUID

from app.domain.${c.name}.errors import Invalid${c.Entity}
from app.domain.fields import ${", ".join(["Rule", "check_fields", *sorted({k.rule(c, f).split("(")[0] for f in c.fields})])}

${c.Entity}Id = NewType("${c.Entity}Id", UUID)
% for f in c.of_type("enum"):


class ${k.enum_class(c, f)}(StrEnum):
%   for label in f.choices:
    ${label.upper()} = "${label}"
%   endfor
% endfor

% if any(k.constants(f) for f in c.fields):
# The limits of the fields: the rules below, the columns and the REST schemas all take them.
%   for f in c.fields:
%     for line in k.constants(f):
${line}
%     endfor
%   endfor

% endif
# The fields of ${c.an_entity}, in the order every interface lists them, each with its rule: the one
# declaration the aggregate, the view, the row, the schemas and the messages follow (each
# interface's tests fail when it disagrees).
_RULES: dict[str, Rule] = {
% for f in c.fields:
    "${f.name}": ${k.rule(c, f)},
% endfor
}
${c.ENTITY}_FIELDS = tuple(_RULES)
# The fields that may be null, and may be left out of a new ${c.entity_words}.
OPTIONAL_FIELDS: tuple[str, ...] = ${repr(tuple(f.name for f in c.optional))}


def check_${c.entity}(values: Mapping[str, Any], *, complete: bool = False) -> dict[str, Any]:
    """Each value as ${c.an_entity} stores it; `complete` asks for every required field and gives the
    optional ones left out as None. Raises Invalid${c.Entity}, or a ValidationError listing every
    bad, unknown or missing field when there are several."""
    return check_fields(
        values, _RULES, optional=OPTIONAL_FIELDS, error=Invalid${c.Entity}, complete=complete
    )
