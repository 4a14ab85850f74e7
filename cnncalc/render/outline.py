"""Which lines a table shows: leaf rows, and a header line for each block or call, folded
at a depth like torchinfo's `depth`."""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

from ..ir import in_layout
from ..numbers import decimal_text, show, show_shape
from ..report import Report


class Line(NamedTuple):
    depth: int             # 0 = top level
    name: str
    source: str
    index: str             # "7", or "7-12" for a folded block
    output: tuple
    params: Any
    macs: Any
    rf: tuple
    kind: str              # "input", "layer", "open" (a block shown with its rows), "folded"
    note: str | None = None
    connections: Any = 0


def outline(report: Report, depth: int | None = None) -> list[Line]:
    containers = report.containers
    # Sum every container over its rows first (a row counts towards each enclosing block).
    sums: dict[tuple, list] = {}
    for row in report.rows:
        for i in range(1, len(row.path)):
            prefix = row.path[:i]
            if prefix in containers:
                s = sums.get(prefix)
                if s is None:
                    sums[prefix] = [row.index, row.index, row.params, row.macs, row,
                                     row.connections]
                else:
                    s[1] = row.index
                    s[2] += row.params
                    s[3] += row.macs
                    s[4] = row
                    s[5] += row.connections
    inp = report.input
    written = inp.span.text if inp.span is not None else ""
    rf = tuple(1 for _ in inp.shape[1:])
    lines: list[Line] = [Line(0, "input", " ".join(written.split()), "", inp.shape, 0, 0, rf,
                              "input")]
    opened: set[tuple] = set()
    for row in report.rows:
        folded = False
        for i in range(1, len(row.path)):
            prefix = row.path[:i]
            if prefix not in containers:
                continue
            level = i - 1
            if prefix not in opened:
                opened.add(prefix)
                first, last, params, macs, last_row, connections = sums[prefix]
                fold = depth is not None and level + 1 >= depth
                if not fold:
                    index = ""  # its rows follow, each with its own number
                else:
                    index = f"{first}-{last}" if first != last else str(first)
                lines.append(Line(level, prefix[-1], containers[prefix].source, index,
                                  last_row.output_shape, params, macs, last_row.rf,
                                  "folded" if fold else "open", None, connections))
            if depth is not None and level + 1 >= depth:
                folded = True
                break
        if folded:
            continue
        level = len(row.path) - 1
        if depth is not None and level >= depth:
            continue
        lines.append(Line(level, row.path[-1], row.source, str(row.index), row.output_shape,
                          row.params, row.macs, row.rf, "layer", row.note,
                          row.connections))
    return lines


def thousands(n: Any, order: tuple = ()) -> str:
    """4089184256 -> '4,089,184,256'; a symbolic value as the printer writes it."""
    if isinstance(n, int):
        return f"{n:,}"
    return n if isinstance(n, str) else show(n, order)


def human(n: Any) -> str:
    """4089184256 -> '4.09 G' (for totals; rows show exact numbers)."""
    for unit, scale in (("T", 10 ** 12), ("G", 10 ** 9), ("M", 10 ** 6), ("K", 10 ** 3)):
        if abs(n) >= scale:
            return f"{decimal_text(Fraction(n, scale), '.2f')} {unit}"
    return str(n)


def megabytes(n: Any, order: tuple = ()) -> str:
    """Bytes as torchinfo prints them: decimal megabytes, two places (a symbolic size in
    bytes, as it is); a size that would show as 0.00 MB, in bytes."""
    if isinstance(n, int) and n < 5000:
        return f"{n:,} bytes"
    return f"{decimal_text(Fraction(n, 10 ** 6), ',.2f')} MB" if isinstance(n, int) else \
        f"{show(n, order)} bytes"


def shape_text(report: Report, shape: tuple) -> str:
    return show_shape(in_layout(shape, report.input.layout), report.order)


def rf_text(rf: tuple, order: tuple = ()) -> str:
    return "x".join(show(v, order) for v in rf) if rf else "-"


def with_human(n: Any, order: tuple) -> str:
    if isinstance(n, int) and abs(n) < 1000:
        return thousands(n)  # 81, not 81 (81)
    return f"{thousands(n)} ({human(n)})" if isinstance(n, int) else show(n, order)


