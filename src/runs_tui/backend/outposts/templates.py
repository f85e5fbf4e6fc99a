"""Placeholder substitution for tool settings, done so that a value can never become code.

Shell argv placeholders are whole items (the loader enforces it), so a value is passed as exactly
one argv item; URL values are percent-encoded, so they cannot add a path, query or host. One
argv item prevents shell injection, not option injection: a value like `--help` or `-n` before
a literal `--` item is read by the program as an option, so such a value is refused unless the
tool names its variable in `option_values`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHOLE_PLACEHOLDER = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


OPTIONS_END = "--"


class OptionValueRefused(ValueError):
    """A value starting with `-` where the program would read it as an option."""

    def __init__(self, variable: str, value: str, program: str) -> None:
        super().__init__(
            f"refused: {{{variable}}} is {value[:40]!r}, which {program} would read as an option; "
            f'put a "--" item before it in argv, or list it in the tool\'s option_values'
        )


class MissingVariable(KeyError):
    """A template names a variable the run does not have."""

    def __str__(self) -> str:
        return f"unknown variable {{{self.args[0]}}}"


def _lookup(variables: Mapping[str, str], name: str) -> str:
    try:
        return variables[name]
    except KeyError:
        raise MissingVariable(name) from None


def render_text(template: str, variables: Mapping[str, str]) -> str:
    """Interpolates values into text that is never interpreted (env values, headers, bodies)."""
    return PLACEHOLDER.sub(lambda match: _lookup(variables, match.group(1)), template)


def render_lenient(template: str, variables: Mapping[str, str]) -> str:
    """Like `render_text`, but leaves unknown placeholders as written (scripted sim output)."""
    return PLACEHOLDER.sub(lambda match: variables.get(match.group(1), match.group(0)), template)


def render_url(template: str, variables: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(
        lambda match: quote(_lookup(variables, match.group(1)), safe=""), template
    )


def render_argv(argv: tuple[str, ...], variables: Mapping[str, str]) -> list[str]:
    """Each `{var}` item becomes the value as one argv item; every other item is literal."""
    rendered: list[str] = []
    for item in argv:
        match = WHOLE_PLACEHOLDER.match(item)
        rendered.append(_lookup(variables, match.group(1)) if match else item)
    return rendered


def refuse_option_values(
    argv: tuple[str, ...], variables: Mapping[str, str], option_values: frozenset[str] = frozenset()
) -> None:
    """Raises `OptionValueRefused` for a value starting with `-` before the first literal `--`
    item (where getopt-style programs still parse options), unless `option_values` names it."""
    for item in argv:
        if item == OPTIONS_END:
            return
        match = WHOLE_PLACEHOLDER.match(item)
        if match and match.group(1) not in option_values:
            value = _lookup(variables, match.group(1))
            if value.startswith("-"):
                raise OptionValueRefused(match.group(1), value, argv[0])
