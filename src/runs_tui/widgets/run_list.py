"""The runs list: a windowed line-API widget over the local cache.

Why not `DataTable`: it keeps every row as widgets' data and needs seconds to settle 10k rows;
operators' caches hold up to a million runs. This widget asks the cache for the count and then
only for the pages of rows on screen (keyset queries from a neighbouring page, so paging and
jumping to the end never pay for a large OFFSET), keeps a small LRU of pages, and renders each
line on demand (`ScrollView.render_line`), so memory and time do not grow with the cache.

Live durations tick by refreshing only the duration cells of the visible active rows, once a
second; a screen without active rows does not redraw at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import ClassVar, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runs_tui.formatting import (
    countdown_words,
    due_words,
    format_duration,
    run_elapsed,
    run_is_ticking,
)
from runs_tui.models.domain import RunSummary, Trigger
from runs_tui.models.filters import RunFilter, SortColumn
from runs_tui.models.ordering import RowKey
from runs_tui.models.status import RunStatus
from runs_tui.sanitize import inert
from runs_tui.widgets.quiet_update import on_view
from runs_tui.widgets.status_badge import (
    FULL_WIDTH,
    GLYPHS,
    SHORT_WIDTH,
    status_label,
    status_style,
)


class RunSource(Protocol):
    """The cache query methods the list needs (see `runs_tui.cache.Cache`)."""

    def count(self, f: RunFilter, now: datetime) -> int: ...

    def rows_at(self, f: RunFilter, now: datetime, offset: int, limit: int) -> list[RunSummary]: ...

    def window(
        self,
        f: RunFilter,
        now: datetime,
        *,
        after: RowKey | None = None,
        before: RowKey | None = None,
        limit: int,
    ) -> list[RunSummary]: ...

    def get_run(self, run_id: str) -> RunSummary | None: ...


# --- formatting --------------------------------------------------------------------------------


COUNTDOWN_LOOKBACK = timedelta(seconds=1.5)  # a tick late by a few ms still sees its boundary


def countdown_turned(run: RunSummary, now: datetime) -> bool:
    """Whether a scheduled run's "in 4 min" reads differently than at the last tick, so the
    ticker redraws its status cell once a minute, not every second (bytes over SSH)."""
    due = run.scheduled_for
    if run.status is not RunStatus.SCHEDULED_FOR_EXECUTION or due is None:
        return False
    return countdown_words(due, now) != countdown_words(due, now - COUNTDOWN_LOOKBACK)


def format_started(
    moment: datetime, tz: tzinfo | None, *, narrow: bool, today: date | None = None
) -> str:
    """ "Dec 01 17:54" when there is room; narrow, the time alone for today's runs (what an
    incident looks at) and the day alone for older ones, like `ls -l`."""
    local = moment.astimezone(tz)
    if not narrow:
        return local.strftime("%b %d %H:%M")
    return local.strftime("%H:%M" if local.date() == today else "%b %d")


def trigger_label(trigger: Trigger) -> str:
    """Who or what started the run: "chat · #ops", "manual · alice@example.com", "schedule"."""
    return trigger_forms(trigger.kind.value, inert(trigger.actor).strip())[0]


@lru_cache(maxsize=4096)
def trigger_forms(kind: str, actor: str) -> tuple[str, ...]:
    """The trigger from its longest form to its shortest, for the column to take the longest
    that fits: cutting "manual · carol@example.com" to "manual · carol@exam…" reads worse than
    "manual · carol". The actor repeating the kind ("chat:#ops", "schedule") is said once."""
    actor = actor.removeprefix(f"{kind}:").strip()
    if not actor or actor == kind:
        return (kind,)
    local = actor.split("@", 1)[0] if "@" in actor[1:] else actor
    forms = [f"{kind} · {actor}", f"{kind} · {local}", local]
    return tuple(dict.fromkeys(forms))


def trigger_cell(trigger: Trigger, width: int) -> str:
    """The longest form of the trigger that fits `width` cells (else the shortest, cut)."""
    forms = trigger_forms(trigger.kind.value, inert(trigger.actor).strip())
    return next((form for form in forms if cell_len(form) <= width), forms[-1])


# --- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    x: int
    width: int
    sort: SortColumn | None = None


@dataclass(frozen=True)
class Layout:
    columns: tuple[Column, ...]
    short_status: bool
    narrow_time: bool

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


MARK_WIDTH = 2
MIN_NAME = 14
NARROW_STARTED = 6  # "17:54" today, "Nov 30" before


@lru_cache(maxsize=16)
def layout_columns(width: int) -> Layout:
    """Fit the columns into `width` cells.

    Order of sacrifice as the terminal narrows: the trigger gives up the actor's mail domain,
    the full status label becomes its short form, the type column goes, the start time shrinks
    to the time of day (or the day), and then the trigger goes. The name and the status are
    never dropped: they are what an operator scans for. The name keeps at least ~20 cells at 80
    columns, so the demo's names read whole.
    """
    plans = [
        dict(status=FULL_WIDTH, kind=6, started=12, duration=8, trigger=28, name_min=30),
        dict(status=FULL_WIDTH, kind=6, started=12, duration=8, trigger=20, name_min=24),
        dict(status=SHORT_WIDTH, kind=6, started=12, duration=8, trigger=20, name_min=22),
        dict(
            status=SHORT_WIDTH, kind=0, started=NARROW_STARTED, duration=8, trigger=15, name_min=18
        ),
        dict(
            status=SHORT_WIDTH,
            kind=0,
            started=NARROW_STARTED,
            duration=8,
            trigger=0,
            name_min=MIN_NAME,
        ),
        dict(status=SHORT_WIDTH, kind=0, started=0, duration=8, trigger=0, name_min=1),
    ]
    for plan in plans:
        fixed = [plan["status"], plan["kind"], plan["started"], plan["duration"], plan["trigger"]]
        used = MARK_WIDTH + sum(w + 1 for w in fixed if w)
        if width - used >= plan["name_min"] or plan is plans[-1]:
            return _place(plan, max(1, width - used))
    raise AssertionError("unreachable")


def _place(plan: dict[str, int], name_width: int) -> Layout:
    # The name comes first (what the eye looks for) and the duration right after it: it ticks
    # every second, and Textual 8's partial repaint (`ChopsUpdate.render_segments`) resends a
    # line from the widget's left edge to the end of the changed cell, so the further right the
    # ticking cell, the more bytes per tick over SSH (bench_ui_list.py --idle-only: at 120×40,
    # 20 live runs, ~860 B/s with the duration first, ~4.7 KB/s with it last).
    spec = [
        ("name", "Run", name_width, SortColumn.NAME),
        ("duration", "Duration", plan["duration"], SortColumn.DURATION),
        ("status", "Status", plan["status"], SortColumn.STATUS),
        ("kind", "Type", plan["kind"], SortColumn.KIND),
        (
            "started",
            "Started" if plan["started"] > NARROW_STARTED else "When",
            plan["started"],
            SortColumn.STARTED,
        ),
        ("trigger", "Trigger", plan["trigger"], SortColumn.TRIGGER),
    ]
    columns = [Column("mark", "", 0, MARK_WIDTH)]
    x = MARK_WIDTH
    for key, title, width, sort in spec:
        if width:
            columns.append(Column(key, title, x, width, sort))
            x += width + 1
    return Layout(tuple(columns), plan["status"] != FULL_WIDTH, plan["started"] == NARROW_STARTED)


def cell_value(
    run: RunSummary, column: Column, layout: Layout, now: datetime, tz: tzinfo | None
) -> tuple[str, str]:
    """One cell of a row as (inert text, Rich style string): run data never becomes markup."""
    key = column.key
    if key == "status":
        label = status_label(run.status, short=layout.short_status)
        if run.status is RunStatus.SCHEDULED_FOR_EXECUTION and run.scheduled_for is not None:
            label = due_words(run.scheduled_for, now, tz, short=layout.short_status)
        return f"{GLYPHS[run.status]} {label}", status_style(run.status)
    if key == "name":
        return inert(run.name), "bold" if run.status.is_waiting else ""
    if key == "kind":
        return run.kind.value, ""
    if key == "started":
        today = now.astimezone(tz).date()
        return format_started(run.created_at, tz, narrow=layout.narrow_time, today=today), ""
    if key == "duration":
        spent = run_elapsed(run, now)
        return format_duration(spent.total_seconds() if spent else None), ""
    if key == "trigger":
        return trigger_cell(run.trigger, column.width), ""
    return "", ""


def fit_cells(text: str, width: int, *, right: bool = False) -> str:
    """Exactly `width` cells: cut with an ellipsis (wide characters count double) or padded."""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    padding = " " * (width - length)
    return padding + text if right else text + padding


def _joined(cells: list[tuple[str, Style]], width: int, style: Style) -> Strip:
    """One Strip of exactly `width` cells, neighbours of equal style merged (fewer escape
    sequences on every repaint), built once: Strips are not cheap to make."""
    segments: list[Segment] = []
    text, current = "", None
    for cell, cell_style in cells:
        if cell_style == current:
            text += cell
            continue
        if current is not None:
            segments.append(Segment(text, current))
        text, current = cell, cell_style
    used = sum(cell_len(cell) for cell, _ in cells)
    if used < width:
        if current == style:
            text += " " * (width - used)
        else:
            segments.append(Segment(text, current))
            text, current = " " * (width - used), style
    if current is not None:
        segments.append(Segment(text, current))
    strip = Strip(segments, max(used, width))
    return strip if used <= width else strip.crop(0, width)


@lru_cache(maxsize=64)
def _parsed(style: str) -> Style:
    return Style.parse(style) if style else Style()


# --- data window -------------------------------------------------------------------------------


class RunPager:
    """The rows of one query, fetched a page at a time and kept in a small LRU.

    `now` is frozen at construction so the count and every page agree on the same time window.
    Pages next to a loaded page are fetched by keyset (`after`/`before` the neighbour's edge
    row), the last page by reading the order backwards, and only a jump into the middle falls
    back to `rows_at` (an OFFSET).
    """

    PAGE: ClassVar[int] = 64
    MAX_PAGES: ClassVar[int] = 12

    def __init__(self, source: RunSource, run_filter: RunFilter, now: datetime) -> None:
        self.source = source
        self.filter = run_filter
        self.now = now
        self.total = source.count(run_filter, now)
        self._pages: OrderedDict[int, list[RunSummary]] = OrderedDict()

    @property
    def last_page(self) -> int:
        return max(0, (self.total - 1) // self.PAGE)

    def peek(self, index: int) -> RunSummary | None:
        """The row if its page is already loaded (no query): used by the ticker."""
        page = self._pages.get(index // self.PAGE)
        offset = index % self.PAGE
        return page[offset] if page is not None and offset < len(page) else None

    def row(self, index: int) -> RunSummary | None:
        if not 0 <= index < self.total:
            return None
        page = self._page(index // self.PAGE)
        offset = index % self.PAGE
        return page[offset] if offset < len(page) else None

    def rows(self, start: int, stop: int) -> list[RunSummary]:
        return [run for i in range(start, min(stop, self.total)) if (run := self.row(i))]

    def _page(self, number: int) -> list[RunSummary]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        page = self._fetch(number)
        self._pages[number] = page
        while len(self._pages) > self.MAX_PAGES:
            self._pages.popitem(last=False)
        return page

    def _fetch(self, number: int) -> list[RunSummary]:
        size = self.PAGE
        start = number * size
        want = min(size, self.total - start)
        previous = self._pages.get(number - 1)
        following = self._pages.get(number + 1)
        sort = self.filter.sort
        if previous and len(previous) == size:
            after = RowKey.for_run(previous[-1], sort)
            return self.source.window(self.filter, self.now, after=after, limit=want)
        if following:
            before = RowKey.for_run(following[0], sort)
            return self.source.window(self.filter, self.now, before=before, limit=want)
        # The cache reads the tail backwards and a middle jump from the nearer end.
        return self.source.rows_at(self.filter, self.now, start, want)


# --- the widget --------------------------------------------------------------------------------


class RunList(ScrollView, can_focus=True, inherit_bindings=False):
    """The list of runs under the current filter; only the visible window is ever loaded.

    Its keys are its own (`inherit_bindings=False`): the list never scrolls sideways, and
    moving means moving the cursor, so ScrollView's scrolling keys are not inherited."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("home,g", "first", "First run", show=False, id="list.first"),
        Binding("end,G", "last", "Last run", show=False, id="list.last"),
        Binding("pagedown", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("space", "toggle_mark", "Mark", id="list.mark"),
        Binding("x", "mark_all", "Mark all", show=False, id="list.mark_all"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "run-list--header",
        "run-list--cursor",
        "run-list--marked",
        "run-list--empty",
    }

    DEFAULT_CSS = """
    RunList {
        overflow-x: hidden;
        overflow-y: auto;
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    RunList > .run-list--header { text-style: bold; color: $text-muted; background: $panel; }
    RunList > .run-list--cursor { background: $block-cursor-blurred-background; }
    RunList:focus > .run-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    RunList > .run-list--marked { background: $accent 25%; }
    RunList > .run-list--empty { color: $text-muted; text-style: italic; }
    """

    MARK_ALL_LIMIT: ClassVar[int] = 10_000
    HELP_AREA: ClassVar[str] = "runs list"

    cursor: reactive[int] = reactive(0, always_update=False, init=False)

    class RunSelected(Message):
        """Enter (or a double click) on a run: the screen decides what opening means."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class MarksChanged(Message):
        def __init__(self, count: int, note: str = "") -> None:
            super().__init__()
            self.count = count
            self.note = note

    def __init__(
        self,
        source: RunSource,
        now: Callable[[], datetime],
        *,
        run_filter: RunFilter | None = None,
        tz: tzinfo | None = None,
        tick: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = source
        self._now = now
        self.tz = tz
        self._tick_enabled = tick
        self.pager = RunPager(source, run_filter or RunFilter(), now())
        self.marks: set[str] = set()
        self.empty_message = "No runs match this filter."
        self._base_style: Style | None = None

    # --- public API ------------------------------------------------------------------------

    @property
    def run_filter(self) -> RunFilter:
        return self.pager.filter

    @property
    def total(self) -> int:
        return self.pager.total

    @property
    def current_run(self) -> RunSummary | None:
        return self.pager.row(self.cursor)

    def set_filter(self, run_filter: RunFilter) -> None:
        """Show another query from its top."""
        self.pager = RunPager(self.source, run_filter, self._now())
        self.set_reactive(RunList.cursor, 0)
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def reload(self) -> None:
        """Re-read the same query after the cache changed, keeping the cursor on its run, and
        redraw only the rows that now read differently: over SSH a step change in one of 20
        executing runs costs one line, not the whole list."""
        top, shown, cursor = round(self.scroll_offset.y), self._shown_rows(), self.cursor
        current = self.pager.peek(self.cursor)
        self.pager = RunPager(self.source, self.pager.filter, self._now())
        self._update_virtual_size()
        if current is not None and self.cursor > 0:
            self._relocate(current.id)
        self.set_reactive(RunList.cursor, self.validate_cursor(self.cursor))
        if round(self.scroll_offset.y) != top:
            self.refresh()  # the cursor's run moved out of view: everything shifted
            return
        for y in self._changed_lines(shown, cursor):
            self.refresh(Region(0, y, self.size.width, 1))

    def _shown_rows(self) -> list[RunSummary | None]:
        """The runs on screen now (loaded already, since they are painted)."""
        top = round(self.scroll_offset.y)
        return [self.pager.peek(top + i) for i in range(self._rows_visible)]

    def _changed_lines(self, before: list[RunSummary | None], cursor: int) -> list[int]:
        """Screen lines (1 = first row, under the column header) whose run or cursor changed."""
        top = round(self.scroll_offset.y)
        moved = {cursor, self.cursor} if cursor != self.cursor else set()
        lines = []
        for offset, old in enumerate(before):
            index = top + offset
            if self.pager.row(index) != old or index in moved:
                lines.append(offset + 1)
        return lines

    def marked_or_current(self) -> list[RunSummary]:
        """The runs an action applies to: the marked ones, else the one under the cursor."""
        if self.marks:
            return [run for run in (self._lookup(i) for i in sorted(self.marks)) if run]
        current = self.current_run
        return [current] if current else []

    def clear_marks(self) -> None:
        self.marks.clear()
        self.post_message(self.MarksChanged(0))
        self.refresh()

    # --- geometry --------------------------------------------------------------------------

    @property
    def _rows_visible(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.pager.total + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()

    def on_mount(self) -> None:
        self._update_virtual_size()
        if self._tick_enabled:
            self.set_interval(1.0, self.tick)

    def validate_cursor(self, index: int) -> int:
        """Every move lands on a row: clamped here once, not in each action."""
        return max(0, min(index, self.pager.total - 1)) if self.pager.total else 0

    def _relocate(self, run_id: str) -> None:
        """Find a run near its old position (new runs at the top shift the rest down)."""
        start = max(0, self.cursor - self.pager.PAGE)
        for index in range(start, min(self.pager.total, self.cursor + self.pager.PAGE)):
            run = self.pager.row(index)
            if run is not None and run.id == run_id:
                self.set_reactive(RunList.cursor, index)
                self._scroll_cursor_into_view()
                return

    def _lookup(self, run_id: str) -> RunSummary | None:
        getter = getattr(self.source, "get_run", None)
        return getter(run_id) if getter else None

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_cursor_into_view()

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_offset.y) + 1
        if 1 <= y <= self._rows_visible:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> None:
        top = round(self.scroll_offset.y)
        visible = self._rows_visible
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    # --- rendering -------------------------------------------------------------------------

    def render_lines(self, crop: Region) -> list[Strip]:
        """Resolve the widget's base style once per batch of lines, not once per line."""
        self._base_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._base_style = None

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        layout = layout_columns(width)
        base = self._base_style or self.rich_style
        if y == 0:
            return self._header_strip(layout, width, base)
        if self.pager.total == 0:
            return self._empty_strip(y, width, base)
        index = round(self.scroll_offset.y) + y - 1
        run = self.pager.row(index)
        if run is None:
            return Strip.blank(width, base)
        return self._row_strip(run, index, layout, width, base)

    def _row_strip(
        self, run: RunSummary, index: int, layout: Layout, width: int, base: Style
    ) -> Strip:
        """One segment per cell (and per gap), so a tick rewrites only the duration cell."""
        now = self._now()
        marked = run.id in self.marks
        style = base
        if marked:
            style += self.get_component_rich_style("run-list--marked")
        if index == self.cursor:
            style += self.get_component_rich_style("run-list--cursor")
        cells: list[tuple[str, Style]] = []
        for column in layout.columns:
            if column.key == "mark":
                cells.append(
                    (
                        fit_cells("●" if marked else "", column.width),
                        style + _parsed("bold") if marked else style,
                    )
                )
                continue
            text, cell_style = cell_value(run, column, layout, now, self.tz)
            cell_text = fit_cells(text, column.width, right=column.key == "duration")
            cells.append((cell_text, style + _parsed(cell_style) if cell_style else style))
            cells.append((" ", style))
        return _joined(cells, width, style)

    def _header_strip(self, layout: Layout, width: int, base: Style) -> Strip:
        flt = self.pager.filter
        style = base + self.get_component_rich_style("run-list--header")
        segments: list[Segment] = []
        for column in layout.columns:
            title = column.title
            if column.sort is not None and column.sort is flt.sort:
                title += " ▼" if flt.descending else " ▲"
            cell = fit_cells(title, column.width, right=column.key == "duration")
            segments.append(Segment(cell + ("" if column.key == "mark" else " "), style))
        return Strip(segments).adjust_cell_length(width, style)

    def _empty_strip(self, y: int, width: int, base: Style) -> Strip:
        if y != 2:
            return Strip.blank(width, base)
        style = base + self.get_component_rich_style("run-list--empty")
        return Strip([Segment(fit_cells("  " + self.empty_message, width), style)], width)

    # --- ticking -----------------------------------------------------------------------------

    def tick(self) -> None:
        """Redraw the duration cells of visible active rows; nothing else, nothing if idle
        or covered by another screen."""
        if not on_view(self):
            return
        layout = layout_columns(self.scrollable_content_region.width)
        duration, status = layout.column("duration"), layout.column("status")
        if not self.pager.total:
            return
        now = self._now()
        top = round(self.scroll_offset.y)
        for y in range(1, self._rows_visible + 1):
            run = self.pager.peek(top + y - 1)
            if run is None:
                continue
            if duration is not None and run_is_ticking(run):
                self.refresh(Region(duration.x, y, duration.width, 1))
            elif status is not None and countdown_turned(run, now):
                self.refresh(Region(status.x, y, status.width, 1))

    # --- actions -----------------------------------------------------------------------------

    def action_cursor_down(self) -> None:
        self.cursor = self.cursor + 1

    def action_cursor_up(self) -> None:
        self.cursor = self.cursor - 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = self.pager.total - 1

    def action_page_down(self) -> None:
        self.cursor = self.cursor + self._rows_visible

    def action_page_up(self) -> None:
        self.cursor = self.cursor - self._rows_visible

    def action_toggle_mark(self) -> None:
        run = self.current_run
        if run is None:
            return
        self.marks.symmetric_difference_update({run.id})
        self._refresh_row(self.cursor)
        self.post_message(self.MarksChanged(len(self.marks)))
        self.action_cursor_down()

    def action_mark_all(self) -> None:
        """Mark every run of the filtered list (up to a cap); pressed again, clear the marks."""
        if self.marks:
            self.clear_marks()
            return
        limit = min(self.pager.total, self.MARK_ALL_LIMIT)
        ids = [
            run.id for run in self.pager.source.rows_at(self.pager.filter, self.pager.now, 0, limit)
        ]
        self.marks.update(ids)
        note = f"only the first {limit:,}" if self.pager.total > limit else ""
        self.post_message(self.MarksChanged(len(self.marks), note))
        self.refresh()

    def action_open(self) -> None:
        run = self.current_run
        if run is not None:
            self.post_message(self.RunSelected(run.id))

    async def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = round(self.scroll_offset.y) + event.y - 1
        if 0 <= index < self.pager.total:
            self.cursor = index
            if event.chain >= 2:
                self.action_open()
