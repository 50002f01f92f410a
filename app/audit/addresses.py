"""The client address of a request, as the audit trail and the rate limits see it."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


def client_address(peer: str | None, forwarded_for: str | None, trusted_proxies: Iterable[str]) -> str | None:
    """The socket peer, unless it is a trusted proxy: then the nearest untrusted hop of
    X-Forwarded-For (read from the right, since a client can write anything on the left)."""
    trusted = list(trusted_proxies)
    if not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def _is_trusted(address: str | None, trusted: list[str]) -> bool:
    if address is None:
        return False
    if "*" in trusted or address in trusted:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
