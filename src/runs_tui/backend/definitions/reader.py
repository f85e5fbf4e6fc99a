"""A strict reader over one parsed TOML table.

Definitions are written by hand, so a typo must fail loudly at load time with the file and the
key path (`triage[2].prompt.kind`), never silently become a default. Every accessor records the
key it consumed; `finish()` refuses whatever was left over.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING: Any = object()
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


class DefinitionError(ValueError):
    """A definition file that does not follow the schema; names the file and the key."""

    def __init__(self, path: Path | str, key: str, message: str) -> None:
        super().__init__(f"{path}: {key or '<file>'}: {message}")
        self.path = Path(path)
        self.key = key
        self.message = message


class TableReader:
    def __init__(self, data: dict[str, Any], path: Path, where: str = "") -> None:
        self._data = data
        self._path = path
        self._where = where
        self._seen: set[str] = set()

    @property
    def path(self) -> Path:
        return self._path

    def key_path(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def error(self, key: str, message: str) -> DefinitionError:
        return DefinitionError(self._path, self.key_path(key), message)

    def has(self, key: str) -> bool:
        return key in self._data

    def _get(self, key: str, default: Any) -> Any:
        self._seen.add(key)
        if key in self._data:
            return self._data[key]
        if default is _MISSING:
            raise self.error(key, "is required")
        return default

    def _typed(self, key: str, default: Any, kinds: tuple[type, ...], label: str) -> Any:
        value = self._get(key, default)
        if value is default and key not in self._data:
            return value
        if isinstance(value, bool) and bool not in kinds:
            raise self.error(key, f"must be {label}, not a boolean")
        if not isinstance(value, kinds):
            raise self.error(key, f"must be {label}, not {type(value).__name__}")
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        return self._typed(key, default, (str,), "a string")

    def optional_text(self, key: str) -> str | None:
        return self._typed(key, None, (str,), "a string")

    def flag(self, key: str, default: bool = False) -> bool:
        return self._typed(key, default, (bool,), "true or false")

    def integer(self, key: str, default: Any = _MISSING) -> int:
        return self._typed(key, default, (int,), "an integer")

    def number(self, key: str, default: Any = _MISSING) -> float:
        value = self._typed(key, default, (int, float), "a number")
        return float(value) if value is not None else value

    def seconds(self, key: str, default: float | None = None) -> float | None:
        """A duration: a number of seconds, or text such as "90s", "15m", "1h"."""
        value = self._get(key, default)
        if value is default and key not in self._data:
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        elif isinstance(value, str) and (match := _DURATION.match(value)):
            seconds = float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        else:
            raise self.error(key, f'must be a duration such as 30, "90s" or "15m", not {value!r}')
        if seconds < 0:
            raise self.error(key, "must not be negative")
        return seconds

    def choice(self, key: str, parse: Callable[[str], T], default: Any = _MISSING) -> T:
        """A string that `parse` (an enum constructor) accepts; lists the allowed values."""
        value = self.text(key, default)
        if value is default and key not in self._data:
            return value
        try:
            return parse(value)
        except ValueError:
            allowed = ", ".join(
                str(member) for member in getattr(parse, "__members__", {}).values()
            )
            raise self.error(key, f"{value!r} is not one of: {allowed}") from None

    def texts(self, key: str) -> tuple[str, ...]:
        values = self._typed(key, [], (list,), "a list of strings")
        for index, item in enumerate(values):
            if not isinstance(item, str):
                raise self.error(f"{key}[{index}]", "must be a string")
        return tuple(values)

    def text_map(self, key: str) -> dict[str, str]:
        values = self._typed(key, {}, (dict,), "a table of strings")
        for name, item in values.items():
            if not isinstance(item, str):
                raise self.error(f"{key}.{name}", "must be a string")
        return dict(values)

    def table(self, key: str, required: bool = False) -> TableReader | None:
        value = self._typed(key, _MISSING if required else None, (dict,), "a table")
        if value is None:
            return None
        return TableReader(value, self._path, self.key_path(key))

    def tables(self, key: str) -> Iterator[TableReader]:
        """An array of tables (`[[key]]`), each read with its index in the key path."""
        values = self._typed(key, [], (list,), "an array of tables")
        for index, item in enumerate(values):
            if not isinstance(item, dict):
                raise self.error(f"{key}[{index}]", "must be a table")
            yield TableReader(item, self._path, self.key_path(f"{key}[{index}]"))

    def named_tables(self, key: str) -> Iterator[tuple[str, TableReader]]:
        """A table of tables (`[key.name]`), each read under its name."""
        values = self._typed(key, {}, (dict,), "a table of tables")
        for name, item in values.items():
            if not isinstance(item, dict):
                raise self.error(f"{key}.{name}", "must be a table")
            yield name, TableReader(item, self._path, self.key_path(f"{key}.{name}"))

    def finish(self) -> None:
        """Refuse keys nobody asked for: they are typos or unsupported settings."""
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            raise self.error(unknown[0], "is not a known setting here")
