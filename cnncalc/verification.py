"""`verify`: the net run in NumPy, and every figure of the analysis compared with what the
run really did — each layer's output shape from the array it produced, its parameters and
buffers from the elements it allocated, its MACs from the multiply-accumulates its matmuls
performed. The analysis formulas and the executor are written separately (`params()` is
never derived from `tensors()`), so an error in either shows as a difference.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import ir
from .analysis import analyze_net
from .execute import _Run, run_net
from .report import Report


class Difference(NamedTuple):
    index: int
    path: tuple
    what: str          # output, params, buffers, MACs
    analysis: Any
    measured: Any


class Verified(NamedTuple):
    report: Report
    differences: list[Difference]
    rows: int          # rows compared


def verify_net(net: ir.Net, seed: int = 0, dtype: str = "float32") -> Verified:
    report = analyze_net(net)
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
    return Verified(report, differences, len(report.rows))
