"""The code of the tutorial "Add a bounded context" works, layer by layer, as the pages show it,
and the files it says its command writes and edits are the ones the command lists."""

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from orders.application import (
    CancelOrder,
    LineInput,
    OrderService,
    OrdersUnitOfWork,
    PlaceOrder,
)
from orders.domain import InvalidOrder, Order, OrderLine, OrderNotFound, OrderStatus
from sqlalchemy import select, text

from app.application.ports import OutgoingMessage
from app.infrastructure.db.tables import OutboxRow
from app.interfaces.cli.main import main
from tests.fakes import FakeDatabase, FakeUnitOfWork, FixedClock

from .conftest import run_tutorial_migration

NOW = datetime(2026, 1, 1, tzinfo=UTC)
BOOK = LineInput("book-42", 2, 1250)


def test_placing_an_order_totals_its_lines_and_records_order_placed():
    customer = uuid4()
    order = Order.place(customer, [OrderLine.parse(" book-42 ", 2, 1250)], NOW)
    assert order.lines[0].sku == "BOOK-42"
    assert order.total_cents == 2500
    [event] = order.collect_events()
    assert event.name == "orders.placed.v1"
    assert event.payload() == {
        "order_uuid": str(order.id),
        "customer_uuid": str(customer),
        "total_cents": 2500,
    }


@pytest.mark.parametrize("count", [0, 51])
def test_an_order_needs_one_to_fifty_lines(count):
    with pytest.raises(InvalidOrder) as error:
        Order.place(uuid4(), [OrderLine.parse("A", 1, 1)] * count, NOW)
    assert error.value.errors == [("lines", "1 to 50 lines")]


@pytest.mark.parametrize(
    ("sku", "quantity", "price", "field"),
    [
        ("", 1, 1, "sku"),
        ("A" * 33, 1, 1, "sku"),
        ("A", 0, 1, "quantity"),
        ("A", 1, -1, "unit_price_cents"),
    ],
)
def test_a_line_rejects_a_bad_value_naming_its_field(sku, quantity, price, field):
    with pytest.raises(InvalidOrder) as error:
        OrderLine.parse(sku, quantity, price)
    assert error.value.errors[0][0] == field


def test_cancelling_twice_records_one_event():
    order = Order.place(uuid4(), [OrderLine.parse("A", 1, 1)], NOW)
    order.collect_events()
    order.cancel(NOW)
    order.cancel(NOW)
    assert order.status is OrderStatus.CANCELLED
    assert [e.name for e in order.collect_events()] == ["orders.cancelled.v1"]


class FakeOrders:
    def __init__(self, store: dict) -> None:
        self.store, self.seen = store, {}

    async def get(self, order_id):
        order = self.store.get(order_id)
        if order is not None:
            self.seen[order.id] = order
        return order

    def add(self, order: Order) -> None:
        self.seen[order.id] = order


class FakeOrdersUnitOfWork(FakeUnitOfWork):
    def __init__(self, db: FakeDatabase, store: dict) -> None:
        super().__init__(db)
        self.orders = FakeOrders(store)

    async def commit(self) -> None:
        for order in self.orders.seen.values():
            self.orders.store[order.id] = order
            self.outbox.pending += [
                OutgoingMessage(event=e.name, data=e.payload(), occurred_at=e.occurred_at)
                for e in order.collect_events()
            ]
        await super().commit()


@pytest.fixture
def fake():
    db, store = FakeDatabase(), {}

    def uow() -> OrdersUnitOfWork:
        return FakeOrdersUnitOfWork(db, store)

    return db, OrderService(uow, FixedClock(NOW))


async def test_the_service_places_an_order_in_one_commit_with_its_event(fake):
    db, service = fake
    view = await service.place(PlaceOrder(uuid4(), [BOOK]))
    assert (view.status, view.total_cents, view.placed_at) == ("placed", 2500, NOW)
    assert db.commits == 1
    assert [(m.event, m.data["order_uuid"]) for m in db.messages] == [
        ("orders.placed.v1", str(view.uuid))
    ]


async def test_an_invalid_line_commits_nothing(fake):
    db, service = fake
    with pytest.raises(InvalidOrder):
        await service.place(PlaceOrder(uuid4(), [LineInput("A", 0, 1)]))
    assert db.commits == 0


async def test_someone_elses_order_is_not_found(fake):
    _, service = fake
    view = await service.place(PlaceOrder(uuid4(), [BOOK]))
    with pytest.raises(OrderNotFound):
        await service.get(uuid4(), view.uuid)
    with pytest.raises(OrderNotFound):
        await service.cancel(CancelOrder(uuid4(), view.uuid))


async def test_the_service_cancels_and_publishes_order_cancelled(fake):
    db, service = fake
    customer = uuid4()
    view = await service.place(PlaceOrder(customer, [BOOK]))
    cancelled = await service.cancel(CancelOrder(customer, view.uuid))
    assert cancelled.status == "cancelled"
    assert [m.event for m in db.messages] == ["orders.placed.v1", "orders.cancelled.v1"]


