"""`verify`: the net run in NumPy, and every figure of the analysis compared with what the
run really did — each layer's output shape from the array it produced, its parameters and
buffers from the elements it allocated, its MACs from the multiply-accumulates its matmuls
performed, its receptive field from what a change at each input position reaches
(`probe.py`). The analysis formulas and the executor are written separately (`params()` is
never derived from `tensors()`), so an error in either shows as a difference.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor
from typing import Any, NamedTuple

from . import ir
from .analysis import _Analysis, run_analysis
from .execute import _Run, run_net
from .layers.base import AxisRF, axis_names
from .probe import measure_fields
from .report import Report
from .walk import Visitor, walk


class Difference(NamedTuple):
    index: int
    path: tuple
    what: str          # output, params, buffers, MACs, RF (one position's field), RF size
    analysis: Any
    measured: Any
    axis: str | None = None   # RF: the axis (rows, columns, …)
    at: int | None = None     # RF: the output position whose field differs


class Verified(NamedTuple):
    report: Report
    differences: list[Difference]
    rows: int          # rows compared


class _Fields(_Analysis):
    """The analysis, keeping each row's receptive field whole (grid and exactness too)."""

    def __init__(self, net, elem_bytes):
        super().__init__(net, elem_bytes)
        self.fields: dict[tuple, tuple] = {}
        self.inputs: dict[tuple, tuple] = {}  # a layer's input shape

    def layer(self, layer, path, value):
        y, rf = super().layer(layer, path, value)
        self.fields[path] = rf
        self.inputs[path] = value[0]
        return y, rf

    def join(self, m, path, value, outs):
        y, rf = super().join(m, path, value, outs)
        self.fields[path] = rf
        return y, rf


def verify_net(net: ir.Net, seed: int = 0, dtype: str = "float32",
               memory_limit: int | None = None) -> Verified:
    import numpy as np

    report, analysis = run_analysis(net, "float32", _Fields)
    rows = {r.path: r for r in report.rows}
    differences: list[Difference] = []

    class Measuring(_Run):
        def layer(self, layer, path, x):
            arrays = self.arrays(layer, path, x)
            count: list = []
            y = layer.kind.forward(layer, x, arrays, count)
            buffers = sum(a.size for n, a in arrays.items() if n in layer.kind.buffer_names)
            params = sum(a.size for n, a in arrays.items()) - buffers
            compare(path, ("output", tuple(y.shape[1:])), ("params", params),
                    ("buffers", buffers), ("MACs", sum(count)))
            return y

        def join(self, merge, path, x, outs):
            y = super().join(merge, path, x, outs)
            compare(path, ("output", tuple(y.shape[1:])))
            return y

    def compare(path, *measured):
        row = rows[path]
        expected = {"output": tuple(row.output_shape), "params": row.params,
                    "buffers": row.buffers, "MACs": row.macs}
        for what, value in measured:
            if expected[what] != value:
                differences.append(Difference(row.index, path, what, expected[what], value))

    run_net(net, seed=seed, dtype=dtype, runner=Measuring)
    measured = measure_fields(net, memory_limit)
    sizes = _probed_sizes(net)
    real = _RealPositions(analysis.inputs, rows)
    walk(net.body, real, tuple(_Reach(np.ones(n, dtype=bool), np.ones(n, dtype=bool))
                               for n in sizes))
    names = axis_names(len(sizes))
    for row in report.rows:
        reach = real.found[row.path]
        for a, (field, seen) in enumerate(zip(analysis.fields[row.path], measured[row.path])):
            filled = reach[a].only & _alive(reach, a)
            differences.extend(_field_differences(row, names[a], field, seen, sizes[a], filled))
    differences.sort(key=lambda d: d.index)
    return Verified(report, differences, len(report.rows))


def _probed_sizes(net: ir.Net) -> tuple:
    first = net.body.items[0] if net.body.items else None
    embedded = isinstance(first, ir.Layer) and first.kind.name == "embed"
    return tuple(net.input.shape) if embedded else tuple(net.input.shape[1:])


class _Reach(NamedTuple):
    """Along one probed axis, per output position (one for a vector): `only`, every input
    position it reads, through every layer before, is real input — no padding, and no
    position a transposed convolution cropped; `some`, at least one is."""
    only: Any
    some: Any


def _alive(axes: tuple, a: int) -> bool:
    """A change along axis `a` reaches this row at all only if, along every other axis,
    some output position reads real input: the probe changes whole slices, and a layer
    reads a box of positions, so what reaches is a product over the axes."""
    return all(r.some.any() for b, r in enumerate(axes) if b != a)


