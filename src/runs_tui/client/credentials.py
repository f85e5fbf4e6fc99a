"""The token is a credential for one origin, and TLS stays on.

The bearer token is attached by an auth hook that checks each request's origin (redirects
are never followed anyway), kept out of reprs, and redacted by a logging filter should any
library ever log it. A URL that would send it in clear text to another host is refused.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
from collections.abc import Generator

import httpx

from runs_tui.errors import Refused


class TokenRedactor(logging.Filter):
    """Replaces any registered secret in a log record; installed on the HTTP stack's loggers."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def register(self, secret: str) -> None:
        if secret:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


REDACTOR = TokenRedactor()
REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "runs_tui",
    "runs_tui.client",
    "runs_tui.client.runs_client",
    "runs_tui.sync",
    "runs_tui.service",
)
for _name in REDACTED_LOGGERS:
    logging.getLogger(_name).addFilter(REDACTOR)


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    default_port = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default_port


class BearerAuth(httpx.Auth):
    """Adds the token only to requests for the configured origin."""

    def __init__(self, token: str, origin: tuple[str, str, int | None]) -> None:
        self._token = token
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._token and origin_of(request.url) == self._origin:
            request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "<BearerAuth ***>"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_backend_url(url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """Refuse configurations that would leak the token: no userinfo, no plain http off-host."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise Refused(
            f"backend URL must be http(s)://host[:port], got {parsed.scheme or 'no'} scheme"
        )
    if parsed.userinfo:
        raise Refused("backend URL must not carry credentials; configure a token instead")
    if parsed.scheme == "http" and not allow_insecure_http and not is_loopback(parsed.host):
        raise Refused(
            f"plain http to the non-loopback host {parsed.host} would expose the token; "
            "use https, or allow insecure http explicitly in the profile"
        )
    return parsed


def tls_verify(verify: bool, ca_path: str | None) -> ssl.SSLContext | bool:
    """A custom CA replaces the system store for this backend; verification stays on."""
    if not ca_path:
        return verify
    try:
        return ssl.create_default_context(cafile=ca_path)
    except (OSError, ssl.SSLError) as exc:
        raise Refused(f"cannot use the CA file {ca_path}: {exc.strerror or exc}") from None
