"""Fixed run details for the detail, timeline and prompt tests (and the benchmark).

Every time is relative to `NOW` (the same frozen instant as tests/ui/conftest.py), so snapshots
are identical on every machine. `store(cache, detail)` puts a detail where the screens read it:
the summary row (as the sync would) and the detail itself.

`scripted(cache)` is the real service stack over `fake_backend.ScriptedBackend` (faults are
injected at the HTTP transport, not by mocking our classes); `Scripted.seed` puts runs in both.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runs_tui.cache import Cache
from runs_tui.client import RetryPolicy, RunsClient
from runs_tui.models import (
    AutomationType,
    ChangesPage,
    Event,
    EventType,
    Prompt,
    PromptKind,
    PromptResponse,
    RunDetail,
    RunKind,
    RunStatus,
    Step,
    StepPhase,
    StepStatus,
    ToolInvocation,
    Trigger,
    TriggerKind,
    Variable,
    VariableDirection,
)
from runs_tui.models.prompt_fields import FieldType, OnExpiry, PromptField
from runs_tui.service import RunsService

from .conftest import settle
from .fake_backend import ScriptedBackend, etag_of, summary_of

NOW = datetime(2025, 11, 25, 14, 30, tzinfo=UTC)
HOSTILE_PATH = Path(__file__).resolve().parents[1] / "data" / "hostile-strings.json"

_seq = iter(range(1, 1_000_000))


def at(seconds: float) -> datetime:
    """`seconds` after the runs' creation, which is 10 minutes before NOW."""
    return NOW - timedelta(minutes=10) + timedelta(seconds=seconds)


def tool(
    name: str,
    output: str = "",
    *,
    exit_status: int | None = 0,
    error: str | None = None,
    outpost: str = "local",
    **inputs: Any,
) -> ToolInvocation:
    return ToolInvocation(
        tool=name,
        tool_type="shell",
        outpost=outpost,
        input=inputs,
        output=output,
        exit_status=exit_status,
        error=error,
    )


def step(
    sid: str,
    position: int,
    phase: StepPhase,
    title: str,
    status: StepStatus,
    start: float | None = None,
    end: float | None = None,
    **extra: Any,
) -> Step:
    return Step(
        id=sid,
        phase=phase,
        position=position,
        title=title,
        automation=extra.pop("automation", AutomationType.AUTOMATED),
        status=status,
        started_at=at(start) if start is not None else None,
        finished_at=at(end) if end is not None else None,
        **extra,
    )


DF_OUTPUT = "\n".join(
    [
        "Filesystem      Size  Used Avail Use% Mounted on",
        "/dev/sda1        50G   48G  2.0G  96% /",
        "/dev/sdb1       200G  120G   80G  60% /var/lib/postgresql",
        "tmpfs           3.9G     0  3.9G   0% /dev/shm",
    ]
)


def _variables() -> list[Variable]:
    return [
        Variable(
            name="host", value="db-prod-01", direction=VariableDirection.INPUT, updated_at=at(0)
        ),
        Variable(name="threshold", value="90", direction=VariableDirection.INPUT, updated_at=at(0)),
        Variable(
            name="disk_usage", value="96%", direction=VariableDirection.OUTPUT, updated_at=at(40)
        ),
    ]


def _run(
    run_id: str,
    status: RunStatus,
    steps: list[Step],
    *,
    finished: float | None = None,
    kind: RunKind = RunKind.FLOW,
    name: str = "Disk space remediation",
    **extra: Any,
) -> RunDetail:
    current = next(
        (s for s in steps if s.status in (StepStatus.RUNNING, StepStatus.WAITING_FOR_INPUT)), None
    )
    events = extra.pop("events", None) or _events(steps, finished)
    return RunDetail(
        id=run_id,
        kind=kind,
        definition_id="disk-space-remediation",
        name=name,
        status=status,
        trigger=Trigger(kind=TriggerKind.EXTERNAL, actor="pagerduty"),
        created_at=at(0),
        started_at=at(4),
        finished_at=at(finished) if finished is not None else None,
        updated_at=at(finished or 300),
        current_step_id=current.id if current else None,
        current_step=current.title if current else None,
        inputs={"host": "db-prod-01"},
        version=3,
        seq=next(_seq),
        steps=steps,
        variables=extra.pop("variables", _variables()),
        events=events,
        **extra,
    )


