"""The api image's HEALTHCHECK asks for liveness: it stays healthy while a dependency is down."""

import re
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import client_on, settings_with

DOCKERFILE = (Path(__file__).resolve().parents[2] / ".launch" / "Dockerfile").read_text()


def _healthcheck_path() -> str:
    instruction = re.search(r"^HEALTHCHECK .+?CMD (.+)$", DOCKERFILE, re.MULTILINE | re.DOTALL)
    assert instruction, "the Dockerfile has no HEALTHCHECK"
    url = re.search(r"https?://[^'\"\s]+", instruction.group(1))
    assert url, "the HEALTHCHECK polls no URL"
    return urlsplit(url.group(0)).path


def test_the_healthcheck_polls_liveness():
    assert _healthcheck_path() == "/livez"


async def test_the_healthcheck_path_answers_200_while_redis_is_down(settings):
    async with client_on(
        settings_with(settings, redis_url="redis://127.0.0.1:1/0"), "http://test"
    ) as http:
        response = await http.get(_healthcheck_path())
    assert response.status_code == 200
