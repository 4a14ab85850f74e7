"""`cnncalc verify`: the verdict, and the rows where the run and the analysis differ."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ..verification import Verified
from .outline import thousands
from .table import make_console

CHECKED = "output shapes, parameters, buffers and MACs"


def _value(v) -> str:
    return "x".join(map(str, v)) if isinstance(v, tuple) else thousands(v)


def print_verified(result: Verified, no_color: bool = False) -> None:
    console = make_console(no_color)
    if not result.differences:
        console.print(Text(f"all {result.rows} rows agree: {CHECKED} measured by running "
                           f"the net match the analysis", style="bold green"))
        console.print(Text("(receptive fields are not verified yet)", style="dim"))
        return
    table = Table(header_style="bold", box=None, padding=(0, 1))
    for title, right in (("#", True), ("layer", False), ("what", False),
                         ("analysis", True), ("measured", True)):
        table.add_column(title, justify="right" if right else "left")
    for d in result.differences:
        table.add_row(str(d.index), ".".join(d.path), d.what, _value(d.analysis),
                      _value(d.measured))
    console.print(table)
    console.print(Text(f"{len(result.differences)} difference(s) in {result.rows} rows",
                       style="bold red"))


def to_dict(result: Verified) -> dict:
    def plain(v):
        return list(v) if isinstance(v, tuple) else v

    return {"ok": not result.differences, "rows": result.rows, "checked": CHECKED,
            "differences": [{"index": d.index, "path": ".".join(d.path), "what": d.what,
                             "analysis": plain(d.analysis), "measured": plain(d.measured)}
                            for d in result.differences]}