class _RealPositions(Visitor):
    """Which output positions of each row read input only (`_Reach`). There, when a change
    can reach the row at all, a field (the hull of what it reads, not clipped: dsl.md §5) is
    exactly what a change reaches."""

    def __init__(self, inputs: dict, rows: dict):
        self.inputs, self.rows = inputs, rows
        self.found: dict[tuple, tuple] = {}

    def layer(self, layer, path, axes):
        x, y = self.inputs[path], self.rows[path].output_shape
        reads = layer.kind.reads(layer, x) if len(x) > 1 and len(y) > 1 else None
        if len(y) == 1:  # a vector: one output combines every position left
            out = tuple(_Reach(r.only[:1] & r.only.all(), r.some[:1] | r.some.any())
                        for r in axes)
        elif reads is None:
            out = axes
        else:
            out = tuple(_read(r, how, n) for r, how, n in zip(axes, reads, y[1:]))
            out += axes[len(out):]
        self.found[path] = out
        return out

    def branch_inputs(self, merge, path, axes):
        return [axes] * len(merge.branches)

    def join(self, merge, path, axes, outs):
        import numpy as np

        # a branch that no change reaches gives nothing to the merge, though the analysis
        # counts its field: its positions read real input only where every branch is alive
        live = [[_Reach(r.only & _alive(o, a), r.some & _alive(o, a)) for a, r in enumerate(o)]
                for o in outs]
        out = tuple(_Reach(np.logical_and.reduce(np.broadcast_arrays(*(r.only for r in rs))),
                           np.logical_or.reduce(np.broadcast_arrays(*(r.some for r in rs))))
                    for rs in zip(*live))
        self.found[path] = out
        return out


def _read(reach: _Reach, reads, n: int) -> _Reach:
    import numpy as np

    only, some = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i in range(n):
        read = list(reads.indices(i))
        inside = [j for j in read if 0 <= j < len(reach.only)]
        only[i] = len(inside) == len(read) and all(reach.only[j] for j in inside)
        some[i] = any(reach.some[j] for j in inside)
    return _Reach(only, some)


def _field_differences(row, axis: str, field: AxisRF, seen, n: int, real) -> list[Difference]:
    """One axis of one row: each output position's field as the analysis has it (first and
    last input position, not clipped: dsl.md §5) against what the probe saw reach it.

    What reaches a position always lies in its field, so every position is checked for that.
    The converse holds only where the field is really read: near an edge a field may count
    padding, or positions a transposed convolution cropped, as if they were input — nothing
    reaches from there. Where every position read is real input (`_RealPositions`), the
    field is exactly what a change reaches: the hull of a field with holes (dilation, a
    stride above the kernel) ends on positions read. Where the analysis knows only the
    largest field (`exact` False: a branch broadcast onto the others), nothing may be seen
    beyond it."""
    first, last = seen
    positions = len(first)
    if positions == 1 and field.positions not in (1, None):
        return []  # a flattened vector: its positions are no longer apart (an fc combines)
    measured = [(int(f), int(t)) if t >= 0 else None for f, t in zip(first, last)]
    analysed = [_field_at(field, i) for i in range(positions)]
    if not (field.exact or field.grid is not None):  # nothing is seen beyond the largest
        want, got = _ints((min(field.size, n),))[0], _largest(measured)
        return [] if got <= want else [
            Difference(row.index, row.path, "RF size", want, got, axis)]
    for i, (want, got) in enumerate(zip(analysed, measured)):
        inside = _clipped(want, n)
        if got is not None and (inside is None or not inside[0] <= got[0] <= got[1] <= inside[1]):
            return [Difference(row.index, row.path, "RF", _ints(want), got, axis, i)]
    for i, (want, got) in enumerate(zip(analysed, measured)):
        if real[min(i, len(real) - 1)] and _ints(want) != got:  # smaller: the field too large
            return [Difference(row.index, row.path, "RF size", _largest([want]),
                               _largest([got]), axis, i)]
    return []


def _ints(span):
    return None if span is None else tuple(int(v) if Fraction(v).denominator == 1 else v
                                           for v in span)


def _field_at(field: AxisRF, i: int):
    if field.grid is not None:
        return field.grid.at(i)
    centre = Fraction(field.start) + i * Fraction(field.jump)
    return centre - Fraction(field.size - 1, 2), centre + Fraction(field.size - 1, 2)


def _clipped(span, n: int):
    """The input positions of a field that lie in the input (0 … n − 1), or None."""
    if span is None:
        return None
    first, last = max(ceil(span[0]), 0), min(floor(span[1]), n - 1)
    return (first, last) if first <= last else None


def _largest(spans):
    return _ints((max((b - a + 1 for a, b in filter(None, spans)), default=0),))[0]