def _events(steps: list[Step], finished: float | None) -> list[Event]:
    events = [Event(seq=1, at=at(0), type=EventType.RUN_CREATED)]
    for s in steps:
        if s.started_at:
            events.append(Event(seq=0, at=s.started_at, type=EventType.STEP_STARTED, step_id=s.id))
        if s.prompt and s.prompt.requested_at:
            events.append(
                Event(seq=0, at=s.prompt.requested_at, type=EventType.INPUT_REQUESTED, step_id=s.id)
            )
        if s.response and s.response.answered_at:
            events.append(
                Event(
                    seq=0,
                    at=s.response.answered_at,
                    type=EventType.INPUT_RECEIVED,
                    step_id=s.id,
                    data={"answered_by": s.response.answered_by, "value": s.response.value},
                )
            )
        if s.finished_at:
            events.append(
                Event(
                    seq=0,
                    at=s.finished_at,
                    type=EventType.STEP_FINISHED,
                    step_id=s.id,
                    data={"status": s.status.value},
                )
            )
    events.sort(key=lambda e: e.at)
    return [e.model_copy(update={"seq": index + 1}) for index, e in enumerate(events)]


def _triage_done() -> list[Step]:
    return [
        step(
            "s1",
            1,
            StepPhase.TRIAGE,
            "Check disk usage",
            StepStatus.SUCCEEDED,
            5,
            17,
            tool=tool("df", DF_OUTPUT, args="-h"),
        ),
        step(
            "s2",
            2,
            StepPhase.TRIAGE,
            "Find largest directories",
            StepStatus.SUCCEEDED,
            18,
            40,
            tool=tool("du", "12G /var/log\n9.1G /var/lib/docker\n", path="/var", depth=1),
        ),
    ]


def progress_detail(run_id: str = "run-progress") -> RunDetail:
    """Executing remediation: triage done, a tool running with output, one step pending."""
    steps = _triage_done() + [
        step(
            "s3",
            3,
            StepPhase.REMEDIATION,
            "Rotate and compress logs",
            StepStatus.RUNNING,
            60,
            tool=tool(
                "logrotate",
                "rotating /var/log/syslog\nrotating /var/log/auth.log\n",
                exit_status=None,
                config="/etc/logrotate.conf",
                force=True,
            ),
        ),
        step("s4", 4, StepPhase.REMEDIATION, "Verify free space", StepStatus.PENDING),
    ]
    return _run(run_id, RunStatus.EXECUTING_REMEDIATION, steps)


PROMPTS: dict[str, Prompt] = {
    "confirm": Prompt(
        kind=PromptKind.CONFIRM,
        question="Delete 12G of rotated logs under /var/log?",
        requested_at=at(70),
        prompt_id="p-confirm",
    ),
    "complete": Prompt(
        kind=PromptKind.COMPLETE,
        question="Unmount /mnt/scratch on db-prod-01 by hand, then mark this step.",
        requested_at=at(70),
        prompt_id="p-complete",
    ),
    "choice": Prompt(
        kind=PromptKind.ANSWER,
        question="Which volume fills up fastest?",
        choices=["root", "postgres", "docker"],
        requested_at=at(70),
        prompt_id="p-choice",
    ),
    "text": Prompt(
        kind=PromptKind.ANSWER,
        question="Who owns the /var/lib/docker growth?",
        choices=["platform-team"],
        allow_free_text=True,
        requested_at=at(70),
        prompt_id="p-text",
    ),
    # More choices than fit on one line at 80 columns (the disk-pressure triage has 3 long ones).
    "many": Prompt(
        kind=PromptKind.ANSWER,
        question="/var on db-prod-01 is 96% full. What is filling it?",
        choices=[
            "Logs not rotated",
            "Core dumps piling up",
            "Organic data growth",
            "Docker images left behind",
            "Database WAL retained",
            "Unknown, escalate",
        ],
        requested_at=at(70),
        prompt_id="p-many",
    ),
}


