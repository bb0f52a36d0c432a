<%
    E, e, N = c.Entity, c.entity, c.name
%>\


class Fake${E}Repository:
    """Hands out copies of the stored ${c.words}, as the SQL repository hands out fresh aggregates."""

    def __init__(self, store: dict[${E}Id, ${E}]) -> None:
        self.store = store
        self.seen: dict[${E}Id, ${E}] = {}
        self.removed: set[${E}Id] = set()

    async def get(self, ${e}_id: ${E}Id) -> ${E} | None:
        stored = self.store.get(${e}_id)
        return None if stored is None else self.seen.setdefault(stored.id, deepcopy(stored))

    def add(self, ${e}: ${E}) -> None:
        self.seen[${e}.id] = ${e}

    async def remove(self, ${e}: ${E}) -> None:
        self.removed.add(${e}.id)


class Fake${c.Entities}UnitOfWork(FakeUnitOfWork):
    """FakeUnitOfWork with the ${c.words}: at commit their events become outbox messages, as in
    the SQL unit of work."""

    def __init__(self, db: FakeDatabase, ${N}: dict[${E}Id, ${E}]) -> None:
        super().__init__(db)
        self.${N} = Fake${E}Repository(${N})

    async def commit(self) -> None:
        for ${e} in self.${N}.seen.values():
            self.outbox.pending += [
                OutgoingMessage(
                    id=event.event_id,
                    event=event.name,
                    data=event.payload(),
                    occurred_at=event.occurred_at,
                    key=event.aggregate_id,
                )
                for event in ${e}.collect_events()
            ]
        await super().commit()
        for ${e}_id, ${e} in self.${N}.seen.items():
            if ${e}_id in self.${N}.removed:
                self.${N}.store.pop(${e}_id, None)
            else:
                self.${N}.store[${e}_id] = deepcopy(${e})


class Fake${c.Entities}:
    """The ${c.words} of one FakeDatabase: units of work over them, and their read side (the
    filter DSL is PostgreSQL's: here every query matches every ${c.entity_words}, in order)."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.store: dict[${E}Id, ${E}] = {}

    def uow(self) -> Fake${c.Entities}UnitOfWork:
        return Fake${c.Entities}UnitOfWork(self.db, self.store)

    async def first(self, filters: Mapping[str, Any]) -> dict[str, Any] | None:
        return next(iter(self._rows(filters)), None)

    async def page(
        self, query: ListQuery, scope: Mapping[str, Any] | None = None
    ) -> Page[dict[str, Any]]:
        rows = self._rows(scope or {})
        return Page(items=rows, total=len(rows), limit=len(rows), offset=0, next=None)

    def _rows(self, equal: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows whose fields equal `equal`'s values (the fake's stand-in for `field=value`)."""
        rows = [asdict(${E}View.of(${e})) for ${e} in self.store.values()]
        return [row for row in rows if all(row[key] == value for key, value in equal.items())]
