"""The inbox as an operator meets it: the real dashboard in tmux at 80×24 against a real
backend, opened with `i`, answered with Enter; and another operator (the CLI) answering the
selected item between what the operator sees and the key they press."""

from __future__ import annotations

from .backend_process import BackendProcess, waiting, waiting_step
from .conftest import CliRunner, TerminalFactory


def _answers(detail: dict) -> list[tuple[str, str, str]]:  # type: ignore[type-arg]
    return [
        (e["step_id"], e["data"]["value"], e["data"]["answered_by"])
        for e in detail["events"]
        if e["type"] == "input_received"
    ]


def test_open_the_inbox_and_answer_from_it(
    e2e_backend: BackendProcess, terminal: TerminalFactory
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    step = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    term = terminal(no_color=True)
    term.wait_for("waiting for input (i)")
    term.send("i")
    term.wait_for("1 step waits for a person")
    screen = term.wait_for("no deadline")  # the question fetched (the list alone lacks it)
    assert "On-call ha" in screen  # the run's name, cut to its column at 80 cells
    term.wait_for("▸ Done")  # the selected item's prompt, under the list
    term.send("Enter")  # into the prompt
    term.wait_until(lambda s: "⏎ Send" in s, what="the prompt to take the focus")
    term.send("Enter")  # Done
    term.wait_for("Answer sent to")
    recorded = e2e_backend.wait_for_run(run_id, lambda d: bool(_answers(d)))
    assert _answers(recorded) == [(step["id"], "done", "e2e-operator")]
    term.send("L")  # the action log has it, with the command line
    command = f"runs-tui runs respond {run_id} --step {step['id']} --value done"
    # Read once the "Answer sent" toast (4 s) no longer covers the line under the list.
    term.wait_until(
        lambda screen: command in screen.replace("\n", ""), what="the command line in the log"
    )


def test_another_operator_answers_the_selected_item_before_enter(
    e2e_backend: BackendProcess, terminal: TerminalFactory, cli: CliRunner
) -> None:
    run_id = e2e_backend.start("guides", "on-call-handover", engineer="ann@example.com")
    first = waiting_step(e2e_backend.wait_for_run(run_id, waiting))
    term = terminal(no_color=True)
    term.wait_for("waiting for input (i)")
    term.send("i")
    term.wait_for("1 step waits for a person")
    term.wait_for("▸ Done")

    answered = cli("runs", "respond", run_id, "--value", "done")
    assert answered.returncode == 0, answered.stderr
    term.wait_for("answered ‘done’ by cli-oncall")  # the selected line says so
    term.send("Enter")
    term.wait_for("answered elsewhere")
    detail = e2e_backend.run(run_id)
    assert _answers(detail) == [(first["id"], "done", "cli-oncall")]  # nothing from here
    term.send("Down")  # moving on drops the line; the run's next question is listed
    term.wait_until(lambda s: "answered ‘done’ by" not in s, what="the gone line to go")
    assert _answers(e2e_backend.run(run_id)) == [(first["id"], "done", "cli-oncall")]