TYPED_FIELDS = [
    PromptField(
        name="ticket",
        label="Ticket",
        type=FieldType.TEXT,
        pattern=r"INC-\d+",
        description="the incident, e.g. INC-123",
    ),
    PromptField(
        name="severity",
        label="Severity",
        type=FieldType.CHOICE,
        choices=["sev1", "sev2", "sev3"],
        default="sev2",
    ),
    PromptField(
        name="replicas", label="Replicas", type=FieldType.INTEGER, minimum=1, maximum=10, default=3
    ),
    PromptField(
        name="services",
        label="Services",
        type=FieldType.CHOICES,
        choices=["api", "worker", "cron"],
        required=False,
    ),
    PromptField(name="rollback", label="Roll back first", type=FieldType.BOOLEAN, default=False),
]
TYPED_DEADLINE = NOW + timedelta(minutes=4, seconds=10)

PROMPTS["typed"] = Prompt(
    kind=PromptKind.ANSWER,
    question="Scale the API back up after the cleanup?",
    description="Only once / is below 80%.\nThe ticket is the incident being worked.",
    fields=TYPED_FIELDS,
    requested_at=at(70),
    prompt_id="p-typed",
    expires_at=TYPED_DEADLINE,
    on_expiry=OnExpiry.FAIL,
    context_steps=["s1"],
)
PROMPTS["forbidden"] = Prompt(
    kind=PromptKind.CONFIRM,
    question="Delete 12G of rotated logs under /var/log?",
    requested_at=at(70),
    prompt_id="p-forbidden",
    responders=["group:dba", "carol"],
)


def waiting_detail(kind: str = "confirm", run_id: str = "run-waiting") -> RunDetail:
    """Waiting for input on step s3 with the given prompt kind."""
    automation = {"confirm": AutomationType.SEMI_AUTOMATED}.get(kind, AutomationType.MANUAL)
    steps = _triage_done() + [
        step(
            "s3",
            3,
            StepPhase.REMEDIATION,
            "Delete rotated logs",
            StepStatus.WAITING_FOR_INPUT,
            60,
            automation=automation,
            prompt=PROMPTS[kind],
            tool=tool("rm", "", exit_status=None, path="/var/log/*.gz"),
        ),
        step("s4", 4, StepPhase.REMEDIATION, "Verify free space", StepStatus.PENDING),
    ]
    return _run(run_id, RunStatus.WAITING_FOR_USER_INPUT_REMEDIATION, steps)


NEXT_QUESTION = "Check that / is below 80%, then mark this step."


def answered_elsewhere(
    detail: RunDetail, who: str = "cli-oncall", value: str = "approve"
) -> RunDetail:
    """`detail` (a `waiting_detail`) after someone else answered s3: s4 waits on a new prompt."""
    steps = []
    for s in detail.steps:
        if s.id == "s3":
            s = s.model_copy(
                update={
                    "status": StepStatus.SUCCEEDED,
                    "finished_at": at(200),
                    "response": PromptResponse(value=value, answered_by=who, answered_at=at(200)),
                }
            )
        elif s.id == "s4":
            s = s.model_copy(
                update={
                    "status": StepStatus.WAITING_FOR_INPUT,
                    "started_at": at(201),
                    "automation": AutomationType.MANUAL,
                    "prompt": Prompt(
                        kind=PromptKind.COMPLETE,
                        question=NEXT_QUESTION,
                        requested_at=at(201),
                        prompt_id="p-next",
                    ),
                }
            )
        steps.append(s)
    return detail.model_copy(
        update={
            "steps": steps,
            "current_step_id": "s4",
            "current_step": "Verify free space",
            "version": detail.version + 1,
        }
    )


def two_waiting_detail(run_id: str = "run-two-waiting") -> RunDetail:
    """Where the old rules picked apart: s3 and s4 both wait, the backend's pointer names s4.
    Taking the first waiting step would answer s3's confirm; the domain's rule answers s4."""
    waiting = waiting_detail("confirm", run_id)
    s4 = next(s for s in answered_elsewhere(waiting).steps if s.id == "s4")
    steps = [s4 if s.id == "s4" else s for s in waiting.steps]
    return waiting.model_copy(
        update={"steps": steps, "current_step_id": "s4", "current_step": "Verify free space"}
    )


