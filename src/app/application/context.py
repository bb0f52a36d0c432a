"""Per-request context that travels with the use case (set by interfaces, read by adapters)."""

from __future__ import annotations

from contextvars import ContextVar

# The id of the REST/gRPC request or message that caused the current use case; outbox rows
# carry it as the envelope's correlation_id.
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
