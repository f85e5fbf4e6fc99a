"""TLS: verification is on, and a custom CA (a self-signed certificate here) can be trusted.
The backend sits behind a TLS-terminating loopback proxy with a certificate made by openssl."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from client.backend_fixtures import FAST_RETRY, Backend

from runs_tui.client import RunsClient
from runs_tui.errors import Unreachable
from sync.proxy import LoopbackProxy

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=runs-tui test",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
async def tls_proxy(
    backend: Backend, certificate: tuple[Path, Path]
) -> AsyncIterator[LoopbackProxy]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    host, port = backend.url.removeprefix("http://").split(":")
    proxy = await LoopbackProxy(host, int(port), tls=context).start()
    yield proxy
    await proxy.stop()


async def test_an_untrusted_certificate_is_refused(
    backend: Backend, tls_proxy: LoopbackProxy
) -> None:
    async with RunsClient(tls_proxy.url, backend.token, retry=FAST_RETRY) as client:
        with pytest.raises(Unreachable) as caught:
            await client.health()
    assert "not trusted" in caught.value.explain()


async def test_a_configured_ca_is_trusted(
    backend: Backend, tls_proxy: LoopbackProxy, certificate: tuple[Path, Path]
) -> None:
    async with RunsClient(
        tls_proxy.url, backend.token, ca_path=str(certificate[0]), retry=FAST_RETRY
    ) as client:
        assert await client.health() is True
        assert (await client.changes(None)).changes == []
