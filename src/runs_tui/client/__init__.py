"""The async HTTP client of the runs API: typed answers, typed errors, safe retries.

- `runs_client`: `RunsClient`, every endpoint as a typed call, and the request loop;
- `retry`: when a request may be sent again (backoff, `Retry-After`; the keys that make a
  POST safe to repeat come from `runs_tui.idempotency`);
- `credentials`: the token goes to its origin only, TLS stays on, plain http stays local;
- `failures`: answers and transport errors as the typed errors of `runs_tui.errors`;
- `sse`: the live stream's event format.
"""

from runs_tui.client.credentials import check_backend_url
from runs_tui.client.failures import error_from_response
from runs_tui.client.retry import NO_RETRY, RetryPolicy, parse_retry_after
from runs_tui.client.runs_client import DEFAULT_TIMEOUT, RunsClient, TaggedDetail
from runs_tui.client.sse import parse_sse
from runs_tui.idempotency import new_idempotency_key

__all__ = [
    "DEFAULT_TIMEOUT",
    "NO_RETRY",
    "RetryPolicy",
    "RunsClient",
    "TaggedDetail",
    "check_backend_url",
    "error_from_response",
    "new_idempotency_key",
    "parse_retry_after",
    "parse_sse",
]
