"""Waiting runs for the inbox tests: several runs, each waiting on a prompt of its own, with
deadlines, ages and responder rules relative to the frozen `NOW`."""

from __future__ import annotations

from datetime import timedelta

from runs_tui.models import RunDetail, Trigger, TriggerKind

from .detail_fixtures import NOW, waiting_detail


def waiting_run(
    run_id: str,
    name: str,
    *,
    waited: timedelta,
    expires_in: timedelta | None = None,
    kind: str = "confirm",
    question: str | None = None,
    responders: list[str] | None = None,
    allow_self: bool = True,
    started_by: str = "alice",
    version: int = 1,
) -> RunDetail:
    """A run waiting on step s3 since `waited` before NOW, expiring `expires_in` after it."""
    detail = waiting_detail(kind, run_id)
    steps = []
    for step in detail.steps:
        if step.prompt is not None:
            prompt = step.prompt.model_copy(
                update={
                    "requested_at": NOW - waited,
                    "expires_at": None if expires_in is None else NOW + expires_in,
                    "prompt_id": f"p-{run_id}",
                    "responders": responders or [],
                    "allow_self": allow_self,
                    **({"question": question} if question is not None else {}),
                }
            )
            step = step.model_copy(update={"prompt": prompt})
        steps.append(step)
    return detail.model_copy(
        update={
            "name": name,
            "steps": steps,
            "trigger": Trigger(kind=TriggerKind.MANUAL, actor=started_by),
            "version": version,
        }
    )


def inbox_runs() -> list[RunDetail]:
    """Four waiting runs: two with deadlines (one urgent), two without (one older)."""
    return [
        waiting_run("run-a", "Disk cleanup on db-1", waited=timedelta(minutes=3)),
        waiting_run(
            "run-b",
            "Certificate rotation",
            waited=timedelta(minutes=1),
            expires_in=timedelta(minutes=45),
            question="Rotate the certificate of api.example.com now?",
        ),
        waiting_run(
            "run-c",
            "Restart web tier",
            waited=timedelta(minutes=20),
            expires_in=timedelta(minutes=2),
            kind="complete",
            responders=["group:dba"],
        ),
        waiting_run(
            "run-d",
            "Kafka lag triage",
            waited=timedelta(hours=2),
            kind="complete",
            allow_self=False,
            started_by="operator",
        ),
    ]
