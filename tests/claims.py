"""Claim values of the wrong JSON type, for the token tests of every layer and edge."""

from __future__ import annotations

import math
from typing import Any

import pytest

# Each wrong type once; a numeric string is wrong only where a number is expected.
_ANY_CLAIM: dict[str, Any] = {
    "object": {"a": 1},
    "list": [1],
    "huge number": 10**400,
    "2**64": 2**64,
    "bool": True,
    "null": None,
    "float": 1.5,
    "infinity": math.inf,
    "nan": math.nan,
}
_TIME_CLAIMS = ("exp", "iat", "nbf")
_TEXT_CLAIMS = ("sub", "sid", "jti")


def _cases() -> list[Any]:
    cases = [
        pytest.param(claim, value, id=f"{claim}-{name}")
        for claim in (*_TIME_CLAIMS, *_TEXT_CLAIMS)
        for name, value in _ANY_CLAIM.items()
    ]
    cases += [pytest.param(claim, "1700000000", id=f"{claim}-string") for claim in _TIME_CLAIMS]
    cases += [pytest.param(claim, 5, id=f"{claim}-int") for claim in _TEXT_CLAIMS]
    return cases


WRONG_CLAIM_TYPES = _cases()
