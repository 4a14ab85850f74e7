"""Which lines a table shows: leaf rows, and a header line for each block or call, folded
at a depth like torchinfo's `depth`."""

from __future__ import annotations

from typing import Any, NamedTuple

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
                    sums[prefix] = [row.index, row.index, row.params, row.macs, row]
                else:
                    s[1] = row.index
                    s[2] += row.params
                    s[3] += row.macs
                    s[4] = row
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
                first, last, params, macs, last_row = sums[prefix]
                fold = depth is not None and level + 1 >= depth
                if not fold:
                    index = ""  # its rows follow, each with its own number
                else:
                    index = f"{first}-{last}" if first != last else str(first)
                lines.append(Line(level, prefix[-1], containers[prefix].source, index,
                                  last_row.output_shape, params, macs, last_row.rf,
                                  "folded" if fold else "open"))
            if depth is not None and level + 1 >= depth:
                folded = True
                break
        if folded:
            continue
        level = len(row.path) - 1
        if depth is not None and level >= depth:
            continue
        lines.append(Line(level, row.path[-1], row.source, str(row.index), row.output_shape,
                          row.params, row.macs, row.rf, "layer", row.note))
    return lines


def thousands(n: Any) -> str:
    """4089184256 -> '4,089,184,256' (a symbolic value as it is)."""
    return f"{n:,}" if isinstance(n, int) else str(n)


def human(n: Any) -> str:
    """4089184256 -> '4.09 G' (for totals; rows show exact numbers)."""
    if not isinstance(n, int):
        return str(n)
    for unit, scale in (("T", 10 ** 12), ("G", 10 ** 9), ("M", 10 ** 6), ("K", 10 ** 3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return str(n)


def megabytes(n: Any) -> str:
    """Bytes as torchinfo prints them: decimal megabytes, two places."""
    return f"{n / 10 ** 6:,.2f} MB" if isinstance(n, int) else str(n)


def shape_text(report: Report, shape: tuple) -> str:
    return "x".join(str(d) for d in report.display_shape(shape))


def rf_text(rf: tuple) -> str:
    return "x".join(str(v) for v in rf) if rf else "-"


def totals_lines(report: Report) -> list[tuple[str, str]]:
    t = report.totals
    dtype = report.dtype
    return [
        ("Total params", thousands(t.params)),
        ("Trainable params", thousands(t.trainable_params)),
        ("Buffers (BN running stats)", thousands(t.buffers)),
        ("MACs", f"{thousands(t.macs)} ({human(t.macs)})"),
        ("FLOPs (2 x MACs)", f"{thousands(t.flops)} ({human(t.flops)})"),
        ("Output", shape_text(report, t.output_shape)),
        ("Receptive field", rf_text(t.rf)),
        (f"Input size ({dtype})", megabytes(t.input_bytes)),
        ("Forward/backward pass size", megabytes(t.activation_bytes)),
        ("Params size", megabytes(t.param_bytes)),
        ("Estimated total size", megabytes(t.total_bytes)),
    ]
