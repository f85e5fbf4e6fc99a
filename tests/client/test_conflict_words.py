"""The 409's words, written once (`errors.StateConflict`): toasts, the CLI and the prompt agree."""

from __future__ import annotations

from datetime import UTC, datetime

from runs_tui.errors import StateConflict

NOW = datetime(2025, 11, 25, 14, 30, tzinfo=UTC)


def test_an_answer_that_came_too_late_says_who_answered_and_when() -> None:
    error = StateConflict(
        "step s3 is not waiting for input",
        current={"answered_by": "bob", "answered_at": "2025-11-25T14:28:10+00:00"},
    )
    assert error.collided_with(NOW) == "answered by bob at 14:28:10"
    assert error.answer_words(NOW) == (
        "Already answered or no longer waiting — answered by bob at 14:28:10"
    )
    assert error.explain().startswith("step s3 is not waiting for input — answered by bob at ")


def test_a_run_that_moved_on_says_where_it_is_now_in_the_labels_shown_everywhere() -> None:
    error = StateConflict("run already finished", current={"status": "completed_success"})
    assert error.explain() == "run already finished — the run is now Completed Success"
    assert error.answer_words(NOW) == (
        "Already answered or no longer waiting — the run is now Completed Success"
    )
    assert StateConflict().explain() == "The run is not in a state that allows this"
    assert StateConflict().answer_words(NOW) == "Already answered or no longer waiting"


def test_server_text_in_a_conflict_stays_inert() -> None:
    error = StateConflict(
        "x", current={"answered_by": "\x1b[2Jmallory", "answered_at": "not a time\x07"}
    )
    words = error.collided_with(NOW)
    assert "\x1b" not in words and "\x07" not in words and "mallory" in words
    assert "\x1b" not in StateConflict("x", current={"status": "\x1b]0;owned\x07"}).explain()
