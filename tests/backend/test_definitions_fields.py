"""Typed prompts in definitions: fields, description, deadline and context load as written, and
every wrong field spec is refused at load with the file and the key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs_tui.backend.definitions import DefinitionError, load_definitions
from runs_tui.models.domain import PromptKind
from runs_tui.models.prompt_fields import FieldType, OnExpiry

TYPED_GUIDE = """
kind = "guide"
id = "g"
title = "A guide"

[[steps]]
key = "look"
title = "Look"
automation = "manual"

[[steps]]
key = "ask"
title = "Ask"
automation = "manual"
[steps.prompt]
question = "Fail over {run_id}?"
description = "Read {run_id} first."
expires_after = "15m"
on_expiry = "default"
context_steps = ["look"]
[[steps.prompt.fields]]
name = "ticket"
label = "Ticket"
pattern = 'INC-[0-9]+'
default = "INC-1"
[[steps.prompt.fields]]
name = "replicas"
type = "integer"
minimum = 1
maximum = 5
default = 2
[[steps.prompt.fields]]
name = "areas"
type = "choices"
choices = ["eu", "us"]
required = false
[[steps.prompt.fields]]
name = "page"
type = "boolean"
default = false
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "g.toml"
    path.write_text(text)
    return path


def test_a_typed_prompt_loads_as_written(tmp_path: Path) -> None:
    _write(tmp_path, TYPED_GUIDE)
    prompt = load_definitions(tmp_path).guides["g"].steps[1].prompt
    assert prompt is not None
    assert prompt.kind is PromptKind.ANSWER  # fields make an answer prompt
    assert prompt.description == "Read {run_id} first."
    assert prompt.expires_after_seconds == 900
    assert prompt.on_expiry is OnExpiry.DEFAULT
    assert prompt.context_steps == ("look",)
    by_name = {field.name: field for field in prompt.fields}
    assert list(by_name) == ["ticket", "replicas", "areas", "page"]
    assert by_name["ticket"].pattern == "INC-[0-9]+" and by_name["ticket"].default == "INC-1"
    assert by_name["replicas"].type is FieldType.INTEGER and by_name["replicas"].default == 2
    assert (by_name["replicas"].minimum, by_name["replicas"].maximum) == (1, 5)
    assert by_name["areas"].required is False and by_name["areas"].choices == ["eu", "us"]
    assert by_name["page"].default is False


def test_a_deadline_without_on_expiry_fails_the_step(tmp_path: Path) -> None:
    _write(tmp_path, TYPED_GUIDE.replace('on_expiry = "default"\n', ""))
    prompt = load_definitions(tmp_path).guides["g"].steps[1].prompt
    assert prompt is not None and prompt.on_expiry is OnExpiry.FAIL


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ('type = "integer"', 'type = "date"', "steps[1].prompt.fields[1].type", "not one of"),
        ('choices = ["eu", "us"]', "", "steps[1].prompt.fields[2].choices", "needs choices"),
        ("minimum = 1", "minimum = 9", "steps[1].prompt.fields[1].minimum", "more than maximum"),
        (
            "pattern = 'INC-[0-9]+'",
            "pattern = 'INC-[0-9'",
            "steps[1].prompt.fields[0].pattern",
            "not a valid regular expression",
        ),
        (
            'default = "INC-1"',
            'default = "nope"',
            "steps[1].prompt.fields[0].default",
            "must match the pattern",
        ),
        ("default = 2", "default = 9", "steps[1].prompt.fields[1].default", "at most 5"),
        ('name = "page"', 'name = "ticket"', "steps[1].prompt.fields", "used twice"),
        ('name = "page"', 'name = "two words"', "steps[1].prompt.fields[3].name", "identifier"),
        (
            "default = false\n",
            "default = false\nminimum = 1\n",
            "steps[1].prompt.fields[3].minimum",
            "only integer and number",
        ),
        (
            "default = false\n",
            "default = false\nlabel_x = 1\n",
            "steps[1].prompt.fields[3].label_x",
            "not a known setting",
        ),
        ('expires_after = "15m"\n', "", "steps[1].prompt.on_expiry", "needs expires_after"),
        ('"15m"', '"soon"', "steps[1].prompt.expires_after", "duration"),
        ('on_expiry = "default"', 'on_expiry = "later"', "steps[1].prompt.on_expiry", "not one of"),
        ('["look"]', '["nowhere"]', "step 'ask'.prompt.context_steps[0]", "no step has key"),
        (
            'question = "Fail',
            'kind = "complete"\nquestion = "Fail',
            "steps[1].prompt.fields",
            "only answer prompts take fields",
        ),
    ],
)
def test_bad_field_specs_name_the_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    assert old in TYPED_GUIDE
    path = _write(tmp_path, TYPED_GUIDE.replace(old, new, 1))
    with pytest.raises(DefinitionError) as error:
        load_definitions(tmp_path)
    assert str(error.value).startswith(f"{path}: {key}: "), str(error.value)
    assert message in str(error.value)


def test_on_expiry_default_needs_a_default_for_every_required_field(tmp_path: Path) -> None:
    """Said at load with the file and the step: at expiry there is nobody to ask."""
    path = _write(tmp_path, TYPED_GUIDE.replace('default = "INC-1"\n', "", 1))
    with pytest.raises(DefinitionError) as error:
        load_definitions(tmp_path)
    assert str(error.value).startswith(f"{path}: steps[1].prompt.on_expiry: ")
    assert "'ticket' has none" in str(error.value)
    # today's kinds have no defaults: default expiry of a complete prompt is refused too
    path = _write(
        tmp_path,
        'kind = "guide"\nid = "g"\ntitle = "G"\n[[steps]]\ntitle = "s"\nautomation = "manual"\n'
        'prompt = { kind = "complete", question = "?", expires_after = 60, '
        'on_expiry = "default" }\n',
    )
    with pytest.raises(DefinitionError, match="steps\\[0\\].prompt.on_expiry"):
        load_definitions(tmp_path)


def test_a_field_becomes_a_variable_later_tools_may_use(tmp_path: Path) -> None:
    """The loader's placeholder check knows answered fields, as the engine sets them."""
    text = TYPED_GUIDE + (
        '\n[tools.t]\ntype = "sim"\n[[tools.t.scenarios]]\nlines = ["ok"]\n'
        '[[steps]]\ntitle = "Use"\nautomation = "automated"\n'
        'tool = { name = "t", config = { ticket = "{ticket}" } }\n'
    )
    _write(tmp_path, text)
    assert load_definitions(tmp_path).guides["g"].steps[2].tool_config == {"ticket": "{ticket}"}