EXPIRED_DEADLINE = at(370)


def expired_detail(run_id: str = "run-expired", on_expiry: OnExpiry = OnExpiry.FAIL) -> RunDetail:
    """Completed Failure: nobody answered s3's typed prompt before its deadline (at 370 s)."""
    prompt = PROMPTS["typed"].model_copy(
        update={"expires_at": EXPIRED_DEADLINE, "on_expiry": on_expiry}
    )
    reason = "no answer before the deadline"
    steps = _triage_done() + [
        step(
            "s3",
            3,
            StepPhase.REMEDIATION,
            "Scale the API",
            StepStatus.FAILED,
            60,
            370,
            automation=AutomationType.MANUAL,
            prompt=prompt,
            error=reason,
        ),
        step("s4", 4, StepPhase.REMEDIATION, "Verify free space", StepStatus.SKIPPED),
    ]
    events = _events(steps, 380)
    expired = Event(
        seq=0,
        at=EXPIRED_DEADLINE,
        type=EventType.INPUT_EXPIRED,
        step_id="s3",
        data={"on_expiry": on_expiry.value, "expires_at": EXPIRED_DEADLINE.isoformat()},
    )
    events = sorted([*events, expired], key=lambda e: (e.at, e.type is EventType.STEP_FINISHED))
    events = [e.model_copy(update={"seq": index + 1}) for index, e in enumerate(events)]
    return _run(
        run_id,
        RunStatus.COMPLETED_FAILURE,
        steps,
        finished=380,
        error=reason,
        events=events,
        summary="Nobody scaled the API back up before the deadline.",
    )


def success_detail(run_id: str = "run-success") -> RunDetail:
    """Completed Success after one answered confirmation (a wait of 3m 20s)."""
    steps = _triage_done() + [
        step(
            "s3",
            3,
            StepPhase.REMEDIATION,
            "Delete rotated logs",
            StepStatus.SUCCEEDED,
            60,
            290,
            automation=AutomationType.SEMI_AUTOMATED,
            prompt=PROMPTS["confirm"],
            response=PromptResponse(
                value="approve",
                note="ok, change CHG-1234",
                answered_by="alice",
                answered_at=at(270),
            ),
            tool=tool("rm", "removed 41 files (12.1G)\n", path="/var/log/*.gz"),
        ),
        step(
            "s4",
            4,
            StepPhase.REMEDIATION,
            "Verify free space",
            StepStatus.SUCCEEDED,
            300,
            312,
            tool=tool("df", DF_OUTPUT.replace("48G  2.0G  96%", "36G   14G  72%"), args="-h /"),
        ),
    ]
    return _run(
        run_id,
        RunStatus.COMPLETED_SUCCESS,
        steps,
        finished=330,
        outcome="Disk full",
        root_cause="Log rotation disabled on db-prod-01",
        summary="Removed 12.1G of rotated logs; / is at 72%.",
    )


def failure_detail(
    run_id: str = "run-failure",
    error: str = "ssh: connect to host db-prod-01 port 22: Connection refused",
) -> RunDetail:
    """Completed Failure: the second remediation step could not reach its host."""
    steps = _triage_done() + [
        step(
            "s3",
            3,
            StepPhase.REMEDIATION,
            "Rotate and compress logs",
            StepStatus.FAILED,
            60,
            95,
            tool=tool(
                "logrotate",
                "connecting to db-prod-01...\nretry 1/3\nretry 2/3\nretry 3/3\n",
                exit_status=255,
                error=error,
                outpost="eu-west-2",
                config="/etc/logrotate.conf",
            ),
            error=error,
        ),
        step("s4", 4, StepPhase.REMEDIATION, "Verify free space", StepStatus.SKIPPED),
    ]
    return _run(
        run_id,
        RunStatus.COMPLETED_FAILURE,
        steps,
        finished=100,
        outcome="Disk full",
        root_cause="Log rotation disabled on db-prod-01",
        error=error,
        summary="Remediation failed: logs could not be rotated.",
    )


