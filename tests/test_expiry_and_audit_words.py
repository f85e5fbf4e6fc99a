"""A prompt's deadline and its expiry, and the audit of an answer, in words: the prompt's line,
the timeline's entries and bars, and the step panel's facts (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ui.detail_fixtures import EXPIRED_DEADLINE, expired_detail, success_detail
from ui.detail_fixtures import NOW as FIXTURES_NOW

from runs_tui.expiry_words import deadline, expired_words
from runs_tui.models import Event, EventType, Prompt, PromptKind, PromptResponse
from runs_tui.models.prompt_fields import OnExpiry
from runs_tui.timeline import EXPIRED_GLYPH, SegmentKind, bars, describe_event, entries
from runs_tui.widgets.step_panel import step_facts

NOW = datetime(2026, 1, 5, 14, 0, tzinfo=UTC)


def _prompt(left: timedelta | None, on_expiry: OnExpiry | None = OnExpiry.FAIL) -> Prompt:
    return Prompt(
        kind=PromptKind.CONFIRM,
        question="Go?",
        expires_at=NOW + left if left is not None else None,
        on_expiry=on_expiry,
    )


@pytest.mark.parametrize(
    ("on_expiry", "then"),
    [
        (OnExpiry.FAIL, "then: the step fails"),
        (OnExpiry.DEFAULT, "then: defaults are taken"),
        (OnExpiry.SKIP, "then: the step is skipped"),
        (None, "then: the backend decides"),
    ],
)
def test_the_deadline_says_time_left_and_what_happens_then(on_expiry, then) -> None:
    shown = deadline(_prompt(timedelta(minutes=4, seconds=10), on_expiry), NOW)
    assert shown is not None and not shown.urgent and not shown.expired
    assert shown.text == f"Expires in 4m 10s (at 14:04:10) · {then}"


def test_under_a_minute_is_a_warning_in_words_and_past_it_expired() -> None:
    soon = deadline(_prompt(timedelta(seconds=41.2)), NOW)
    assert soon is not None and soon.urgent and not soon.expired
    assert soon.text == (
        "⚠ Under a minute left: expires in 42s (at 14:00:41) · then: the step fails"
    )  # rounded up: never "0s" before the end
    past = deadline(_prompt(timedelta(seconds=0)), NOW)
    assert past is not None and past.expired
    assert past.text.startswith("Expired at 14:00:00 — no answer before the deadline")
    assert deadline(_prompt(None), NOW) is None


@pytest.mark.parametrize(
    ("on_expiry", "outcome"),
    [
        ("fail", "the step failed"),
        ("default", "defaults taken"),
        ("skip", "the step was skipped"),
    ],
)
def test_an_expiry_event_is_worded_as_an_expiry(on_expiry, outcome) -> None:
    data = {"on_expiry": on_expiry, "expires_at": "2026-01-05T13:05:00+00:00"}
    assert expired_words(data, NOW, NOW) == f"Expired — no answer before 13:05; {outcome}"
    assert expired_words({}, NOW, NOW) == "Expired — no answer before 14:00"  # the event's time


def test_the_timeline_marks_an_expiry_distinctly_never_as_an_answer() -> None:
    detail = expired_detail()
    rows = entries(detail)
    [expired] = [row for row in rows if row.kind is EventType.INPUT_EXPIRED]
    assert expired.text == (
        f"{EXPIRED_GLYPH} Expired — no answer before 14:26; the step failed (“Scale the API”)"
    )
    assert not any("answered" in row.text for row in rows)
    bar = next(bar for bar in bars(detail, FIXTURES_NOW) if bar.step_id == "s3")
    assert bar.expired_at == EXPIRED_DEADLINE
    waiting = [seg for seg in bar.segments if seg.kind is SegmentKind.WAITING]
    assert waiting[-1].end == EXPIRED_DEADLINE  # the wait ends at the deadline


def test_defaults_taken_and_the_audit_are_worded_with_who_and_which_client() -> None:
    taken = Event(
        seq=1,
        at=NOW,
        type=EventType.INPUT_RECEIVED,
        step_id="s3",
        data={"answered_by": "system", "value": "sev2", "expired": True},
    )
    assert describe_event(taken, "Scale") == (
        "Deadline passed on “Scale”: defaults taken by system: “sev2”"
    )
    answered = taken.model_copy(
        update={"data": {"answered_by": "alice", "value": "approve", "client": "cli"}}
    )
    assert describe_event(answered, "Scale") == "alice answered “Scale” via cli: “approve”"
    audit = Event(
        seq=2,
        at=NOW,
        type=EventType.AUDIT,
        step_id="s3",
        data={"seq": 4, "action": "answer", "actor": "alice", "client": "dashboard"},
    )
    assert describe_event(audit, "Scale") == "Audit: alice via dashboard answered “Scale”"
    cancel = audit.model_copy(
        update={"step_id": None, "data": {"action": "cancel", "actor": "bob", "client": "cli"}}
    )
    assert describe_event(cancel, "") == "Audit: bob via cli cancelled the run"


def test_the_step_panel_shows_the_expiry_and_the_answers_client() -> None:
    detail = expired_detail()
    s3 = next(step for step in detail.steps if step.id == "s3")
    text = step_facts(s3, FIXTURES_NOW, detail.events).plain
    assert "✕ Expired — no answer before 14:26; the step failed" in text
    assert "Answer" not in text
    done = success_detail()
    s3 = next(step for step in done.steps if step.id == "s3")
    s3 = s3.model_copy(
        update={"response": s3.response.model_copy(update={"client": "cli"})}  # type: ignore[union-attr]
    )
    assert "Answer “approve” by alice via cli at" in step_facts(s3, FIXTURES_NOW).plain
    taken = s3.model_copy(
        update={
            "response": PromptResponse(
                value="sev2", answered_by="system", expired=True, answered_at=FIXTURES_NOW
            )
        }
    )
    assert (
        "Defaults taken at the deadline “sev2” by system at"
        in step_facts(taken, FIXTURES_NOW).plain
    )
