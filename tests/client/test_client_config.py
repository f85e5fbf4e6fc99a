"""Configurations that would leak the token are refused before any request is made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from runs_tui.client import RetryPolicy, RunsClient, new_idempotency_key, parse_retry_after
from runs_tui.errors import Refused


@pytest.mark.parametrize(
    "url", ["http://runs.example.com", "http://10.0.0.5:8080", "http://[2001:db8::1]/"]
)
async def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(Refused) as caught:
        RunsClient(url, "secret-token")
    assert "secret-token" not in str(caught.value)
    assert "https" in caught.value.explain()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://localhost:1",
        "http://[::1]:9000",
        "https://runs.example.com",
    ],
)
async def test_loopback_http_and_any_https_are_accepted(url: str) -> None:
    client = RunsClient(url, "secret-token")
    await client.aclose()


async def test_plain_http_to_a_remote_host_allowed_when_explicitly_asked() -> None:
    client = RunsClient("http://runs.example.com", "t", allow_insecure_http=True)
    assert client.base_url == "http://runs.example.com"
    await client.aclose()


@pytest.mark.parametrize(
    "url", ["https://user:pw@runs.example.com", "ftp://runs.example.com", "runs.example.com"]
)
async def test_urls_with_credentials_or_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(Refused):
        RunsClient(url, "t")


async def test_a_missing_ca_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(Refused) as caught:
        RunsClient("https://runs.example.com", "t", ca_path=str(tmp_path / "missing.pem"))
    assert "missing.pem" in caught.value.explain()


async def test_repr_never_shows_the_token() -> None:
    client = RunsClient("https://runs.example.com", "sentinel-token-123")
    try:
        assert "sentinel-token-123" not in repr(client)
        assert "sentinel-token-123" not in repr(client._http.auth)
    finally:
        await client.aclose()


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_backoff_is_jittered_exponential_and_capped() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=2.0)
    assert [policy.backoff(n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 2.0, 2.0]
    assert policy.backoff(3, lambda: 0.25) == 0.5


def test_idempotency_keys_are_unique() -> None:
    assert len({new_idempotency_key() for _ in range(1000)}) == 1000
