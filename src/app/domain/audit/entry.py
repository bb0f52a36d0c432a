"""An audit entry: one security-relevant act, recorded with the change it describes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID, uuid4

# The event each entry is also published as, for a SIEM to subscribe to.
AUDIT_RECORDED = "audit.recorded.v1"
# Column widths, and so the limits of what an entry keeps of each piece of context.
ACTION_MAX, REQUEST_ID_MAX, CLIENT_ADDRESS_MAX = 64, 128, 64


class AuditAction(StrEnum):
    SIGN_IN_SUCCEEDED = "auth.sign_in.succeeded"
    SIGN_IN_FAILED = "auth.sign_in.failed"
    SIGNED_OUT_EVERYWHERE = "auth.signed_out_everywhere"
    PASSWORD_CHANGED = "users.password.changed"
    PASSWORD_CHANGE_FAILED = "users.password.change_failed"
    PASSWORD_RESET_REQUESTED = "users.password.reset_requested"
    PASSWORD_RESET = "users.password.reset"
    PROFILE_CHANGED = "users.profile.changed"
    ROLES_CHANGED = "users.roles.changed"
    DEACTIVATED = "users.deactivated"
    REACTIVATED = "users.reactivated"
    SESSION_REVOKED = "sessions.revoked"


class ActorKind(StrEnum):
    USER = "user"  # an account acting on itself
    ADMIN = "admin"  # an account acting on another one, by a permission
    OPERATOR = "operator"  # `app users` on a host that holds the database
    ANONYMOUS = "anonymous"  # nobody signed in: a sign-in or a reset request


class AuditRecordedData(TypedDict):
    """One security-relevant act on an account (the audit trail's entry), for a SIEM."""

    audit_uuid: str
    action: str
    actor_kind: str
    actor_uuid: str | None
    target_uuid: str | None
    request_id: str | None
    client_address: str
    detail: dict[str, str | list[str]]
    occurred_at: str


# What `detail` may hold: short facts such as a reason, field names, roles, a session id; never
# a password, a token or a message body (the use cases choose what goes in).
Detail = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """`action` and `actor_kind` are AuditAction and ActorKind values when recorded; read back
    from the trail they are the text stored, which an older release may have written."""

    action: str
    actor_kind: str
    occurred_at: datetime
    actor_id: UUID | None = None
    target_id: UUID | None = None
    request_id: str | None = None
    client_address: str = ""
    detail: Detail = field(default_factory=dict)
    id: UUID = field(default_factory=uuid4)

    def __post_init__(self) -> None:
        # Context from the edges, cut to the column widths: an entry is never refused for it.
        if self.request_id is not None:
            object.__setattr__(self, "request_id", self.request_id[:REQUEST_ID_MAX])
        object.__setattr__(self, "client_address", self.client_address[:CLIENT_ADDRESS_MAX])

    @property
    def subject(self) -> str:
        """The account the entry is about, as its event's ordering key."""
        return str(self.target_id or self.actor_id or self.id)

    def payload(self) -> AuditRecordedData:
        """The `audit.recorded.v1` event's data."""
        return {
            "audit_uuid": str(self.id),
            "action": str(self.action),
            "actor_kind": str(self.actor_kind),
            "actor_uuid": _text(self.actor_id),
            "target_uuid": _text(self.target_id),
            "request_id": self.request_id,
            "client_address": self.client_address,
            "detail": _plain(self.detail),
            "occurred_at": self.occurred_at.isoformat(),
        }


def actor_kind_of(actor_id: UUID, target_id: UUID | None) -> ActorKind:
    """An account acting on itself (or on no account) is a user, on another one an admin."""
    return ActorKind.USER if target_id in (None, actor_id) else ActorKind.ADMIN


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _plain(detail: Detail) -> dict[str, str | list[str]]:
    return {key: value if isinstance(value, str) else list(value) for key, value in detail.items()}
