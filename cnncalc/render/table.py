"""The rich table of `cnncalc analyze`: rows, then totals. Warnings go to stderr (cli).

rich lays the table out (column widths, shrinking to the terminal, header); each cell is a
`Cell`, a minimal renderable — one style, wrapped by the standard library's `textwrap` when
its column is narrower than its text. rich's `Text` does far more per cell (markup spans,
justification, cropping) and rendered a 250-row table two times slower. The row index
shares the name's cell, since rich's cost is per cell.
"""

from __future__ import annotations

import os

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..report import Report
from .outline import condition_lines, outline, rf_text, shape_text, thousands, totals_lines

_NEWLINE = Segment.line()
_DIM, _BOLD, _CYAN = Style(dim=True), Style(bold=True), Style(color="cyan")
_BOLD_CYAN = _BOLD + _CYAN


class Cell:
    """`prefix` (e.g. the row number) then `text`; wrapped lines keep the prefix's indent.
    Nothing is ever cut: a word longer than the column is broken across lines."""

    __slots__ = ("text", "style", "right", "prefix", "prefix_style", "wraps")

    def __init__(self, text: str, style: Style | None = None, *, right: bool = False,
                 prefix: str = "", prefix_style: Style | None = None, wraps: bool = False):
        self.text, self.style, self.right, self.wraps = text, style, right, wraps
        self.prefix, self.prefix_style = prefix, prefix_style

    def __rich_console__(self, console, options):
        width = options.max_width
        lead = len(self.prefix)
        room = max(width - lead, 1)
        text = self.text
        if len(text) <= room:
            lines = [text]
        else:
            import textwrap  # only when a cell must wrap

            body = text.lstrip(" ")
            indent = " " * (len(text) - len(body))
            lines = textwrap.wrap(body, room, initial_indent=indent,
                                  subsequent_indent=indent, break_on_hyphens=False) or [""]
        for i, line in enumerate(lines):
            if i:
                yield _NEWLINE
            if lead:
                yield Segment(self.prefix if i == 0 else " " * lead, self.prefix_style)
            fill = width - lead
            yield Segment(line.rjust(fill) if self.right else line.ljust(fill), self.style)

    def __rich_measure__(self, console, options):
        full = len(self.prefix) + len(self.text)
        if not self.wraps:
            return Measurement(full, full)
        longest = max((len(w) for w in self.text.split()), default=0)
        return Measurement(min(full, len(self.prefix) + min(longest, 10)), full)


def build_table(report: Report, depth: int | None = None) -> Table:
    lines = outline(report, depth)
    index_width = max([1] + [len(line.index) for line in lines])
    rows = []
    for line in lines:
        source = line.source if line.note is None else f"{line.source}  ({line.note})"
        counted = line.kind != "input"
        rows.append((line, source, shape_text(report, line.output),
                     thousands(line.params, report.order) if counted else "",
                     thousands(line.macs, report.order) if counted else "",
                     rf_text(line.rf, report.order)))
    # SIMPLE's column divider is a space, so cells need no padding (rich then skips
    # wrapping each cell in a Padding).
    table = Table(box=box.SIMPLE, header_style="bold", show_edge=False, padding=0)
    table.add_column("#".rjust(index_width) + " layer", no_wrap=True)  # names stay whole
    table.add_column("source", ratio=1)
    # Columns that never wrap get their width here, which spares rich measuring each cell;
    # a symbolic spec's formulas are long, so there they share the width and wrap.
    symbolic = bool(report.symbols)
    for i, (title, right) in enumerate((("output", False), ("params", True), ("MACs", True),
                                        ("RF", True)), start=2):
        justify = "right" if right else "left"
        if symbolic:
            table.add_column(title, justify=justify, ratio=1)
        else:
            table.add_column(title, justify=justify, no_wrap=True,
                             width=max([len(title)] + [len(r[i]) for r in rows]))
    for line, source, output, params, macs, rf in rows:
        block = line.kind in ("open", "folded")
        table.add_row(
            Cell("  " * line.depth + line.name, _BOLD if block else None,
                 prefix=line.index.rjust(index_width) + " ", prefix_style=_DIM),
            Cell(source, _BOLD_CYAN if block else _CYAN, wraps=True),
            Cell(output, wraps=symbolic), Cell(params, right=True, wraps=symbolic),
            Cell(macs, right=True, wraps=symbolic), Cell(rf, right=True, wraps=symbolic))
    return table


def build_totals(report: Report) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    for label, value in totals_lines(report):
        grid.add_row(Text(label), Text(value))
    return grid


def build_conditions(report: Report) -> Table | None:
    """What the symbols must satisfy, each with the layer that needs it."""
    lines = condition_lines(report)
    if not lines:
        return None
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(style="dim")
    for text, where in lines:
        grid.add_row(Text(text), Text(where))
    return grid


def print_report(report: Report, depth: int | None = None, no_color: bool = False,
                 console: Console | None = None) -> None:
    console = console or make_console(no_color)
    console.print(build_table(report, depth))
    console.print()
    console.print(build_totals(report))
    conditions = build_conditions(report)
    if conditions is not None:
        console.print()
        console.print(Text("Valid when", style="bold"))
        console.print(conditions)


def make_console(no_color: bool = False) -> Console:
    """--no-color and NO_COLOR mean plain text: no colours, and no bold or dim either."""
    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(color_system=None if plain else "auto", highlight=False, soft_wrap=False)

