"""Where webhooks may go, and the HTTP session that takes them there (X6).

An integrator chooses the URL, so it must not reach our own network: with
WEBHOOKS_ALLOW_PRIVATE_URLS off (production) a URL must be https, and every address its
host resolves to must be public (not private, loopback, link-local, multicast, reserved or
unspecified). The check runs when the endpoint is saved, and again on every connection:
`guarded_session` resolves the host and checks the very address it connects to, so a DNS
answer that changes after the first check (DNS rebinding) cannot reach a private address.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class UnsafeURL(ValueError):
    """A webhook URL we refuse to call; the message says why (no secret in it)."""


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def public_addresses(host: str, port: int) -> list[tuple[int, Any]]:
    """(family, sockaddr) for every address of `host`; raises UnsafeURL if any is not
    public or the name does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(f"the host {host} does not resolve") from error
    if not infos:
        raise UnsafeURL(f"the host {host} does not resolve")
    for _, _, _, _, sockaddr in infos:
        if not _is_public(str(sockaddr[0])):
            raise UnsafeURL(f"the host {host} resolves to a private or reserved address")
    return [(family, sockaddr) for family, _, _, _, sockaddr in infos]


def url_check(url: str, *, resolve: bool = True) -> None:
    """Raise UnsafeURL unless `url` may receive webhooks under the current settings.
    `resolve=False` checks the URL only: a delivery leaves the addresses to
    `webhook_session`, which resolves the host once and checks the address it connects to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("the URL must start with https:// and name a host")
    if parts.username or parts.password:
        raise UnsafeURL("the URL must not carry a user name or password")
    if private_urls_allowed():
        return
    if parts.scheme != "https":
        raise UnsafeURL("the URL must use https")
    if resolve:
        public_addresses(parts.hostname, parts.port or 443)


class _GuardedConnectionMixin:
    """Connects only to a public address of the host, the one it checked."""

    _dns_host: str
    port: int
    timeout: Any

    def _new_conn(self) -> socket.socket:
        timeout = self.timeout if isinstance(self.timeout, int | float) else None
        last_error: OSError | None = None
        for family, sockaddr in public_addresses(self._dns_host, self.port):
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(sockaddr)
            except OSError as error:
                sock.close()
                last_error = error
                continue
            return sock
        raise last_error or OSError("no address to connect to")


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {  # type: ignore[attr-defined]
            "http": _GuardedHTTPPool,
            "https": _GuardedHTTPSPool,
        }


def webhook_session() -> requests.Session:
    """A session for one delivery: no proxies from the environment, no redirects followed
    by the caller, and, unless private URLs are allowed, connections to public addresses
    only."""
    session = requests.Session()
    session.trust_env = False
    if not private_urls_allowed():
        adapter = _GuardedAdapter()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
