"""NO_COLOR: the terminal's default colours, never faint, emphasis by reverse/bold/underline.

Textual's own NO_COLOR filter turned every colour to grey: failed and partial runs came out
grey 237 on grey 234. These tests read the lines as the terminal gets them (after the app's
line filters).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.geometry import Region

from runs_tui.app import RunsApp
from runs_tui.service import RunsService
from runs_tui.widgets.run_list import RunList


def line_styles(lst: RunList, name_part: str) -> list:
    width, height = lst.size
    for strip in lst.render_lines(Region(0, 0, width, height)):
        if name_part in strip.text:
            return [
                segment.style
                for segment in strip
                if segment.style is not None and segment.text.strip()
            ]
    raise AssertionError(f"no line shows {name_part!r}")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_no_grey_and_no_faint_text_under_no_color(
    service: RunsService, app_factory: Callable[..., RunsApp], no_color: bool, size: tuple[int, int]
) -> None:
    app = app_factory(service)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        failed = next(
            r for r in lst.pager.rows(0, lst.total) if r.status.label == "Completed Failure"
        )
        styles = line_styles(lst, failed.name[:12])
        if not no_color:
            assert any(s.color is not None and not s.color.is_default for s in styles)
            return
        assert all(s.color is None or s.color.is_default for s in styles)
        assert all(s.bgcolor is None or s.bgcolor.is_default for s in styles)
        assert not any(s.dim for s in styles)


async def test_the_cursor_row_is_reverse_video_under_no_color(
    service: RunsService, app_factory: Callable[..., RunsApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lst = app.screen.query_one(RunList)
        current = lst.current_run
        assert current is not None
        styles = line_styles(lst, current.name[:12])
        assert all(s.reverse for s in styles), [str(s) for s in styles]
