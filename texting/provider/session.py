"""The HTTP session of the provider client: reads the environment once per host.

requests looks up the proxy variables (`HTTPS_PROXY`, `NO_PROXY`, …) and the CA bundle
variables on every request, walking the whole environment each time: about a millisecond
of CPU per text sent, for an answer that does not change while the process runs. This
session asks requests once per scheme and host and keeps the answer, so proxies and
`NO_PROXY` still apply per host exactly as requests decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

if TYPE_CHECKING:
    from requests.sessions import _Settings


class EnvironmentOnceSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], _Settings] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        parts = urlsplit(str(url))
        asked = tuple(sorted((proxies or {}).items()))
        key = (parts.scheme, parts.netloc, stream, verify, cert, asked)
        settings = self._environment.get(key)
        if settings is None:
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            self._environment[key] = settings
        # A copy: requests may change the proxies it is given.
        return {**settings, "proxies": dict(settings["proxies"])}
