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
    Lines break at spaces; the table gives a wrapping column at least its longest word, so
    a word is broken across lines only where the terminal is too narrow for the table.
    Nothing is ever cut."""

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
        return Measurement(min(full, len(self.prefix) + longest_word(self.text)), full)


def longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


_GAPS = 1  # the SIMPLE box's column divider: one space


class LayerTable:
    """The rows of `analyze`, laid out when the width is known: the source column takes
    the room the other columns leave, wrapping at spaces, and is left out (with a note
    saying how wide a terminal shows it) when that room is narrower than its longest
    word."""

    def __init__(self, report: Report, depth: int | None = None, connections: bool = False):
        self.report = report
        # the figure columns after the source, and whether each is right-aligned
        self.titles = (("output", False), ("params", True), ("MACs", True)) + \
            ((("connections", True),) if connections else ()) + (("RF", True),)
        lines = outline(report, depth)
        self.index_width = max([1] + [len(line.index) for line in lines])
        self.rows = []
        for line in lines:
            source = line.source if line.note is None else f"{line.source}  ({line.note})"
            counted = line.kind != "input"
            self.rows.append((line, source, shape_text(report, line.output),
                              thousands(line.params, report.order) if counted else "",
                              thousands(line.macs, report.order) if counted else "",
                              *((thousands(line.connections, report.order) if counted else "",)
                                if connections else ()),
                              rf_text(line.rf, report.order)))
        self.symbolic = bool(report.symbols)
        header = "#".rjust(self.index_width) + " layer"
        self.name_width = max([len(header)] + [
            self.index_width + 1 + 2 * line.depth + len(line.name) for line, *_ in self.rows])
        # the narrowest and widest the other columns get: a number never wraps; a symbolic
        # formula wraps at its spaces
        self.figures = []
        for i, (title, _) in enumerate(self.titles, start=2):
            cells = [r[i] for r in self.rows]
            full = max([len(title)] + [len(c) for c in cells])
            least = max([len(title)] + [longest_word(c) for c in cells]) if self.symbolic \
                else full
            self.figures.append((least, full))
        sources = [r[1] for r in self.rows]
        self.source_full = max([len("source")] + [len(s) for s in sources])
        self.source_least = max([len("source")] + [longest_word(s) for s in sources])

    def source_room(self, width: int) -> int:
        """The columns left for the source at `width`, the other columns at their least."""
        others = self.name_width + sum(least for least, _ in self.figures)
        return width - others - (len(self.titles) + 1) * _GAPS

    def __rich_console__(self, console, options):
        width = options.max_width
        room = self.source_room(width)
        shown = room >= self.source_least
        yield self.table(min(room, self.source_full) if shown else None)
        if not shown:
            need = width - room + self.source_least
            yield Text(f"(the source column is left out: it needs {need} columns, "
                       f"this output has {width})", style=_DIM)

    def table(self, source_width: int | None) -> Table:
        # SIMPLE's column divider is a space, so cells need no padding (rich then skips
        # wrapping each cell in a Padding).
        table = Table(box=box.SIMPLE, header_style="bold", show_edge=False, padding=0)
        index_width = self.index_width
        table.add_column("#".rjust(index_width) + " layer", no_wrap=True)  # names stay whole
        if source_width is not None:
            if self.symbolic:  # the formulas share the width with it
                table.add_column("source", ratio=1, min_width=self.source_least)
            else:
                table.add_column("source", width=source_width)
        # Columns that never wrap get their width here, which spares rich measuring each cell;
        # a symbolic spec's formulas are long, so there they share the width and wrap.
        for (title, right), (least, full) in zip(self.titles, self.figures):
            justify = "right" if right else "left"
            if self.symbolic:
                table.add_column(title, justify=justify, ratio=1, min_width=least)
            else:
                table.add_column(title, justify=justify, no_wrap=True, width=full)
        symbolic = self.symbolic
        for line, source, output, *figures in self.rows:
            block = line.kind in ("open", "folded")
            cells = [Cell("  " * line.depth + line.name, _BOLD if block else None,
                          prefix=line.index.rjust(index_width) + " ", prefix_style=_DIM)]
            if source_width is not None:
                cells.append(Cell(source, _BOLD_CYAN if block else _CYAN, wraps=True))
            cells += [Cell(output, wraps=symbolic)] + [
                Cell(figure, right=True, wraps=symbolic) for figure in figures]
            table.add_row(*cells)
        return table


def build_table(report: Report, depth: int | None = None,
                connections: bool = False) -> LayerTable:
    """The rows as a renderable; its columns are decided at the width it is printed at."""
    return LayerTable(report, depth, connections)


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
                 console: Console | None = None, connections: bool = False) -> None:
    console = console or make_console(no_color)
    console.print(build_table(report, depth, connections))
    console.print()
    console.print(build_totals(report))
    conditions = build_conditions(report)
    if conditions is not None:
        console.print()
        console.print(Text("Valid when", style="bold"))
        console.print(conditions)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """rich exits with status 1 when the reader has gone; the command line ends quietly
        instead (cli._Group), so pass the error on."""
        self.quiet = True
        raise BrokenPipeError


DEFAULT_WIDTH = 80


def make_console(no_color: bool = False) -> Console:
    """--no-color and NO_COLOR mean plain text: no colours, and no bold or dim either.
    COLUMNS=0 (or any width below 1) means the default width, 80, not an empty table."""
    plain = no_color or bool(os.environ.get("NO_COLOR"))
    columns = os.environ.get("COLUMNS", "").strip()
    width = DEFAULT_WIDTH if columns.isdigit() and int(columns) < 1 else None
    return _Console(color_system=None if plain else "auto", highlight=False, soft_wrap=False,
                    width=width)

