"""Bounds on what one request may cost before the API sees it: body size and body time.

The body is read here, whole, before the app runs: a `Content-Length` over the limit is refused
with 413 without reading a byte, a chunked body is counted as it arrives and refused the moment
it passes the limit, and a body that stops arriving (a chunked body never ended, a
`Content-Length` longer than what was sent) is answered 408 with `Connection: close` once the
deadline passes, so it cannot hold a connection and a task open forever. The app then reads the
buffered body as usual; later `receive()` calls (a stream waiting for the disconnect) go to the
server.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024  # a bulk delete of 10,000 ids is ~400 KB
DEFAULT_BODY_TIMEOUT = 30.0


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BoundedRequests:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await asyncio.wait_for(self._read_body(scope, receive), self.body_timeout)
        except _Refused as refusal:
            await _refuse(send, refusal.status, str(refusal))
            return
        except TimeoutError:
            await _refuse(
                send, 408, f"the request body did not arrive within {self.body_timeout:g}s"
            )
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            raise _Refused(413, f"the request body is larger than {self.max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Refused(400, "the client went away before sending its body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _Refused(413, f"the request body is larger than {self.max_body_bytes} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses such a request before it reaches us
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _refuse(send: Send, status: int, message: str) -> None:
    """The `ApiError` JSON, written by hand: this layer sits below FastAPI's handlers. The
    connection is closed after it, since the rest of the body may still be on the wire."""
    code = "invalid"
    body = json.dumps(
        {"error": {"code": code, "message": message, "run_id": None, "details": {}}}
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
