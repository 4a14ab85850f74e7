"""Markdown and CSV renderings of a report (the same lines as the table)."""

from __future__ import annotations

import csv
import io

from ..report import Report
from .outline import condition_lines, outline, rf_text, shape_text, thousands, totals_lines

HEADER = ["#", "layer", "source", "output", "params", "MACs", "RF"]


def _cells(report: Report, depth):
    for line in outline(report, depth):
        source = line.source if line.note is None else f"{line.source} ({line.note})"
        counted = line.kind != "input"
        yield [line.index, "  " * line.depth + line.name, source,
               shape_text(report, line.output), line.params if counted else "",
               line.macs if counted else "", rf_text(line.rf, report.order)]


def render(report: Report, fmt: str, depth: int | None = None) -> str:
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["index", "path", "kind", "source", "output_shape", "params",
                         "buffers", "macs", "flops", "rf", "output_bytes"])
        value = report.json_value  # a symbolic cell as sympy parses it back
        for r in report.rows:
            writer.writerow([r.index, ".".join(r.path), r.kind, r.source,
                             shape_text(report, r.output_shape), value(r.params),
                             value(r.buffers), value(r.macs), value(r.flops),
                             rf_text(r.rf, report.order), value(r.output_bytes)])
        return out.getvalue()
    rows = ["| " + " | ".join(HEADER) + " |",
            "|" + "|".join(["---:", "---", "---", "---", "---:", "---:", "---:"]) + "|"]
    for cells in _cells(report, depth):
        cells[1] = cells[1].replace("  ", "&nbsp;&nbsp;")
        cells[2] = "`" + cells[2].replace("|", "\\|") + "`"
        cells[4] = thousands(cells[4], report.order)
        cells[5] = thousands(cells[5], report.order)
        rows.append("| " + " | ".join(str(c) for c in cells) + " |")
    rows.append("")
    # an indented label (weights, biases) is a part of the line above: a nested item
    rows.extend(f"{label[:len(label) - len(label.lstrip())]}- **{label.strip()}**: {value}"
                for label, value in totals_lines(report))
    conditions = condition_lines(report)
    if conditions:
        rows.extend(["", "Valid when:", ""])
        rows.extend(f"- {text} ({where})" for text, where in conditions)
    return "\n".join(rows) + "\n"
