"""Per-process abuse limits: joins per client address per second, availability WebSockets per
client address, and event ids recently found unknown (answered 404 without PostgreSQL).

Each process counts on its own, so a fleet of N replicas admits up to N times a limit from one
address; that bounds what one client costs a replica, which is what the limits are for.
"""

import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ticketing.config import LimitSettings
from ticketing.errors import ApiError

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# For a server whose load all comes from one address on purpose (the demo's surge, the benchmark,
# the test suite): the per-address limits off.
PER_ADDRESS_LIMITS_OFF = {
    "TICKETING_JOINS_PER_IP_PER_SECOND": "0",
    "TICKETING_WEBSOCKETS_PER_IP": "0",
}
# Bounds the unknown-id memory against a scan of random ids: past this many it starts afresh.
MAX_UNKNOWN_EVENTS = 100_000


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[IpNetwork, ...]
) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy (the ALB), whose
    `X-Forwarded-For` names it. Proxies append the address they received from, so the last entry
    that is not itself a trusted proxy is the client; anything before it the client could write."""
    if peer is None:
        return "unknown"
    if not forwarded_for or not _is_trusted(peer, trusted_proxies):
        return peer
    address = peer
    for entry in reversed(forwarded_for.split(",")):
        address = entry.strip()
        if not _is_trusted(address, trusted_proxies):
            break
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:  # a malformed entry: the proxy's own peer is all that is known
        return peer


def _is_trusted(address: str, trusted_proxies: tuple[IpNetwork, ...]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in trusted_proxies)


def too_many(detail: str, retry_after: int) -> ApiError:
    return ApiError(429, "rate_limited", detail, retry_after)


class JoinRate:
    """Joins per address in the current second (a fixed window, forgotten as the second ends);
    `per_second` 0 is no limit, and callers then skip `check`."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._second = 0
        self._counts: dict[str, int] = {}

    def check(self, address: str) -> None:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._counts = second, {}
        count = self._counts.get(address, 0) + 1
        self._counts[address] = count
        if count > self.per_second:
            raise too_many(f"at most {self.per_second} queue joins per second from one address", 1)


class SocketCount:
    """Open availability WebSockets per address."""

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self._open: dict[str, int] = {}

    @contextmanager
    def held(self, address: str) -> Iterator[None]:
        """Counts one socket while the block runs; 429 when the address has its maximum open."""
        count = self._open.get(address, 0)
        if self.per_address and count >= self.per_address:
            raise too_many(
                f"at most {self.per_address} availability WebSockets from one address", 5
            )
        self._open[address] = count + 1
        try:
            yield
        finally:
            remaining = self._open.pop(address) - 1
            if remaining:
                self._open[address] = remaining


class UnknownEvents:
    """Event ids PostgreSQL did not have, remembered for `ttl_seconds`."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._until: dict[str, float] = {}

    def known_unknown(self, event_id: str) -> bool:
        until = self._until.get(event_id)
        if until is None:
            return False
        if until > time.monotonic():
            return True
        del self._until[event_id]
        return False

    def remember(self, event_id: str) -> None:
        if not self.ttl_seconds:
            return
        if len(self._until) >= MAX_UNKNOWN_EVENTS:
            self._until = {}
        self._until[event_id] = time.monotonic() + self.ttl_seconds

    def forget(self, event_id: str) -> None:
        self._until.pop(event_id, None)


class Limits:
    """The limits of one process, from its settings."""

    def __init__(self, settings: LimitSettings) -> None:
        self.trusted_proxies = settings.trusted_proxies
        self.joins = JoinRate(settings.joins_per_ip_per_second)
        self.sockets = SocketCount(settings.websockets_per_ip)
        self.unknown_events = UnknownEvents(settings.unknown_event_ttl_seconds)

    def address_of(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_address(peer, forwarded_for, self.trusted_proxies)
