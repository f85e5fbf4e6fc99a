"""Idempotency keys: what lets a user action be sent again without being applied twice.

One key per user action, made when the user acts and reused by every retry of that action
(the client's own retries, and the operator pressing enter again after "unreachable"), so
the backend answers a repeat with the first answer. Here on its own, with no dependency, so
the prompt widget, the service and the client make keys the one same way.
"""

from __future__ import annotations

import uuid


def new_idempotency_key() -> str:
    """A fresh key for one user action: a uuid4 in hex (what the backend stores and bounds)."""
    return uuid.uuid4().hex
