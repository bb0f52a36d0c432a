"""What can go wrong with ${c.words}, as subclasses of the contract's error kinds."""

from __future__ import annotations

from app.domain.shared import NotFoundError, ValidationError


class Invalid${c.Entity}(ValidationError):
    """A field of ${c.an_entity} has a bad value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[(field, message)])
        self.field = field


class ${c.Entity}NotFound(NotFoundError):
    def __init__(self) -> None:
        super().__init__("${c.Entity_words} not found")
