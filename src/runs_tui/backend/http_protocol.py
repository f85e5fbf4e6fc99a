"""uvicorn's h11 protocol with a deadline for a request's headers.

uvicorn times out idle keep-alive connections, but not a client that opens a connection and
sends its request line and headers slowly or never finishes them: any byte cancels the
keep-alive timer, and nothing replaces it. Each request's headers must now be complete within
`HEADER_TIMEOUT` seconds of the connection opening (or of the previous answer); otherwise the
connection is closed. The body has its own deadline (`limits.BoundedRequests`).
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0


class HeaderDeadlineProtocol(H11Protocol):
    header_timeout: float = HEADER_TIMEOUT
    _headers_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are in: the request is the app's now

    def on_response_complete(self) -> None:
        self._arm()  # before: the next cycle may start (and disarm) inside
        super().on_response_complete()

    def _arm(self) -> None:
        self._disarm()
        self._headers_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
            self._headers_timer = None

    def _headers_late(self) -> None:
        self._headers_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def with_header_timeout(seconds: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for one server, with its own deadline (tests use a short one)."""
    return type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout": seconds})
