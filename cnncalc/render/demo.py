"""`cnncalc demo`: the output matrix, and with --steps every window's working."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..demo import Demo, number, window_text
from .table import make_console


def print_matrix(console, rows, title: str) -> None:
    console.print(Text(title, style="bold"))
    table = Table(box=None, show_header=False, padding=(0, 1))
    for _ in rows[0]:
        table.add_column(justify="right")
    for row in rows:
        table.add_row(*(Text(number(v)) for v in row))
    console.print(table)


def print_demo(demo: Demo, steps: bool = False, no_color: bool = False) -> None:
    console = make_console(no_color)
    how = f"k={demo.k}, stride {demo.stride}"
    if demo.pad:
        how += f", padding {demo.pad}"
    if demo.dilation != 1:
        how += f", dilation {demo.dilation}"
    if steps:
        if demo.pad:
            print_matrix(console, demo.padded, "padded input")
        if demo.kernel is not None:
            print_matrix(console, demo.kernel, "kernel")
        for w in demo.windows:
            console.print(Text(f"[{w.row}, {w.col}]  ", style="dim") +
                          Text(window_text(w, demo.operation)))
        console.print()
    print_matrix(console, demo.output, f"{demo.operation} ({how})")
