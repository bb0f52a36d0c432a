

class ${c.Entity}Repository(Protocol):
    async def get(self, ${c.entity}_id: ${c.Entity}Id) -> ${c.Entity} | None:
        """The ${c.entity_words}, locked until the transaction ends: changes of one run one after another."""
        ...

    def add(self, ${c.entity}: ${c.Entity}) -> None: ...

    async def remove(self, ${c.entity}: ${c.Entity}) -> None:
        """Delete the ${c.entity_words} at commit; the events it recorded are still written."""
        ...


class ${c.Entity}Search(Protocol):
    """Read side: ${c.words} as rows of ${c.Entity}View's fields, over the filter DSL."""

    async def first(self, filters: Mapping[str, Any]) -> dict[str, Any] | None: ...

    async def page(
        self, query: ListQuery, scope: Mapping[str, Any] | None = None
    ) -> Page[dict[str, Any]]:
        """`scope` adds filters the client cannot lift. Raises ValidationError naming every bad
        key, value, order field, page or cursor."""
        ...
