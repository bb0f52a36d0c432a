"""The event registry: every event this service publishes, with the type of its `data`.

The AsyncAPI document (`interfaces/asyncapi.py`) is built from it, from HANDLERS_MAP (what the
consumer accepts) and from the envelope. To publish a new event, give it a TypedDict that its
`payload()` builds and add one line here; tests/contracts/ fail for an event name the code
spells out that has no schema (docs/contracts.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NotRequired, get_type_hints

import typing_extensions
from pydantic import TypeAdapter
from pydantic.json_schema import DEFAULT_REF_TEMPLATE

from app.domain.audit.entry import AUDIT_RECORDED, AuditRecordedData
from app.domain.users.events import (
    PasswordResetRequestedData,
    ProfileUpdatedData,
    RegisteredData,
    RolesChangedData,
    UserData,
    UserDeactivated,
    UserPasswordChanged,
    UserPasswordResetRequested,
    UserProfileUpdated,
    UserReactivated,
    UserRegistered,
    UserRolesChanged,
)

# `<context>.<what happened>.v<N>`: an incompatible change of `data` is a new N (docs/contracts.md).
EVENT_NAME = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$")


PUBLISHED: Mapping[str, type[Mapping[str, object]]] = {
    UserRegistered.name: RegisteredData,
    UserProfileUpdated.name: ProfileUpdatedData,
    UserDeactivated.name: UserData,
    UserReactivated.name: UserData,
    UserRolesChanged.name: RolesChangedData,
    UserPasswordChanged.name: UserData,
    UserPasswordResetRequested.name: PasswordResetRequestedData,
    AUDIT_RECORDED: AuditRecordedData,
}


def data_schema(
    payload: type[Mapping[str, object]] | TypeAdapter[Any], ref_template: str = DEFAULT_REF_TEMPLATE
) -> dict[str, Any]:
    """The JSON Schema of an event's `data`, from its TypedDict or its consumer's adapter."""
    adapter = payload if isinstance(payload, TypeAdapter) else TypeAdapter(_readable(payload))
    return adapter.json_schema(ref_template=ref_template)


def _readable(payload: type[Mapping[str, object]]) -> Any:
    """The TypedDict as pydantic reads it before Python 3.12: a typing_extensions one (the
    domain uses typing's, the standard library's)."""
    hints = get_type_hints(payload)
    required = getattr(payload, "__required_keys__", frozenset(hints))
    fields = {key: hint if key in required else NotRequired[hint] for key, hint in hints.items()}
    # mypy wants a literal name for a TypedDict: this one is made at run time.
    readable = typing_extensions.TypedDict(payload.__name__, fields)  # type: ignore[misc]
    readable.__doc__ = payload.__doc__
    return readable
