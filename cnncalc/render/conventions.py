"""`analyze --conventions`: the reconciliation — each convention's count by category and its
total, as a rich table, markdown or JSON (the shape is in docs/conventions.md)."""

from __future__ import annotations

import json

from ..conventions import CONVENTIONS, Reconciliation
from ..formulas import flops
from ..report import Report
from .outline import thousands

UNIT = "MACs; FLOPs = 2 x MACs under every convention"


def _cells(report: Report, rec: Reconciliation) -> list[list[str]]:
    """Category, then one count per convention; the totals last."""
    order = report.order
    rows = [[category] + [thousands(rec.counts[c][category], order) for c in rec.conventions]
            for category in rec.categories]
    rows.append(["total"] + [thousands(rec.totals[c], order) for c in rec.conventions])
    return rows


def print_reconciliation(report: Report, rec: Reconciliation, no_color: bool = False) -> None:
    from rich.table import Table
    from rich.text import Text

    from .table import make_console

    console = make_console(no_color)
    table = Table(header_style="bold", box=None, padding=(0, 1))
    table.add_column("counted")
    for c in rec.conventions:
        table.add_column(c, justify="right")
    cells = _cells(report, rec)
    for i, row in enumerate(cells):
        last = i == len(cells) - 1
        table.add_row(*(Text(v, style="bold" if last else "") for v in row),
                      end_section=i == len(cells) - 2)
    console.print(table)
    console.print()
    console.print(Text(UNIT, style="dim"))
    for c in rec.conventions:
        console.print(Text(f"{c}: ", style="bold") + Text(CONVENTIONS[c].about))


def markdown(report: Report, rec: Reconciliation) -> str:
    cells = _cells(report, rec)
    lines = ["| counted | " + " | ".join(rec.conventions) + " |",
             "|---|" + "---:|" * len(rec.conventions)]
    for i, row in enumerate(cells):
        if i == len(cells) - 1:
            row = [f"**{v}**" for v in row]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", f"{UNIT}.", ""]
    lines += [f"- **{c}**: {CONVENTIONS[c].about}" for c in rec.conventions]
    return "\n".join(lines) + "\n"


def to_dict(report: Report, rec: Reconciliation) -> dict:
    value = report.json_value
    return {
        "unit": "MACs",
        "categories": list(rec.categories),
        "conventions": [
            {"name": c, "about": CONVENTIONS[c].about,
             "counts": {k: value(n) for k, n in rec.counts[c].items()},
             "macs": value(rec.totals[c]), "flops": value(flops(rec.totals[c]))}
            for c in rec.conventions],
    }


def render_json(report: Report, rec: Reconciliation) -> str:
    return json.dumps(to_dict(report, rec), ensure_ascii=False, indent=2)
