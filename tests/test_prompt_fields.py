"""The one rule for a typed answer (`models.prompt_fields`), which the backend, the CLI and the
dashboard all apply: each type's accepted and refused values, with the field named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from runs_tui.models.domain import Prompt, PromptKind
from runs_tui.models.prompt_fields import (
    LEGACY_FIELD,
    FieldType,
    InvalidAnswer,
    PromptField,
    answer_text,
    check_answer,
    defaults_of,
    parse_text,
)

TICKET = PromptField(name="ticket", label="Ticket", pattern=r"INC-\d+", max_length=12)
REPLICAS = PromptField(name="replicas", type=FieldType.INTEGER, minimum=1, maximum=5, default=2)
RATIO = PromptField(name="ratio", type=FieldType.NUMBER, minimum=0, maximum=1, required=False)
AREAS = PromptField(name="areas", type=FieldType.CHOICES, choices=["db", "net", "disk"])
SEVERITY = PromptField(name="severity", type=FieldType.CHOICE, choices=["sev1", "sev2"])
PAGE = PromptField(name="page", type=FieldType.BOOLEAN, default=False)
NOTES = PromptField(name="notes", type=FieldType.MULTILINE, required=False, max_length=40)
FIELDS = [TICKET, REPLICAS, RATIO, AREAS, SEVERITY, PAGE, NOTES]
VALID = {"ticket": "INC-42", "areas": ["net", "db"], "severity": "sev2"}


def refusal(values: dict[str, object]) -> tuple[str, str]:
    with pytest.raises(InvalidAnswer) as caught:
        check_answer(FIELDS, values)
    return caught.value.field, caught.value.reason


def test_a_valid_answer_is_normalised_and_takes_the_defaults() -> None:
    assert check_answer(FIELDS, VALID) == {
        "ticket": "INC-42",
        "replicas": 2,
        "areas": ["db", "net"],  # the definition's order
        "severity": "sev2",
        "page": False,
    }


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"ticket": "42"}, "ticket", r"must match the pattern INC-\d+"),
        ({"ticket": "INC-1234567890"}, "ticket", "at most 12 characters"),
        ({"ticket": "INC-1\nINC-2"}, "ticket", "must be one line"),
        ({"ticket": ""}, "ticket", "an answer is required"),
        ({"replicas": 9}, "replicas", "at most 5"),
        ({"replicas": "two"}, "replicas", "must be a whole number"),
        ({"replicas": True}, "replicas", "must be a whole number"),
        ({"ratio": 1.5}, "ratio", "at most 1"),
        ({"ratio": float("nan")}, "ratio", "must be a finite number"),
        ({"areas": ["db", "cpu"]}, "areas", "'cpu' is not a choice; choose from: db, net, disk"),
        ({"areas": ["db", "db"]}, "areas", "a choice is given twice"),
        ({"areas": []}, "areas", "an answer is required"),
        ({"severity": "sev3"}, "severity", "must be one of: sev1, sev2"),
        ({"page": "maybe"}, "page", "must be yes or no"),
        ({"notes": "x" * 41}, "notes", "at most 40 characters"),
        ({"owner": "me"}, "owner", "this prompt has no such field"),
    ],
)
def test_a_broken_rule_names_the_field_and_the_reason(
    change: dict[str, object], field: str, reason: str
) -> None:
    assert refusal({**VALID, **change}) == (field, reason)


def test_typed_text_becomes_the_fields_type() -> None:
    assert parse_text(REPLICAS, " 3 ") == 3
    assert parse_text(RATIO, "0.25") == 0.25
    assert parse_text(PAGE, "yes") is True
    assert parse_text(PAGE, "off") is False
    assert parse_text(AREAS, "disk, db") == ["db", "disk"]
    with pytest.raises(InvalidAnswer, match="replicas: at least 1"):
        parse_text(REPLICAS, "0")


def test_defaults_of_is_the_expiry_answer_and_needs_a_default_for_each_required_field() -> None:
    assert defaults_of([REPLICAS, PAGE, RATIO]) == {"replicas": 2, "page": False}
    with pytest.raises(InvalidAnswer, match="ticket: an answer is required"):
        defaults_of([TICKET])


@pytest.mark.parametrize(
    ("prompt", "accepted", "refused"),
    [
        (Prompt(kind=PromptKind.CONFIRM, question="Go?"), "approve", "maybe"),
        (Prompt(kind=PromptKind.COMPLETE, question="Done?"), "failed", "approve"),
        (Prompt(kind=PromptKind.ANSWER, question="Which?", choices=["a", "b"]), "b", "c"),
    ],
)
def test_todays_kinds_are_one_value_field(prompt: Prompt, accepted: str, refused: str) -> None:
    fields = prompt.effective_fields()
    assert [field.name for field in fields] == [LEGACY_FIELD]
    assert check_answer(fields, {LEGACY_FIELD: accepted}) == {LEGACY_FIELD: accepted}
    with pytest.raises(InvalidAnswer):
        check_answer(fields, {LEGACY_FIELD: refused})


def test_free_text_takes_any_one_line_and_choices_are_only_suggestions() -> None:
    prompt = Prompt(kind=PromptKind.ANSWER, question="Why?", choices=["a"], allow_free_text=True)
    [field] = prompt.effective_fields()
    assert field.type is FieldType.TEXT
    assert check_answer([field], {LEGACY_FIELD: "disk full"}) == {LEGACY_FIELD: "disk full"}


def test_answer_text_is_the_value_alone_for_one_field_and_pairs_otherwise() -> None:
    assert answer_text({LEGACY_FIELD: "approve"}) == "approve"
    assert answer_text({"ticket": "INC-1", "page": True, "areas": ["db", "net"]}) == (
        "ticket=INC-1, page=yes, areas=db+net"
    )


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(), st.integers(), st.booleans())))
def test_any_answer_is_either_checked_or_refused_with_a_field_name(values: dict) -> None:
    try:
        checked = check_answer(FIELDS, values)
    except InvalidAnswer as error:
        assert error.field in values or error.field in {f.name for f in FIELDS}
    else:
        assert set(checked) <= {f.name for f in FIELDS}


def test_canonical_text_keeps_todays_leniency_for_one_value_answers() -> None:
    from runs_tui.models.prompt_fields import canonical_text

    assert canonical_text("  Approve ", ["approve", "reject"]) == "approve"
    assert canonical_text(" free words ", ["approve"]) == "free words"
    assert canonical_text("", []) == ""
