"""The broker probe sees an outage: cut after a healthy answer, health names `broker` at once.

Every connection to the broker goes through a TCP proxy that the test cuts (open connections
reset, new ones refused) and then restores; for Kafka the broker advertises the proxy's
address, so the connections after the bootstrap go through it too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.config.settings import MessageBroker, Settings
from app.container import build_container
from app.interfaces.api.app import create_app
from tests.conftest import settings_with
from tests.messaging.conftest import Tansu, eventually
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

OUTAGE_NOTICED_WITHIN = 5.0  # seconds
RECOVERED_WITHIN = 15.0


@asynccontextmanager
async def proxied(settings: Settings) -> AsyncIterator[tuple[Settings, TcpProxy]]:
    """The settings' broker behind a proxy: the settings to use and the proxy to cut."""
    if settings.message_broker is MessageBroker.RABBITMQ:
        async with TcpProxy("127.0.0.1", 5672) as proxy:
            url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/"
            yield settings_with(settings, message_broker_url=url), proxy
        return
    broker = Tansu()
    async with TcpProxy("127.0.0.1", broker.port) as proxy:
        broker.advertised = f"127.0.0.1:{proxy.port}"
        broker.start()
        try:
            yield settings_with(settings, kafka_bootstrap_servers=broker.advertised), proxy
        finally:
            broker.stop()


async def _broker_status(http: httpx.AsyncClient) -> str:
    response = await http.get("/api/v1/debug/health/")
    status: str = response.json()["components"]["broker"]
    return status


async def test_health_names_the_broker_unavailable_when_it_is_cut_and_ok_once_restored(
    broker_settings,
):
    async with proxied(broker_settings) as (settings, proxy):
        container = build_container(settings)
        transport = httpx.ASGITransport(app=create_app(container), raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                assert await _broker_status(http) == "ok"
                await proxy.cut()

                async def down() -> bool:
                    return await _broker_status(http) == "unavailable"

                async def up() -> bool:
                    return await _broker_status(http) == "ok"

                await eventually(down, timeout=OUTAGE_NOTICED_WITHIN, interval=0.2)
                response = await http.get("/api/v1/debug/health/")
                assert response.status_code == 503
                await proxy.restore()
                await eventually(up, timeout=RECOVERED_WITHIN, interval=0.2)
        finally:
            await container.aclose()
