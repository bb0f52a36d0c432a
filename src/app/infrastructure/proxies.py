"""The client's address behind trusted proxies: one rule for every edge (REST and gRPC)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Self

Address = IPv4Address | IPv6Address


@dataclass(frozen=True, slots=True)
class TrustedProxies:
    """The networks whose `X-Forwarded-For` is believed (TRUSTED_PROXIES); none by default."""

    networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Self:
        """From addresses and CIDR networks (`10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`)."""
        return cls(tuple(ip_network(entry, strict=False) for entry in entries))

    def client(self, peer: str, forwarded_for: Sequence[str] = ()) -> str:
        """The socket peer; when it is a trusted proxy, the right-most X-Forwarded-For hop that
        is not itself one. Hops left of that were written by the client and prove nothing."""
        if not self._trusts(peer):  # the default: what an untrusted peer forwards is not read
            return peer
        address = peer
        hops = [hop for value in forwarded_for for hop in value.split(",")]
        while hops and self._trusts(address):
            hop = _address(hops.pop())
            if hop is None:  # a trusted proxy passed on something that is no address: stop there
                break
            address = str(hop)
        return address

    def _trusts(self, address: str) -> bool:
        if not self.networks:  # no parsing at all on the hot path of the default
            return False
        parsed = _address(address)
        return parsed is not None and any(parsed in network for network in self.networks)


NO_PROXIES = TrustedProxies()


def _address(text: str) -> Address | None:
    """An address, with an IPv4 port or IPv6 brackets dropped; IPv4-mapped IPv6 as IPv4."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        parsed = ip_address(text)
    except ValueError:
        return None
    if isinstance(parsed, IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed
