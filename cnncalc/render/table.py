"""The rich table of `cnncalc analyze`: rows, then totals. Warnings go to stderr (cli)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..report import Report
from .outline import outline, rf_text, shape_text, totals_lines


def build_table(report: Report, depth: int | None = None) -> Table:
    table = Table(title=None, box=None, header_style="bold", pad_edge=False,
                  show_edge=False, padding=(0, 1))
    table.add_column("#", justify="right", no_wrap=True, style="dim")
    table.add_column("layer", overflow="fold", min_width=6)
    table.add_column("source", overflow="fold", style="cyan", ratio=1, min_width=8)
    table.add_column("output", overflow="fold", min_width=6)
    table.add_column("params", justify="right", no_wrap=True)
    table.add_column("MACs", justify="right", no_wrap=True)
    table.add_column("RF", justify="right", overflow="fold", min_width=3)
    for line in outline(report, depth):
        name = Text("  " * line.depth + line.name)
        source = line.source if line.note is None else f"{line.source}  ({line.note})"
        style = "bold" if line.kind != "layer" else None
        if line.kind == "open":
            name.stylize("bold")
        table.add_row(line.index, name, source, shape_text(report, line.output),
                      _num(line.params), _num(line.macs), rf_text(line.rf), style=style)
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
