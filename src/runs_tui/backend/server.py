"""Serving the backend: the `runs-tui backend` command, and the embedded in-thread server.

Both run the same coroutine (`_serve_backend`): relay start (PostgreSQL: other replicas'
notices), engine start, optional demo seeding and traffic, uvicorn on an already-bound socket,
engine stop. A backend on SQLite holds the file's lock (`exclusive.py`) while it runs. Binding
the socket ourselves is what lets the embedded server take a free port without a race and
report its URL before it serves.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
import uvicorn

from runs_tui.backend.api import DEFAULT_HEARTBEAT_SECONDS, create_app
from runs_tui.backend.auth import token_problem
from runs_tui.backend.bus import Bus
from runs_tui.backend.clock import Clock, SystemClock
from runs_tui.backend.definitions import DefinitionError, load_definitions
from runs_tui.backend.engine import DEFAULT_LEASE_TIMEOUT, Engine
from runs_tui.backend.exclusive import DatabaseInUse, SqliteLock
from runs_tui.backend.http_protocol import HEADER_TIMEOUT, with_header_timeout
from runs_tui.backend.identities import (
    CONFIG_ENV,
    IdentityBook,
    IdentityConfigError,
    load_identity_book,
)
from runs_tui.backend.limits import DEFAULT_BODY_TIMEOUT
from runs_tui.backend.relay import Relay
from runs_tui.backend.store import DEFAULT_TOMBSTONE_RETENTION, RunStore
from runs_tui.models.domain import API_PREFIX
from runs_tui.models.responders import Identity

TOKEN_ENV = "RUNS_TUI_BACKEND_TOKEN"
DEFAULT_PORT = 8765
DEFAULT_HISTORY = 2000
DEMO_SEED_MARK = "demo_history_seeded"
STARTUP_TIMEOUT = 60.0
T = TypeVar("T")
log = logging.getLogger(__name__)


class BackendRefused(Exception):
    """A configuration the backend will not serve, e.g. a public address without a token."""


@dataclass
class _Parts:
    """What one running backend is made of."""

    store: RunStore
    bus: Bus
    clock: Clock
    engine: Engine
    server: uvicorn.Server
    demo: bool
    history: int
    relay: Relay | None = None
    stopping: asyncio.Event | None = None
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)


def _build(
    store: RunStore,
    clock: Clock,
    token: str | IdentityBook,
    definitions_dir: str | None,
    demo: bool,
    history: int,
    heartbeat_seconds: float,
    log_level: str,
    replica: ReplicaOptions | None = None,
    body_timeout: float = DEFAULT_BODY_TIMEOUT,
    header_timeout: float = HEADER_TIMEOUT,
) -> _Parts:
    replica = replica or ReplicaOptions()
    bus = Bus()
    engine = Engine(
        store,
        bus,
        clock,
        definitions_dir,
        replica_id=replica.replica_id,
        lease_timeout=replica.lease_timeout,
        write_threads=write_threads(store, clock),
    )
    app = create_app(
        engine,
        store,
        bus,
        token,
        heartbeat_seconds=heartbeat_seconds,
        manage_engine=False,
        body_timeout=body_timeout,
    )
    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=2,
        http=with_header_timeout(header_timeout),
    )
    parts = _Parts(store, bus, clock, engine, uvicorn.Server(config), demo, history)
    if store.shared:
        parts.relay = Relay(store, bus, engine.remote_change)
    parts.stopping = app.state.shutting_down
    return parts


def write_threads(store: RunStore, clock: Clock) -> int:
    """How many threads make the engine's store calls (`writer.RunWriter`): none under fake
    time (tests step it and expect every write done when they look), one on SQLite (one writer
    at a time anyway), a few on PostgreSQL (a run waiting on a row lock holds no other up)."""
    if not isinstance(clock, SystemClock):
        return 0
    return 4 if store.shared else 1


@dataclass(frozen=True)
class ReplicaOptions:
    """How this backend takes part among replicas (docs/deployment.md); `replica_id=None`
    draws a fresh one per start."""

    replica_id: str | None = None
    lease_timeout: float = DEFAULT_LEASE_TIMEOUT


async def _serve_backend(parts: _Parts, sock: socket.socket) -> None:
    if parts.relay is not None:
        await parts.relay.start()
    await parts.engine.start()
    try:
        if parts.demo:
            await _start_demo(parts)
        await parts.server.serve(sockets=[sock])
    finally:
        for task in parts.tasks:
            task.cancel()
        await asyncio.gather(*parts.tasks, return_exceptions=True)
        await parts.engine.stop()
        if parts.relay is not None:
            await parts.relay.stop()


async def _start_demo(parts: _Parts) -> None:
    """Seed finished history once per database (off the loop: it is bulk SQL), then keep live
    runs coming. A restart, or a second replica, finds the seed's mark and seeds nothing."""
    from runs_tui.backend import demo

    if parts.history > 0 and await asyncio.to_thread(parts.store.claim_seed, DEMO_SEED_MARK):
        await asyncio.to_thread(
            demo.seed_history, parts.store, parts.clock, parts.history, _definitions(parts.engine)
        )
    parts.tasks.append(asyncio.create_task(demo.DemoTraffic(parts.engine, parts.clock).run()))


