"""A prompt that expires while the operator looks at it: the real dashboard in tmux at 80×24
with NO_COLOR, a backend whose one guide asks a question with a 15-second deadline. The countdown
is on screen, the deadline passes, the prompt says so and takes no answer, and the backend's
record has the expiry (its own event, by the system), not an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .backend_process import BackendProcess, waiting, waiting_step
from .conftest import TerminalFactory

GUIDE = """
kind = "guide"
id = "quick-approval"
title = "Quick approval"
description = "One question with a short deadline."
category = "Tests"

[[steps]]
key = "ship"
title = "Approve the deploy"
automation = "manual"

[steps.prompt]
kind = "complete"
question = "Ship build 42 to production?"
expires_after = "15s"
on_expiry = "fail"
"""


@pytest.fixture
def backend_args(tmp_path: Path) -> tuple[str, ...]:
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "quick-approval.toml").write_text(GUIDE, encoding="utf-8")
    return ("--definitions", str(folder))


def _events(detail: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [event for event in detail["events"] if event["type"] == kind]


def test_a_prompt_that_expires_on_screen_says_so_and_records_no_answer(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = e2e_backend.start("guides", "quick-approval")
    step = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    assert step["prompt"]["expires_at"]
    term = terminal(no_color=True)
    term.wait_for("Quick approval")
    term.send("a")
    term.wait_for("Ship build 42 to production?")
    # the deadline, counting, before it passes (under a minute: a sign and words, no colour)
    term.wait_for("⚠ Under a minute left: expires in")
    term.wait_for("▸ Done")

    finished = e2e_backend.wait_for_run(
        run_id, lambda d: d["status"] == "completed_failure", timeout=40
    )
    assert _events(finished, "input_expired") and not _events(finished, "input_received")
    [expired] = [s for s in finished["steps"] if s["id"] == step["id"]]
    assert expired["status"] == "failed"
    assert "deadline" in (expired.get("error") or "")
    screen = term.wait_for("Expired at")  # the prompt says it, in words, on the same screen
    assert "it can no longer be" in screen and "no longer waiting (Failed)" in screen, screen

    term.send("Enter")  # what the operator would have sent: too late, nothing is recorded
    term.send("a")
    term.wait_for("not waiting for input")
    after = e2e_backend.run(run_id)
    assert not _events(after, "input_received")
    audit = [e["data"] for e in _events(after, "audit") if e["data"]["action"] == "expiry"]
    assert [entry["actor"] for entry in audit] == ["system"]