async def test_postgres_round_trips_an_order_and_writes_its_event_to_the_outbox(orders_container):
    customer = uuid4()
    lines = [BOOK, LineInput("PEN", 3, 99)]
    placed = await orders_container.orders.place(PlaceOrder(customer, lines))
    assert await orders_container.orders.get(customer, placed.uuid) == placed
    async with orders_container.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxRow).where(OutboxRow.ordering_key == str(placed.uuid))
            )
        ).all()
    assert [(row.event, row.payload["total_cents"]) for row in rows] == [("orders.placed.v1", 2797)]


async def test_postgres_keeps_a_cancelled_order_cancelled(orders_container):
    customer = uuid4()
    placed = await orders_container.orders.place(PlaceOrder(customer, [BOOK]))
    await orders_container.orders.cancel(CancelOrder(customer, placed.uuid))
    again = await orders_container.orders.cancel(CancelOrder(customer, placed.uuid))
    assert again.status == "cancelled"
    assert (await orders_container.orders.get(customer, placed.uuid)).status == "cancelled"


async def _sign_in(client, email: str) -> dict[str, str]:
    body = {"email": email, "password": "password1"}
    assert (await client.post("/auth/sign-up/", json=body)).status_code == 201
    tokens = (await client.post("/auth/tokens/", json=body)).json()
    return {"Authorization": f"Bearer {tokens['access']}"}


async def test_the_rest_routes_place_read_and_cancel_an_order(orders_client):
    auth = await _sign_in(orders_client, f"ada-{uuid4().hex}@example.com")
    body = {"lines": [{"sku": "BOOK-42", "quantity": 2, "unit_price_cents": 1250}]}
    created = await orders_client.post("/orders/", json=body, headers=auth)
    assert created.status_code == 201, created.text
    order = created.json()
    assert (order["status"], order["total_cents"]) == ("placed", 2500)
    read = await orders_client.get(f"/orders/{order['uuid']}/", headers=auth)
    assert read.json() == order
    cancelled = await orders_client.post(f"/orders/{order['uuid']}/cancel/", headers=auth)
    assert cancelled.json()["status"] == "cancelled"


async def test_the_rest_routes_answer_problems_for_bad_requests(orders_client):
    auth = await _sign_in(orders_client, f"bob-{uuid4().hex}@example.com")
    other = await _sign_in(orders_client, f"eve-{uuid4().hex}@example.com")
    body = {"lines": [{"sku": "BOOK-42", "quantity": 1, "unit_price_cents": 1}]}
    order = (await orders_client.post("/orders/", json=body, headers=auth)).json()

    hidden = await orders_client.get(f"/orders/{order['uuid']}/", headers=other)
    assert (hidden.status_code, hidden.json()["type"]) == (404, "urn:problem:not-found")
    bad = {"lines": [{"sku": "A", "quantity": 0, "unit_price_cents": 1}]}
    invalid = await orders_client.post("/orders/", json=bad, headers=auth)
    assert invalid.status_code == 422
    assert invalid.headers["content-type"].startswith("application/problem+json")
    assert (await orders_client.post("/orders/", json=body)).status_code == 401
    assert (await orders_client.get("/orders/not-a-uuid/", headers=auth)).status_code == 422


async def test_the_tutorial_migration_downgrades_and_upgrades_again(
    orders_settings, orders_container
):
    await run_tutorial_migration(orders_settings, "downgrade")
    try:
        assert await _table(orders_container) is None
    finally:
        await run_tutorial_migration(orders_settings, "upgrade")
    assert await _table(orders_container) == "orders"


async def _table(container) -> str | None:
    async with container.engine.connect() as conn:
        return await conn.scalar(text("SELECT to_regclass('orders')::text"))


TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
# The migration's name holds the day and the revision it is made on.
_MIGRATION = re.compile(r"(/migrations/versions/)\d{8}_\d+_")


def _tutorial_section(title: str) -> str:
    return TUTORIAL.read_text().split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def _listed(title: str) -> list[str]:
    """The files of one of the tutorial's tables, in its order."""
    return re.findall(r"^\| `([^`]+)` \|", _tutorial_section(title), re.M)


def test_the_tutorial_lists_exactly_the_files_its_command_writes_and_edits(capsys):
    command = re.search(r"```sh\n(.*?)```", _tutorial_section("1. The command"), re.S)
    assert command is not None
    words = shlex.split(command[1].replace("\\\n", " "))
    assert words[:3] == [".venv/bin/app", "scaffold", "context"]
    assert main([*words[1:], "--dry-run"]) == 0
    listing = capsys.readouterr().out.splitlines()[1:]
    written = [
        _MIGRATION.sub(r"\1<date>_<revision>_", line[6:])
        for line in listing
        if line.startswith("write ")
    ]
    edited = [line[6:] for line in listing if line.startswith("edit  ")]
    assert sorted(written) == sorted(_listed("2. What it writes"))
    assert edited == _listed("3. What it edits")  # in the order of the layers
