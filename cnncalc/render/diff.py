"""`cnncalc diff`: two nets side by side — the table (rich), Markdown and the JSON object.

The three share the cells: a figure of A, of B, the change (b − a, exact) and the change in
per cent of A, which is the only figure rounded (two places), for display. A per cent of 0
has no value: the figure is "new"; one of formulas that is not a number is "n/a".
"""

from __future__ import annotations

from fractions import Fraction

from ..diff import ROW_FIGURES, TOTALS, Diff, Figure
from ..numbers import decimal_text, is_concrete, plain, show
from ..report import Report
from .outline import megabytes, rf_text, shape_text, thousands

BYTES = {"input_bytes", "activation_bytes", "param_bytes", "total_bytes"}
TOTAL_LABELS, ROW_LABELS = dict(TOTALS), dict(ROW_FIGURES)
STYLE = {"changed": "yellow", "added": "green", "removed": "red"}


def _order(diff: Diff) -> tuple:
    return tuple(dict.fromkeys(diff.a.order + diff.b.order))


def value_text(report: Report, what: str, value, order: tuple) -> str:
    if value is None:
        return "-"
    if what == "source":
        return value
    if what == "output_shape":
        return shape_text(report, value)
    if what == "rf":
        return rf_text(value, order)
    if what in BYTES:
        return megabytes(value, order)
    return thousands(value, order)


def change_text(f: Figure, order: tuple) -> str:
    """+28,672; -0.79 MB; a formula as it is; for text and shapes, only whether it changed."""
    if not f.numeric:
        return "same" if f.same else "differs"
    change = f.change
    if not is_concrete(change):
        return show(change, order) + (" bytes" if f.what in BYTES else "")
    change = plain(change)
    sign = "+" if change > 0 else "-" if change < 0 else ""
    magnitude = abs(change)
    return sign + (megabytes(magnitude) if f.what in BYTES else thousands(magnitude))


def percent_text(f: Figure) -> str:
    """+38.89%; 0% when the same; "new" from 0; "n/a" when the ratio is a formula."""
    if not f.numeric:
        return ""
    if f.same:
        return "0%"
    if f.ratio is not None:
        return decimal_text(f.ratio * 100, "+,.2f") + "%"
    return "new" if f.new else "n/a"


def total_cells(diff: Diff) -> list[list[str]]:
    order = _order(diff)
    dtype = f" ({diff.b.dtype})"
    return [[TOTAL_LABELS[f.what] + (dtype if f.what == "input_bytes" else ""),
             value_text(diff.a, f.what, f.a, order), value_text(diff.b, f.what, f.b, order),
             change_text(f, order), percent_text(f)] for f in diff.totals]


def layer_cells(diff: Diff):
    """(status, [layer, figure, A, B, change, %]) per line: a layer's first line names it."""
    order = _order(diff)
    for layer in diff.layers:
        name = ".".join(layer.path)
        if layer.status != "changed":
            name += f" ({layer.status})"
        for i, f in enumerate(layer.figures):
            change = change_text(f, order) if f.numeric else ""  # every line here differs
            yield layer.status, [name if i == 0 else "", ROW_LABELS[f.what],
                                 value_text(diff.a, f.what, f.a, order),
                                 value_text(diff.b, f.what, f.b, order),
                                 change, percent_text(f)]


def summary(diff: Diff) -> str:
    if diff.same:
        return f"no difference: every total and all {diff.alike} layers are the same"
    counts = ", ".join(f"{diff.count(s)} {s}" for s in ("changed", "added", "removed"))
    return f"layers: {counts}, {diff.alike} the same"


def print_diff(diff: Diff, no_color: bool = False) -> None:
    from rich.table import Table  # here, so that --json and markdown never load rich
    from rich.text import Text

    from .table import make_console

    console = make_console(no_color)
    names = Table.grid(padding=(0, 2))
    names.add_column(style="bold")
    names.add_column()
    for side, name in zip("AB", diff.names):
        names.add_row(side, Text(name))
    console.print(names)
    console.print()
    totals = Table(header_style="bold", box=None, padding=(0, 1))
    for title, right in (("", False), ("A", True), ("B", True), ("change", True),
                         ("%", True)):
        totals.add_column(title, justify="right" if right else "left")
    for cells in total_cells(diff):
        totals.add_row(Text(cells[0], style="bold"), *map(Text, cells[1:]))
    console.print(totals)
    if diff.layers:
        console.print()
        layers = Table(header_style="bold", box=None, padding=(0, 1))
        for title, right in (("layer", False), ("", False), ("A", True), ("B", True),
                             ("change", True), ("%", True)):  # a path is read whole
            layers.add_column(title, justify="right" if right else "left",
                              no_wrap=title in ("layer", ""))
        for status, cells in layer_cells(diff):
            layers.add_row(Text(cells[0], style=STYLE[status]), *map(Text, cells[1:]))
        console.print(layers)
    console.print()
    console.print(Text(summary(diff), style="bold"))


def render_markdown(diff: Diff) -> str:
    def row(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"- **A**: `{diff.names[0]}`", f"- **B**: `{diff.names[1]}`", "",
             row(["", "A", "B", "change", "%"]), "|---|---:|---:|---:|---:|"]
    lines += [row(["**" + cells[0] + "**"] + cells[1:]) for cells in total_cells(diff)]
    if diff.layers:
        lines += ["", row(["layer", "", "A", "B", "change", "%"]),
                  "|---|---|---:|---:|---:|---:|"]
        for status, cells in layer_cells(diff):
            if cells[1] == "source":
                cells[2:4] = [c if c == "-" else f"`{c}`" for c in cells[2:4]]
            lines.append(row(cells))
    lines += ["", summary(diff)]
    return "\n".join(lines) + "\n"


def to_dict(diff: Diff) -> dict:
    """The `--json` object (docs/diff.md): exact figures, per cent rounded for display."""
    a, b = diff.a, diff.b

    def value(report: Report, what: str, v):
        if v is None or what == "source":
            return v
        if what == "output_shape":
            return report.display_shape(v)
        if what == "rf":
            return [report.json_value(x) for x in v]
        return report.json_value(v)

    def figure(f: Figure) -> dict:
        out = {"a": value(a, f.what, f.a), "b": value(b, f.what, f.b), "same": f.same}
        if f.numeric:
            out["change"] = b.json_value(f.change)
            out["percent"] = _percent(f.ratio)
        return out

    def side(report: Report, name: str) -> dict:
        return {"spec": name, "input": report.display_shape(report.input.shape),
                "layout": report.input.layout, "dtype": report.dtype}

    def row(r) -> dict | None:
        return None if r is None else {"index": r.index, "kind": r.kind, "line": r.line}

    return {
        "a": side(a, diff.names[0]), "b": side(b, diff.names[1]),
        "same": diff.same,
        "totals": {f.what: figure(f) for f in diff.totals},
        "layers": [{"path": ".".join(layer.path), "status": layer.status,
                    "a": row(layer.a), "b": row(layer.b),
                    "figures": {f.what: figure(f) for f in layer.figures}}
                   for layer in diff.layers],
        "counts": {"changed": diff.count("changed"), "added": diff.count("added"),
                   "removed": diff.count("removed"), "same": diff.alike},
        "warnings": {"a": [w.to_dict() for w in a.warnings],
                     "b": [w.to_dict() for w in b.warnings]},
    }


def _percent(ratio: Fraction | None):
    """Two places, as a JSON number; None where it has no value (from 0, or a formula)."""
    if ratio is None:
        return None
    text = decimal_text(ratio * 100, ".2f")
    return float(text) if abs(ratio) < 10 ** 12 else text


def render_json(diff: Diff) -> str:
    """The object laid out to be read: each total and each layer on a line of its own."""
    import json

    d = to_dict(diff)

    def dump(v):
        return json.dumps(v, ensure_ascii=False)

    totals = ",\n    ".join(f"{dump(k)}: {dump(v)}" for k, v in d["totals"].items())
    layers = ",\n    ".join(dump(layer) for layer in d["layers"])
    return ("{\n"
            f'  "a": {dump(d["a"])},\n'
            f'  "b": {dump(d["b"])},\n'
            f'  "same": {dump(d["same"])},\n'
            f'  "totals": {{\n    {totals}\n  }},\n'
            f'  "layers": [{f"{chr(10)}    {layers}{chr(10)}  " if layers else ""}],\n'
            f'  "counts": {dump(d["counts"])},\n'
            f'  "warnings": {dump(d["warnings"])}\n'
            "}")
