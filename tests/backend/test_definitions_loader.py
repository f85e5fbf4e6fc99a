"""The definitions loader: the demo set loads, and every bad file names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from runs_tui.backend.definitions import DefinitionError, load_definitions
from runs_tui.models.domain import AutomationType, PromptKind

GOOD_GUIDE = """
kind = "guide"
id = "g"
title = "A guide"
[tools.t]
type = "sim"
[[tools.t.scenarios]]
lines = ["ok"]
[[steps]]
title = "Step"
automation = "automated"
tool = "t"
"""


def test_demo_set_covers_the_required_shapes() -> None:
    defs = load_definitions()
    assert len(defs.flows) >= 5 and len(defs.guides) >= 3
    steps = [s for d in defs.all() for s in d.all_steps()]
    kinds = {s.prompt.kind for s in steps if s.prompt}
    assert kinds == set(PromptKind)
    assert {s.automation for s in steps} == set(AutomationType)
    assert any(d.schedule_interval_seconds for d in defs.flows.values())
    assert any(not d.all_steps() for d in defs.all())
    assert any(i.required and not i.default for d in defs.all() for i in d.inputs)
    assert any(not i.required for d in defs.all() for i in d.inputs)


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (GOOD_GUIDE + "colour = 'red'\n", "steps[0].colour", "not a known setting"),
        ("colour = 1\n" + GOOD_GUIDE, "colour", "not a known setting"),
        (
            GOOD_GUIDE.replace('automation = "automated"', 'automation = "robotic"'),
            "steps[0].automation",
            "not one of",
        ),
        (GOOD_GUIDE.replace('tool = "t"\n', ""), "steps[0].tool", "is required"),
        (GOOD_GUIDE.replace('title = "A guide"', "title = 3"), "title", "must be a string"),
        (
            GOOD_GUIDE.replace(
                'type = "sim"', 'type = "shell"\nargv = ["ping", "-c1", "host={host}"]'
            ),
            "tools.t.argv[2]",
            "whole argv item",
        ),
        (
            GOOD_GUIDE.replace('type = "sim"', 'type = "shell"\nargv = ["{prog}"]'),
            "tools.t.argv[0]",
            "literal",
        ),
        (
            GOOD_GUIDE.replace(
                'type = "sim"', 'type = "shell"\nargv = ["ls", "{dir}"]\noption_values = ["other"]'
            ),
            "tools.t.option_values[0]",
            "not a {placeholder}",
        ),
        (GOOD_GUIDE.replace('type = "sim"', 'type = "ftp"'), "tools.t.type", "not one of"),
        (
            GOOD_GUIDE + '[[inputs]]\nname = "n"\npattern = "("\n',
            "inputs[0].pattern",
            "regular expression",
        ),
        (
            GOOD_GUIDE + '[[inputs]]\nname = "n"\npattern = "[a-z]+"\ndefault = "X1"\n',
            "inputs[0].default",
            "does not match",
        ),
        (
            GOOD_GUIDE.replace('automation = "automated"', 'automation = "manual"').replace(
                'tool = "t"', ""
            ),
            None,
            None,
        ),
        (
            'kind = "flow"\nid = "f"\ntitle = "F"\n'
            '[[outcomes]]\nname = "o"\nremediation = "nope"\n',
            "outcomes[0].remediation",
            "no remediation",
        ),
        (
            'kind = "flow"\nid = "f"\ntitle = "F"\n'
            '[[outcomes]]\nname = "o"\n[[outcomes.when]]\nstep = "x"\n',
            "outcomes[0].when[0].step",
            "no triage step",
        ),
        (
            'kind = "flow"\nid = "f"\ntitle = "F"\n'
            '[[triage]]\ntitle = "i"\nautomation = "information_only"\n',
            "triage[0].automation",
            "guides only",
        ),
        (
            'kind = "flow"\nid = "f"\ntitle = "F"\n[[triage]]\ntitle = "q"\nautomation = "manual"\n'
            'prompt = { kind = "answer", question = "?" }\n',
            "triage[0].prompt.choices",
            "needs choices",
        ),
        (
            'kind = "flow"\nid = "f"\ntitle = "F"\nschedule_interval = "soon"\n',
            "schedule_interval",
            "duration",
        ),
        ("kind = 'flow'\nid = [\n", "<file>", "not valid TOML"),
    ],
)
def test_bad_files_name_the_file_and_key(
    tmp_path: Path, text: str, key: str | None, message: str | None
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    if key is None:
        assert load_definitions(tmp_path).guides["g"].steps[0].prompt.kind is PromptKind.COMPLETE
        return
    with pytest.raises(DefinitionError) as error:
        load_definitions(tmp_path)
    assert str(error.value).startswith(f"{path}: {key}: "), str(error.value)
    assert message in str(error.value)


def test_duplicate_ids_across_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD_GUIDE)
    (tmp_path / "b.toml").write_text(GOOD_GUIDE)
    with pytest.raises(DefinitionError, match="already defined in .*a.toml"):
        load_definitions(tmp_path)


def test_step_tool_config_may_only_use_known_variables(tmp_path: Path) -> None:
    (tmp_path / "g.toml").write_text(
        GOOD_GUIDE.replace('tool = "t"', 'tool = { name = "t", config = { x = "{ghost}" } }')
    )
    with pytest.raises(DefinitionError, match="ghost"):
        load_definitions(tmp_path)


def test_a_tool_may_declare_itself_idempotent(tmp_path: Path) -> None:
    """Whether a step is re-run after its backend died (docs/deployment.md) rests on this key."""
    (tmp_path / "g.toml").write_text(
        GOOD_GUIDE.replace('type = "sim"', 'type = "sim"\nidempotent = true')
    )
    assert load_definitions(tmp_path).guides["g"].tools["t"].idempotent is True
    (tmp_path / "g.toml").write_text(GOOD_GUIDE)
    assert load_definitions(tmp_path).guides["g"].tools["t"].idempotent is False
    (tmp_path / "g.toml").write_text(
        GOOD_GUIDE.replace('type = "sim"', 'type = "sim"\nidempotent = "yes"')
    )
    with pytest.raises(DefinitionError, match="idempotent"):
        load_definitions(tmp_path)


MANUAL_GUIDE = """
kind = "guide"
id = "g"
title = "A guide"
[[steps]]
title = "Sign off"
automation = "manual"
prompt = { kind = "complete", question = "?"PROMPT_KEYS }
"""


def test_a_prompt_says_who_may_answer_it(tmp_path: Path) -> None:
    """Issue 13: `responders` (names, `group:<name>`) and `allow_self` (four eyes)."""
    (tmp_path / "g.toml").write_text(
        MANUAL_GUIDE.replace(
            "PROMPT_KEYS", ', responders = ["group:dba", "carol"], allow_self = false'
        )
    )
    prompt = load_definitions(tmp_path).guides["g"].steps[0].prompt
    assert prompt is not None
    assert prompt.responders == ("group:dba", "carol") and prompt.allow_self is False
    (tmp_path / "g.toml").write_text(MANUAL_GUIDE.replace("PROMPT_KEYS", ""))
    default = load_definitions(tmp_path).guides["g"].steps[0].prompt
    assert default is not None and default.responders == () and default.allow_self is True


@pytest.mark.parametrize(
    ("keys", "key"),
    [
        (', responders = "carol"', "steps[0].prompt.responders"),
        (', responders = ["group:"]', "steps[0].prompt.responders[0]"),
        (', responders = [" carol"]', "steps[0].prompt.responders[0]"),
        (', responders = ["group:a:b"]', "steps[0].prompt.responders[0]"),
        (", allow_self = 'no'", "steps[0].prompt.allow_self"),
    ],
)
def test_bad_responders_name_the_key(tmp_path: Path, keys: str, key: str) -> None:
    path = tmp_path / "g.toml"
    path.write_text(MANUAL_GUIDE.replace("PROMPT_KEYS", keys))
    with pytest.raises(DefinitionError) as error:
        load_definitions(tmp_path)
    assert str(error.value).startswith(f"{path}: {key}"), str(error.value)


def test_the_demo_set_has_a_responders_list_and_a_four_eyes_prompt() -> None:
    prompts = [
        step.prompt
        for guide in load_definitions().guides.values()
        for step in guide.steps
        if step.prompt is not None
    ]
    assert any(p.responders for p in prompts) and any(not p.allow_self for p in prompts)
