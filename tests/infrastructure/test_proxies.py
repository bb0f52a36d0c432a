"""The client-address rule behind trusted proxies (TRUSTED_PROXIES), as a pure function."""

from __future__ import annotations

import pytest

from app.infrastructure.proxies import NO_PROXIES, TrustedProxies

BALANCER = TrustedProxies.parse(["10.0.0.0/8", "2001:db8::/32"])


def test_without_trusted_proxies_a_forged_header_changes_nothing():
    assert NO_PROXIES.client("203.0.113.7", ["198.51.100.1"]) == "203.0.113.7"


def test_an_untrusted_peer_is_the_client_whatever_it_forwards():
    assert BALANCER.client("203.0.113.7", ["10.0.0.1, 198.51.100.1"]) == "203.0.113.7"


def test_a_trusted_peer_forwards_the_address_it_saw():
    assert BALANCER.client("10.0.0.5", ["198.51.100.1"]) == "198.51.100.1"


def test_the_right_most_untrusted_hop_wins_over_what_the_client_wrote_itself():
    forged_then_real = ["1.1.1.1, 198.51.100.1", "10.0.0.9"]
    assert BALANCER.client("10.0.0.5", forged_then_real) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_only_is_answered_with_its_farthest_hop():
    assert BALANCER.client("10.0.0.5", ["10.1.1.1, 10.2.2.2"]) == "10.1.1.1"


def test_a_trusted_peer_without_the_header_is_the_client():
    assert BALANCER.client("10.0.0.5", []) == "10.0.0.5"


@pytest.mark.parametrize("garbage", ["", "unknown", "not-an-ip", "999.1.1.1", "_hidden"])
def test_a_hop_that_is_not_an_address_stops_at_the_proxy_that_passed_it(garbage):
    assert BALANCER.client("10.0.0.5", [f"198.51.100.1, {garbage}"]) == "10.0.0.5"


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("2001:db8::1", ["2001:db8::2, [2001:db9::7]:4711"], "2001:db9::7"),
        ("::ffff:10.0.0.5", ["198.51.100.1:5555"], "198.51.100.1"),
        ("10.0.0.5", ["::ffff:198.51.100.1"], "198.51.100.1"),
    ],
)
def test_ports_brackets_and_ipv4_mapped_addresses_are_understood(peer, forwarded, client):
    assert BALANCER.client(peer, forwarded) == client


def test_a_single_address_is_a_network_of_one():
    proxies = TrustedProxies.parse(["192.0.2.7"])
    assert proxies.client("192.0.2.7", ["198.51.100.1"]) == "198.51.100.1"
    assert proxies.client("192.0.2.8", ["198.51.100.1"]) == "192.0.2.8"


def test_a_unix_socket_peer_is_never_a_trusted_proxy():
    assert BALANCER.client("unix:/run/app.sock", ["198.51.100.1"]) == "unix:/run/app.sock"
