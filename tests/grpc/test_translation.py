"""Pure translation helpers of the gRPC interface."""

from __future__ import annotations

import pytest

from app.domain.shared import AuthenticationError
from app.interfaces.grpc import convert
from app.interfaces.grpc.interceptors import current_principal, peer_address


class Peer:
    def __init__(self, peer: str) -> None:
        self._peer = peer

    def peer(self) -> str:
        return self._peer

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return ()


@pytest.mark.parametrize(
    ("peer", "address"),
    [
        ("ipv4:127.0.0.1:50123", "127.0.0.1"),
        ("ipv6:[::1]:50123", "::1"),
        ("unix:/tmp/grpc.sock", "unix:/tmp/grpc.sock"),
        ("", "unknown"),
    ],
)
def test_the_client_address_drops_the_port_so_rate_limits_count_per_host(peer, address):
    assert peer_address(Peer(peer)) == address


def test_a_missing_timestamp_stays_unset():
    assert convert.timestamp(None) is None


def test_a_protected_method_without_an_authenticated_caller_is_refused():
    with pytest.raises(AuthenticationError):
        current_principal()
