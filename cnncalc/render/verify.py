"""`cnncalc verify`: the verdict, and the rows where the run and the analysis differ."""

from __future__ import annotations

from fractions import Fraction

from rich.table import Table
from rich.text import Text

from ..verification import Verified
from .outline import thousands
from .table import make_console

CHECKED = "output shapes, parameters, buffers, MACs and receptive fields"


def _value(d, v) -> str:
    if d.what == "RF":  # one output position's field: its first and last input position
        return "none" if v is None else f"{v[0]}..{v[1]}"
    return "x".join(map(str, v)) if isinstance(v, tuple) else thousands(v)


def _what(d) -> str:
    if d.what == "RF":
        return f"RF {d.axis} at output {d.at}"
    if d.what == "RF size":
        return f"largest RF, {d.axis}" if d.at is None else f"RF size, {d.axis} at output {d.at}"
    return d.what


def print_verified(result: Verified, no_color: bool = False) -> None:
    console = make_console(no_color)
    if not result.differences:
        console.print(Text(f"all {result.rows} rows agree: {CHECKED} measured by running "
                           f"the net match the analysis", style="bold green"))
        return
    table = Table(header_style="bold", box=None, padding=(0, 1))
    for title, right in (("#", True), ("layer", False), ("what", False),
                         ("analysis", True), ("measured", True)):
        table.add_column(title, justify="right" if right else "left")
    for d in result.differences:
        table.add_row(str(d.index), ".".join(d.path), _what(d), _value(d, d.analysis),
                      _value(d, d.measured))
    console.print(table)
    console.print(Text(f"{len(result.differences)} difference(s) in {result.rows} rows",
                       style="bold red"))


def to_dict(result: Verified) -> dict:
    def plain(v):
        if isinstance(v, tuple):
            return [plain(x) for x in v]
        return str(v) if isinstance(v, Fraction) else v  # "10/7", as the analysis's JSON

    def difference(d):
        out = {"index": d.index, "path": ".".join(d.path), "what": d.what,
               "analysis": plain(d.analysis), "measured": plain(d.measured)}
        if d.axis is not None:
            out["axis"] = d.axis
        if d.at is not None:
            out["at"] = d.at
        return out

    return {"ok": not result.differences, "rows": result.rows, "checked": CHECKED,
            "differences": [difference(d) for d in result.differences]}
