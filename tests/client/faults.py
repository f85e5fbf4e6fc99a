"""Fault injection at the HTTP transport: the client under test talks to the real backend
through this wrapper, which can drop, delay, truncate or answer a request itself.

Rules are matched in order; each applies `times` times, then falls away, so a test scripts
"the first two GETs of /runs/changes fail, then everything is normal".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

Fault = Callable[[httpx.Request, httpx.AsyncBaseTransport], Awaitable[httpx.Response]]


def drop() -> Fault:
    """The request never reaches the server (connection refused / reset before sending)."""

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        raise httpx.ConnectError("injected: dropped", request=request)

    return apply


def delay(seconds: float) -> Fault:
    """The answer arrives late (after `seconds`), then normally."""

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        await asyncio.sleep(seconds)
        return await inner.handle_async_request(request)

    return apply


def stall(seconds: float) -> Fault:
    """Nothing happens for `seconds`, then a read timeout, as a dead link looks to httpx."""

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        await asyncio.sleep(seconds)
        raise httpx.ReadTimeout("injected: stalled", request=request)

    return apply


def truncate(keep: int) -> Fault:
    """The server answers but only the first `keep` bytes of the body arrive."""

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        response = await inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding")
        ]
        return httpx.Response(response.status_code, headers=headers, content=body[:keep])

    return apply


def answer(
    status: int,
    *,
    retry_after: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b'{"error": {"code": "server_error", "message": "injected"}}',
) -> Fault:
    """The request is answered by a broken proxy in front of the server; it never arrives."""

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = retry_after
        return httpx.Response(
            status, headers={"Content-Type": "application/json", **extra}, content=body
        )

    return apply


def commit_then_drop() -> Fault:
    """The server receives and commits the request, then the answer is lost on the way back."""

    async def apply(request: httpx.Request, inner: httpx.AsyncBaseTransport) -> httpx.Response:
        response = await inner.handle_async_request(request)
        await response.aread()
        await response.aclose()
        raise httpx.ReadError(
            "injected: connection lost after the server answered", request=request
        )

    return apply


@dataclass
class Rule:
    fault: Fault
    method: str | None
    path_contains: str | None
    times: int | None  # None: forever

    def matches(self, request: httpx.Request) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method and request.method != self.method:
            return False
        return not self.path_contains or self.path_contains in request.url.path


@dataclass
class FaultTransport(httpx.AsyncBaseTransport):
    """Forwards to a real transport unless a rule claims the request. Records every request."""

    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    rules: list[Rule] = field(default_factory=list)
    seen: list[httpx.Request] = field(default_factory=list)

    def add(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
    ) -> FaultTransport:
        self.rules.append(Rule(fault, method, path, times))
        return self

    def requests_to(self, path_contains: str, method: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.seen
            if path_contains in r.url.path and (method is None or r.method == method)
        ]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        for rule in self.rules:
            if rule.matches(request):
                if rule.times is not None:
                    rule.times -= 1
                return await rule.fault(request, self.inner)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class SleepRecorder:
    """Stands in for `asyncio.sleep` in the client's retry loop: records the waits it was asked
    for (so a test can check Retry-After and backoff) and yields without waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)
