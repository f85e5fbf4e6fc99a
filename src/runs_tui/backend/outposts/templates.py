"""Placeholder substitution for tool settings, done so that a value can never become code.

Shell argv placeholders are whole items (the loader enforces it), so a value is passed as exactly
one argv item; URL values are percent-encoded, so they cannot add a path, query or host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
WHOLE_PLACEHOLDER = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


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
    return PLACEHOLDER.sub(lambda match: quote(_lookup(variables, match.group(1)), safe=""), template)


def render_argv(argv: tuple[str, ...], variables: Mapping[str, str]) -> list[str]:
    """Each `{var}` item becomes the value as one argv item; every other item is literal."""
    rendered: list[str] = []
    for item in argv:
        match = WHOLE_PLACEHOLDER.match(item)
        rendered.append(_lookup(variables, match.group(1)) if match else item)
    return rendered
