"""Pick several statuses or status groups at once for the filter ("Failed + Cancelled").

An `OptionList` of check rows, `[x] Failed`, toggled with space or enter: the mark is a
character, not a colour, so it reads under NO_COLOR. No row ticked means every status, and
ticking "All statuses" clears the rest.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from runs_tui.models.status import RunStatus, StatusGroup
from runs_tui.widgets.visible_cursor import CursorVisibleOptionList

ALL = "group:all"


def picker_choices() -> list[tuple[str, str]]:
    """(key, label): every status, then every group but All, after "All statuses"."""
    choices = [(ALL, "All statuses")]
    choices += [
        (f"group:{group.value}", group.label)
        for group in StatusGroup
        if group is not StatusGroup.ALL
    ]
    choices += [(f"status:{status.value}", f"  {status.label}") for status in RunStatus]
    return choices


def keys_for(statuses: frozenset[RunStatus]) -> set[str]:
    """The rows to tick for a filter's statuses: its group if it is exactly one, else each."""
    if not statuses:
        return set()
    for group in StatusGroup:
        if group is not StatusGroup.ALL and group.statuses == statuses:
            return {f"group:{group.value}"}
    return {f"status:{status.value}" for status in statuses}


def statuses_for(keys: set[str]) -> frozenset[RunStatus]:
    """The union of the ticked groups and statuses (empty: every status)."""
    chosen: set[RunStatus] = set()
    for key in keys:
        kind, _, name = key.partition(":")
        if kind == "status":
            chosen.add(RunStatus(name))
        elif name != StatusGroup.ALL.value:
            chosen |= StatusGroup(name).statuses
    return frozenset(chosen)


class StatusPicker(CursorVisibleOptionList):
    """Check rows for statuses and groups; `statuses` is what the filter gets."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle", "Tick or untick", id="filter.status_toggle"),
    ]

    DEFAULT_CSS = """
    StatusPicker { height: 7; }
    """

    def __init__(self, statuses: frozenset[RunStatus], *, id: str | None = None) -> None:
        self.choices = picker_choices()
        self.ticked: set[str] = keys_for(statuses)
        super().__init__(
            *(Option(self._prompt(key, label), id=key) for key, label in self.choices), id=id
        )

    @property
    def statuses(self) -> frozenset[RunStatus]:
        return statuses_for(self.ticked)

    def _prompt(self, key: str, label: str) -> Text:
        on = key in self.ticked or (key == ALL and not self.ticked)
        return Text(
            f"[{'x' if on else ' '}] {label}", style="bold" if key.startswith("group:") else ""
        )

    def toggle(self, key: str) -> None:
        if key == ALL:
            self.ticked.clear()
        else:
            self.ticked.symmetric_difference_update({key})
        for index, (choice, label) in enumerate(self.choices):
            self.replace_option_prompt_at_index(index, self._prompt(choice, label))

    def action_toggle(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.choices[self.highlighted][0])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.toggle(event.option.id)