def long_wait_detail(run_id: str = "run-days") -> RunDetail:
    """A guide that waited two days for a manual step: the timeline must read in days."""
    day = 86400
    steps = [
        step(
            "p1",
            1,
            StepPhase.PROCEDURE,
            "Open change request",
            StepStatus.SUCCEEDED,
            10,
            40,
            tool=tool("jira", "CHG-4321 created\n"),
        ),
        step(
            "p2",
            2,
            StepPhase.PROCEDURE,
            "Approve maintenance window",
            StepStatus.SUCCEEDED,
            45,
            2 * day + 3600,
            automation=AutomationType.MANUAL,
            prompt=Prompt(
                kind=PromptKind.COMPLETE, question="Get CAB approval", requested_at=at(50)
            ),
            response=PromptResponse(
                value="done", answered_by="carol", answered_at=at(2 * day + 3500)
            ),
        ),
        step(
            "p3",
            3,
            StepPhase.PROCEDURE,
            "Fail over database",
            StepStatus.SUCCEEDED,
            2 * day + 3700,
            2 * day + 5500,
            tool=tool("patroni", "switchover complete\n"),
        ),
    ]
    return _run(
        run_id,
        RunStatus.COMPLETED_SUCCESS,
        steps,
        finished=2 * day + 5600,
        kind=RunKind.GUIDE,
        name="Database failover",
    )


def store(cache: Cache, *details: RunDetail, fetched_at: datetime = NOW) -> None:
    """Put runs in the cache as the sync would: summary rows, then each detail."""
    cache.apply_changes(
        ChangesPage(
            changes=[summary_of(d) for d in details],
            deleted=[],
            next_cursor=10_000 + next(_seq),
            has_more=False,
        )
    )
    for detail in details:
        cache.store_detail(detail, etag_of(detail), fetched_at)


def hostile_strings(*, generated: bool = False) -> list[str]:
    """The corpus; `generated` expands the `generate` entries (1 MiB line, 100k lines)."""
    data = json.loads(HOSTILE_PATH.read_text(encoding="utf-8"))
    values = []
    for entry in data["strings"]:
        if "value" in entry:
            values.append(entry["value"])
        elif generated:
            values.append(entry["generate"]["repeat"] * entry["generate"]["times"])
    return values


FAST_RETRY = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0, total_budget=5.0)
"""One immediate retry: a retry is still exercised (same idempotency key), nothing waits."""
ACTOR = "operator"


@dataclass
class Scripted:
    """The real `RunsService` (client, syncer, cache) talking to a `ScriptedBackend`."""

    service: RunsService
    backend: ScriptedBackend

    @property
    def cache(self) -> Cache:
        return self.service.cache

    def seed(self, *details: RunDetail, fetched_at: datetime = NOW) -> None:
        """Runs the cache and the backend agree on: the detail fetch is answered 304."""
        store(self.cache, *details, fetched_at=fetched_at)
        for detail in details:
            self.backend.seed(detail)

    def close(self) -> None:
        """Idempotent: the app already closed the service when it unmounted."""
        asyncio.run(self.service.aclose())


def scripted(cache: Cache, now: datetime = NOW) -> Scripted:
    """Built the way the CLI builds it (the service makes its own syncer), frozen at `now`."""
    backend = ScriptedBackend(now)
    client = RunsClient("http://127.0.0.1:8765", "test-token", retry=FAST_RETRY, transport=backend)
    service = RunsService(
        cache, client, now=lambda: now, profile_label="test", backend_label="scripted", actor=ACTOR
    )
    return Scripted(service, backend)


async def open_run(app: Any, pilot: Any, run_id: str, *, focus_prompt: bool = False) -> Any:
    """Open a run from the list the way the list does, and let its first fetch settle."""
    await pilot.pause()
    app.open_run(run_id, focus_prompt=focus_prompt)
    await settle(pilot)
    return app.screen


def screen_text(app: Any) -> str:
    """What the terminal shows now, as plain text (the compositor's strips)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