def totals_lines(report: Report) -> list[tuple[str, str]]:
    t = report.totals
    dtype = report.dtype
    order = report.order
    lines = [("Total params", thousands(t.params, order))]
    if not _zero(t.params):
        lines += [("  weights", thousands(t.weights, order)),
                  ("  biases", thousands(t.biases, order))]
    lines.append(("Trainable params", thousands(t.trainable_params, order)))
    if not _zero(t.buffers):  # no batch norm, no buffers: the line would only say 0
        # batch norm's statistics, or also weights fixed by hand (an rbf's prototypes)
        kept = {r.kind for r in report.rows if not _zero(r.buffers)}
        label = "BN running stats" if kept <= {"bn"} else "kept, not learned"
        lines.append((f"Buffers ({label})", thousands(t.buffers, order)))
    batch = report.input.batch
    if not _one(batch):
        lines.append(("Batch", thousands(batch, order)))
    macs = "MACs" if _one(batch) else "MACs (whole batch)"
    if report.convention != "papers":  # counted as a peer tool counts (conventions.py)
        macs = f"{macs}, as {report.convention} counts"
    lines += [
        (macs, with_human(t.macs, order)),
        ("FLOPs (2 x MACs)", with_human(t.flops, order)),
        ("Output", shape_text(report, t.output_shape)),
        ("Receptive field", rf_text(t.rf, order))]
    if t.rf_features is not None and t.rf_features != t.rf:
        lines.append(("Receptive field (features)", rf_text(t.rf_features, order)))
    lines += [
        (f"Input size ({dtype})", megabytes(t.input_bytes, order)),
        ("Forward/backward pass size", megabytes(t.activation_bytes, order)),
        ("Params size", megabytes(t.param_bytes, order)),
        ("Estimated total size", megabytes(t.total_bytes, order)),
    ]
    lines += training_lines(report)
    summary = report.summary
    if summary is not None:
        if summary.min_input is not None:
            lines.append(("Smallest valid input", shape_text(report, summary.min_input)))
        for s in summary.exact_when:
            lines.append(("Strides tile exactly when", s.text))
    return lines


def training_lines(report: Report) -> list[tuple[str, str]]:
    """`--memory training`: the total, then each term (docs/memory.md)."""
    m = report.training
    if m is None:
        return []
    order = report.order
    per = f"{m.states_per_param} per param"
    return [(f"Training memory ({m.optimizer}, {report.dtype})",
             megabytes(m.total_bytes, order)),
            ("  parameters", megabytes(m.param_bytes, order)),
            ("  gradients", megabytes(m.gradient_bytes, order)),
            (f"  optimizer state ({per})", megabytes(m.optimizer_bytes, order))] + (
        [] if _zero(m.buffer_bytes) else [("  buffers", megabytes(m.buffer_bytes, order))]) + [
            ("  input", megabytes(m.input_bytes, order)),
            ("  activations kept for backward", megabytes(m.activation_bytes, order))]


def _zero(n: Any) -> bool:
    return isinstance(n, int) and n == 0


def _one(n: Any) -> bool:
    return isinstance(n, int) and n == 1


def condition_lines(report: Report) -> list[tuple[str, str]]:
    """`H ≥ 63` and where it arose (`features.conv1, line 3`), for a symbolic spec."""
    summary = report.summary
    if summary is None:
        return []
    return [(s.text, ", ".join(([".".join(s.path)] if s.path else []) + [f"line {s.line}"]))
            for s in summary.conditions] + undecided_asserts(report)


def undecided_asserts(report: Report) -> list[tuple[str, str]]:
    """The spec's asserts that depend on names with no value, as conditions: `750·H·W ≤
    1,000,000` (`assert macs <= 1M, line 4`)."""
    if not report.asserts:
        return []
    from ..gate import judge
    from .gate import SYMBOL, value_text

    def shown(value):
        return "x".join(show(v, report.order) for v in value) if isinstance(value, tuple) \
            else show(value, report.order)

    return [(f"{shown(o.actual)} {SYMBOL[o.budget.op]} {value_text(o.budget.value)}",
             f"{o.budget.text}, line {o.budget.span.line}")
            for o in judge(report, report.asserts) if o.ok is None]
