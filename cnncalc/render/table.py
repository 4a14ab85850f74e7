"""The rich table of `cnncalc analyze`: rows, then totals. Warnings go to stderr (cli).

Cells are built as `Text` (no markup parsing) and the columns that never wrap get their
width computed here from the strings, so rich only measures the two columns that may fold
(name and source) — a 250-row table renders in a blink instead of a crawl.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..report import Report
from .outline import outline, rf_text, shape_text, totals_lines

_FOLDING = ("layer", "source")


def build_table(report: Report, depth: int | None = None) -> Table:
    lines = outline(report, depth)
    cells = []
    for line in lines:
        source = line.source if line.note is None else f"{line.source}  ({line.note})"
        cells.append((line.index, "  " * line.depth + line.name, source,
                      shape_text(report, line.output), _num(line.params), _num(line.macs),
                      rf_text(line.rf), line.kind))
    headers = ("#", "layer", "source", "output", "params", "MACs", "RF")
    right = {"#", "params", "MACs", "RF"}
    # SIMPLE's column divider is a space: with no cell padding rich skips wrapping every
    # cell in a Padding, which halves the rendering time.
    table = Table(box=box.SIMPLE, header_style="bold", show_edge=False, padding=0)
    for i, name in enumerate(headers):
        if name in _FOLDING:
            table.add_column(name, overflow="fold", min_width=6,
                             ratio=1 if name == "source" else None)
        else:
            width = max([len(name)] + [len(c[i]) for c in cells])
            table.add_column(name, justify="right" if name in right else "left",
                             no_wrap=True, width=width, overflow="fold")
    for c in cells:
        style = "bold" if c[7] != "layer" else ""
        table.add_row(Text(c[0], style="dim"), Text(c[1], style=style),
                      Text(c[2], style="cyan"), Text(c[3]), Text(c[4]), Text(c[5]),
                      Text(c[6]), style=style or None)
    return table


def build_totals(report: Report) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    for label, value in totals_lines(report):
        grid.add_row(label, value)
    return grid


def print_report(report: Report, depth: int | None = None, no_color: bool = False,
                 console: Console | None = None) -> None:
    console = console or Console(no_color=no_color or None, highlight=False,
                                 soft_wrap=False)
    console.print(build_table(report, depth))
    console.print()
    console.print(build_totals(report))


def _num(n) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)
