"""`cnncalc explain`: each layer's working, formula then numbers, in the course's forms."""

from __future__ import annotations

from fractions import Fraction

from rich.table import Table
from rich.text import Text

from ..numbers import decimal_text, show
from ..report import Report
from .outline import condition_lines, shape_text, thousands
from .table import make_console


def result_text(report: Report, value) -> str:
    if isinstance(value, tuple):
        return " and ".join(result_text(report, v) for v in value)
    if isinstance(value, Fraction):
        return decimal_text(value, ".2f")
    return thousands(value, report.order) if isinstance(value, int) else \
        show(value, report.order)


def step_line(report: Report, step) -> str:
    """`(N − F + 2P)/S + 1 = (7 − 3)/3 + 1 = 2.33 → 2`"""
    parts = [step.formula]
    if step.substituted and step.substituted != step.formula:
        parts.append(step.substituted)
    if step.partial:
        parts.append(step.partial)
    if step.exact is not None:
        parts.append(f"{result_text(report, step.exact)} → {result_text(report, step.result)}")
    else:
        parts.append(result_text(report, step.result))
    return " = ".join(parts) if step.formula else result_text(report, step.result)


def print_explained(report: Report, explained, no_color: bool = False) -> None:
    console = make_console(no_color)
    for e in explained:
        head = Text()
        head.append(f"{e.index} ", style="dim")
        head.append(".".join(e.path), style="bold")
        head.append(f"  {e.source}", style="cyan")
        head.append(f"  {shape_text(report, e.input_shape)} → "
                    f"{shape_text(report, e.output_shape)}")
        console.print(head)
        if not e.steps:
            continue
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for step in e.steps:
            label = step.what + (f" ({step.axis})" if step.axis else "")
            grid.add_row(Text("  " + label), Text(step_line(report, step)))
            if step.note:
                grid.add_row(Text(""), Text(step.note, style="yellow"))
        console.print(grid)
    lines = condition_lines(report)
    if lines:
        console.print()
        console.print(Text("Valid when", style="bold"))
        for text, where in lines:
            console.print(Text(f"  {text}  ({where})"))


def to_dict(report: Report, explained) -> dict:
    value = report.json_value

    def result(v):
        return [value(x) for x in v] if isinstance(v, tuple) else value(v)

    return {
        "input": {"shape": report.display_shape(report.input.shape),
                  "layout": report.input.layout, "batch": value(report.input.batch)},
        "layers": [{
            "index": e.index, "path": ".".join(e.path), "kind": e.kind, "source": e.source,
            "input_shape": report.display_shape(e.input_shape),
            "output_shape": report.display_shape(e.output_shape),
            "steps": [{"what": s.what, "axis": s.axis, "formula": s.formula,
                       "substituted": s.substituted, "partial": s.partial,
                       "result": result(s.result),
                       "exact": None if s.exact is None else result(s.exact), "note": s.note}
                      for s in e.steps]}
            for e in explained],
        "conditions": report.conditions_json(),
        "warnings": [w.to_dict() for w in report.warnings],
    }