def _definitions(engine: Engine) -> Any:
    """What `demo.seed_history` draws runs from: the engine's loaded definitions."""
    loaded = getattr(engine, "loaded_definitions", None)
    if callable(loaded):
        return loaded()
    return loaded if loaded is not None else getattr(engine, "catalog", None)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket created with an explicit IPPROTO_TCP: asyncio only sets TCP_NODELAY
    on accepted sockets whose listener says so, and without it every answer waits ~40 ms on
    Nagle's algorithm meeting delayed ACKs."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _origin(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class EmbeddedBackend:
    """The reference backend in a daemon thread with its own event loop, on 127.0.0.1 and a free
    port: the dashboard's embedded default and the suite's live fixture.

    `db_url=None` keeps the database in a temporary folder removed on `stop()`."""

    def __init__(
        self,
        db_url: str | None = None,
        token: str | None = None,
        clock: Clock | None = None,
        definitions_dir: str | None = None,
        demo: bool = False,
        history: int = 0,
        *,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        tombstone_retention: int = DEFAULT_TOMBSTONE_RETENTION,
        replica: ReplicaOptions | None = None,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
        header_timeout: float = HEADER_TIMEOUT,
        config: str | Path | None = None,
        identity: str | None = None,
    ) -> None:
        """`config`: a backend config file with `[[tokens]]` (`identities.py`); `identity`:
        the name of `token`'s default identity (the embedded default: the local user)."""
        self.token = token or secrets.token_urlsafe(32)
        try:
            book = load_identity_book(self.token, config)
        except IdentityConfigError as problem:
            raise BackendRefused(str(problem)) from None
        if identity:
            book = IdentityBook(book.shared_token, Identity(identity), book.by_hash)
        self.identities = book
        self.url = ""
        self._db_url = db_url
        self._clock = clock or SystemClock()
        self._definitions_dir = definitions_dir
        self._demo = demo
        self._history = history
        self._heartbeat = heartbeat_seconds
        self._retention = tombstone_retention
        self._replica = replica
        self._lock: SqliteLock | None = None
        self._body_timeout = body_timeout
        self._header_timeout = header_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._parts: _Parts | None = None
        self._failure: BaseException | None = None

    @property
    def engine(self) -> Engine:
        return self._running().engine

    @property
    def store(self) -> RunStore:
        return self._running().store

    @property
    def bus(self) -> Bus:
        return self._running().bus

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    def start(self) -> EmbeddedBackend:
        """Returns once /health answers; raises what stopped the server from starting
        (`BackendRefused` when another backend serves the same SQLite file)."""
        if self._thread is not None:
            return self
        db_url = self._resolve_db_url()
        try:
            self._lock = SqliteLock(db_url).acquire()
        except DatabaseInUse as refusal:
            raise BackendRefused(str(refusal)) from None
        store = RunStore(db_url, tombstone_retention=self._retention, clock=self._clock)
        store.create_schema()
        sock = _bind("127.0.0.1", 0)
        self.url = _origin("127.0.0.1", sock.getsockname()[1])
        built: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._thread_main,
            args=(store, sock, built),
            name="runs-tui-backend",
            daemon=True,
        )
        self._thread.start()
        built.result(timeout=STARTUP_TIMEOUT)
        self._wait_until_healthy()
        return self

    def stop(self) -> None:
        thread, loop, parts = self._thread, self._loop, self._parts
        if thread is None:
            return
        if loop is not None and parts is not None and thread.is_alive():
            loop.call_soon_threadsafe(self._signal_exit, parts)
        thread.join(timeout=15)
        self._thread = None
        if parts is not None:
            parts.store.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = 60.0) -> T:
        """Run a coroutine on the server's loop (thread-safe) and return its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("the embedded backend is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def __enter__(self) -> EmbeddedBackend:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # internals ------------------------------------------------------------------------------

    def _resolve_db_url(self) -> str:
        if self._db_url:
            return self._db_url
        self._tmp = tempfile.TemporaryDirectory(prefix="runs-tui-backend-")
        return f"sqlite:///{Path(self._tmp.name) / 'backend.sqlite3'}"

    def _thread_main(self, store: RunStore, sock: socket.socket, built: Future[None]) -> None:
        try:
            asyncio.run(self._main(store, sock, built))
        except BaseException as error:  # reported to start() and kept for stop()
            self._failure = error
            if not built.done():
                built.set_exception(error)
            log.exception("embedded backend stopped with an error")
        finally:
            sock.close()

    async def _main(self, store: RunStore, sock: socket.socket, built: Future[None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._parts = _build(
            store,
            self._clock,
            self.identities,
            self._definitions_dir,
            self._demo,
            self._history,
            self._heartbeat,
            "warning",
            self._replica,
            self._body_timeout,
            self._header_timeout,
        )
        built.set_result(None)
        await _serve_backend(self._parts, sock)

    @staticmethod
    def _signal_exit(parts: _Parts) -> None:
        if parts.stopping is not None:
            parts.stopping.set()
        parts.bus.close()  # open streams end now, not at their next heartbeat
        parts.server.should_exit = True

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._thread is None or not self._thread.is_alive():
                    raise RuntimeError(
                        "the embedded backend stopped while starting"
                    ) from self._failure
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.02)
        raise TimeoutError(f"the embedded backend did not answer on {self.url}")

    def _running(self) -> _Parts:
        if self._parts is None:
            raise RuntimeError("the embedded backend is not running")
        return self._parts


# `runs-tui backend` -------------------------------------------------------------------------


def default_db_url() -> str:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("runs-tui", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'backend.sqlite3'}"


def resolve_token(host: str, token: str | None) -> tuple[str, bool]:
    """(token, generated). A public address must have a configured token: a generated one
    would be printed to a terminal and is no access control worth the name. A configured token
    that is set but weak (short, whitespace, empty) is refused rather than replaced, on any
    address: the operator meant to choose one."""
    configured = token if token is not None else os.environ.get(TOKEN_ENV)
    if configured is not None:
        problem = token_problem(configured)
        if problem:
            raise BackendRefused(f"{problem} (check {TOKEN_ENV})")
        return configured, False
    if not is_loopback(host):
        raise BackendRefused(
            f"refusing to listen on {host} without a token: set {TOKEN_ENV} "
            "(non-loopback addresses need one)"
        )
    return secrets.token_urlsafe(32), True


def serve(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    db_url: str | None = None,
    definitions_dir: str | None = None,
    demo: bool = False,
    history: int = DEFAULT_HISTORY,
    token: str | None = None,
    replica: ReplicaOptions | None = None,
    config: str | None = None,
) -> None:
    """Serve in the foreground until interrupted. Raises `BackendRefused`. `config` (or
    `RUNS_TUI_BACKEND_CONFIG`): the file of `[[tokens]]` identities (`identities.py`)."""
    token, generated = resolve_token(host, token)
    _check_definitions(definitions_dir)
    config = config or os.environ.get(CONFIG_ENV) or None
    try:
        book = load_identity_book(token, config)
    except IdentityConfigError as problem:
        raise BackendRefused(str(problem)) from None
    db_url = db_url or default_db_url()
    lock = SqliteLock(db_url)
    try:
        lock.acquire()
    except DatabaseInUse as refusal:
        raise BackendRefused(str(refusal)) from None
    try:
        _serve_locked(host, port, db_url, definitions_dir, demo, history, book, generated, replica)
    finally:
        lock.release()


def _check_definitions(folder: str | None) -> None:
    """A definition the loader refuses stops the start with the loader's words (the file, the
    field, why), before anything is bound or said to be served: not a traceback after
    "serving". The engine loads the folder again; a few milliseconds, once."""
    try:
        load_definitions(folder)
    except DefinitionError as problem:
        raise BackendRefused(str(problem)) from None


def _serve_locked(
    host: str,
    port: int,
    db_url: str,
    definitions_dir: str | None,
    demo: bool,
    history: int,
    book: IdentityBook,
    generated: bool,
    replica: ReplicaOptions | None,
) -> None:
    store = RunStore(db_url)
    store.create_schema()
    sock = _bind(host, port)
    origin = _origin(host, sock.getsockname()[1])
    print(
        f"runs-tui backend: serving {origin}{API_PREFIX} "
        f"(OpenAPI at {origin}{API_PREFIX}/openapi.json, with the token)",
        file=sys.stderr,
    )
    if generated:
        print(
            f"runs-tui backend: token {book.shared_token}  (set {TOKEN_ENV} to choose one)",
            file=sys.stderr,
        )
    print(
        f"runs-tui backend: identities: {len(book.by_hash)} named, "
        f"and {book.default.name!r} for {TOKEN_ENV}",
        file=sys.stderr,
    )
    parts = _build(
        store,
        SystemClock(),
        book,
        definitions_dir,
        demo,
        history if demo else 0,
        DEFAULT_HEARTBEAT_SECONDS,
        "info",
        replica,
    )
    print(
        f"runs-tui backend: replica {parts.engine.replica_id}, "
        f"lease timeout {parts.engine.lease_timeout:g}s",
        file=sys.stderr,
    )
    try:
        asyncio.run(_serve_backend(parts, sock))
    finally:
        sock.close()
        store.close()


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `runs-tui backend`."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default: {DEFAULT_PORT}; 0 = any free port)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL: sqlite:///path (default: in the user data folder) or postgresql+psycopg://...",
    )
    parser.add_argument(
        "--definitions",
        metavar="DIR",
        default=None,
        help="folder of flow and guide TOML files (default: the shipped demo set)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=None,
        help=(
            "TOML file of [[tokens]] identities (hash, name, groups) and [groups] "
            f"(default: ${CONFIG_ENV}; docs/deployment.md)"
        ),
    )
    parser.add_argument(
        "--demo", action="store_true", help="seed history and keep starting live demo runs"
    )
    parser.add_argument(
        "--history",
        type=int,
        metavar="N",
        default=DEFAULT_HISTORY,
        help=(
            f"with --demo: finished runs to seed over the last 30 days (default: {DEFAULT_HISTORY})"
        ),
    )
    parser.add_argument(
        "--replica-id",
        metavar="ID",
        default=None,
        help="this replica's name in run leases (default: a fresh random id per start)",
    )
    parser.add_argument(
        "--lease-timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        default=DEFAULT_LEASE_TIMEOUT,
        help=(
            "PostgreSQL replicas: how soon a run of a dead replica is taken over "
            f"(default: {DEFAULT_LEASE_TIMEOUT:g})"
        ),
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0.5 <= value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0.5 and 3600 seconds")
    return value


def run_backend_command(args: argparse.Namespace) -> int:
    """Runs `runs-tui backend`; returns the exit status."""
    try:
        replica = ReplicaOptions(
            getattr(args, "replica_id", None), getattr(args, "lease_timeout", DEFAULT_LEASE_TIMEOUT)
        )
        serve(
            args.host,
            args.port,
            args.db,
            args.definitions,
            args.demo,
            args.history,
            replica=replica,
            config=getattr(args, "config", None),
        )
    except BackendRefused as refusal:
        print(f"runs-tui backend: {refusal}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        print(
            f"runs-tui backend: cannot listen on {args.host}:{args.port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return 1
    return 0
