"""Per-request context that travels with the use case (set by interfaces, read by adapters)."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

# The id of the REST/gRPC request or message that caused the current use case; outbox rows
# carry it as the envelope's correlation_id, and every error of the request reports it as error_id.
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
# Who sent it: the client's address as the edge found it (behind trusted proxies, the address
# they forwarded), for the audit trail; empty outside a request.
client_address: ContextVar[str] = ContextVar("client_address", default="")

# A caller's own id is kept when it is this safe for a log line and a header; else one is made.
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)


def request_id_or_new(given: str) -> str:
    """The caller's request id when it matches REQUEST_ID_PATTERN, else a new 32-hex one."""
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def current_error_id() -> str:
    """The error_id of a failure: the current request's id (a new one outside a request)."""
    return correlation_id.get() or uuid.uuid4().hex
