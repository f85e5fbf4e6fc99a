"""Who may answer (`models.responders`): the rule behind the backend's 403 and the
dashboard's "you may not answer", in the words both show."""

from __future__ import annotations

from runs_tui.models.responders import Identity, answer_refusal

ALICE = Identity("alice", frozenset({"dba"}))
BOB = Identity("bob")


def test_anyone_may_answer_an_open_prompt() -> None:
    assert answer_refusal(BOB, responders=[], allow_self=True, started_by="bob") is None


def test_responders_are_names_or_groups() -> None:
    rules = {"responders": ["group:dba", "carol"], "allow_self": True, "started_by": "x"}
    assert answer_refusal(ALICE, **rules) is None
    assert answer_refusal(Identity("carol"), **rules) is None
    assert answer_refusal(BOB, **rules) == "only group:dba, carol may answer this step"


def test_four_eyes_refuses_the_person_who_started_the_run() -> None:
    refusal = answer_refusal(ALICE, responders=[], allow_self=False, started_by="alice")
    assert refusal == (
        "alice started this run, and this step needs someone else to answer (four-eyes rule)"
    )
    assert answer_refusal(BOB, responders=[], allow_self=False, started_by="alice") is None
