"""The prompt as an operator meets it: the real dashboard in tmux at 80×24, a second operator on
the CLI, and the backend's own record checked — an answer lands only on what was on screen."""

from __future__ import annotations

from .backend_process import BackendProcess, waiting, waiting_step
from .conftest import CliRunner, TerminalFactory


def _answers(detail: dict) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    """(step id, value, who) of every answer the backend recorded."""
    return [
        (e["step_id"], e["data"]["value"], e["data"]["answered_by"])
        for e in detail["events"]
        if e["type"] == "input_received"
    ]


def test_an_answer_from_the_cli_disarms_the_prompt_and_enter_records_nothing(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    first = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    term = terminal(no_color=True)
    term.wait_for("On-call handover")
    term.send("a")  # answer the (only) waiting run, from the list
    term.wait_for("acknowledge every open incident")
    term.wait_for("▸ Done")
    term.send("Right")  # pick "Failed"
    term.wait_for("▸ Failed")
    # Typed straight after the Tab, as a fast typist does: the note gets every letter, and the
    # picker's h / l (two l's here) never see them (they would move the choice).
    term.send_at_once("Tab", "still on INC-1")  # one read: tmux writes them in one go
    term.wait_for("still on INC-1")

    answered = cli("runs", "respond", run_id, "--value", "done")
    assert answered.returncode == 0, answered.stderr
    screen = term.wait_for("cli-oncall answered ‘done’")
    assert "Hand the pager to" in screen  # what the run asks now, in the notice
    assert "still on INC-1" in screen and "▸ Failed" in screen  # the draft, kept in view

    term.send("Enter")
    term.wait_for("press a to answer the new one")
    detail = e2e_backend.run(run_id)
    second = waiting_step(detail)
    assert second["id"] != first["id"] and second["prompt"]["kind"] == "confirm"
    assert _answers(detail) == [(first["id"], "done", "cli-oncall")]  # nothing for the new step

    term.send("a")  # a fresh `a` takes up the new question
    term.wait_for("▸ Approve")
    assert _answers(e2e_backend.run(run_id)) == [(first["id"], "done", "cli-oncall")]


def test_every_triage_choice_is_visible_at_80x24_and_the_one_shown_is_recorded(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = e2e_backend.start("flows", "disk-pressure", host="web-prod-01")
    detail = e2e_backend.wait_for_run(run_id, waiting)
    step = waiting_step(detail)
    choices = step["prompt"]["choices"]
    assert len(choices) == 3
    term = terminal(no_color=True)
    term.wait_for("Disk pressure")
    term.send("a")
    screen = term.wait_for("What is filling it?")
    assert all(choice in screen for choice in choices), screen
    term.send("Right", "Right")
    screen = term.wait_for(f"▸ {choices[2]}")
    assert all(choice in screen for choice in choices), screen
    term.send("Enter")
    term.wait_for("Answer sent.")
    recorded = e2e_backend.wait_for_run(run_id, lambda d: bool(_answers(d)))
    assert _answers(recorded) == [(step["id"], choices[2], "e2e-operator")]


def _response(detail: dict, step_id: str) -> dict:  # type: ignore[type-arg]
    return next(step for step in detail["steps"] if step["id"] == step_id)["response"]


def test_ctrl_s_sends_from_the_note_and_after_a_cli_answer_sends_nothing(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    """ctrl+s (the typed prompt's send key) works on today's prompts too, through the same
    submit; once another operator answered, it sends nothing and says who answered."""
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    first = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    term = terminal(no_color=True)
    term.wait_for("On-call handover")
    term.send("a")
    term.wait_for("▸ Done")
    term.wait_for("⏎ Send")  # the choice has the focus
    term.send("Tab")
    term.type("handed over at 09:00")
    term.wait_for("handed over at 09:00")
    term.send("C-s")
    term.wait_for("Answer sent.")
    recorded = e2e_backend.wait_for_run(run_id, lambda d: bool(_answers(d)))
    assert _answers(recorded) == [(first["id"], "done", "e2e-operator")]
    assert _response(recorded, first["id"])["note"] == "handed over at 09:00"

    second = waiting_step(e2e_backend.wait_for_run(run_id, lambda d: waiting_step(d) != first))
    term.send("a")  # take up the next question (the handover's confirm)
    term.wait_for("▸ Approve")
    answered = cli("runs", "respond", run_id, "--value", "reject")
    assert answered.returncode == 0, answered.stderr
    term.wait_for("cli-oncall answered ‘reject’")
    term.send("C-s")  # what was on screen is gone: nothing is sent for this operator
    term.send("t")  # keys are handled in order: once the timeline shows, ctrl+s was handled
    term.wait_for("Events")
    assert _answers(e2e_backend.run(run_id)) == [
        (first["id"], "done", "e2e-operator"),
        (second["id"], "reject", "cli-oncall"),
    ]
