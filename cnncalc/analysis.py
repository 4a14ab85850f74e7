"""The analysis: a pass over the one walk (`walk.py`) that asks each layer's and merge's kind
for its output shape, parameters, buffers, MACs and receptive field, and collects rows,
totals, warnings and conditions.

Every rule lives with its kind (`layers/`); this module only threads shapes and fields
through the walk, and sums.
"""

from __future__ import annotations

from . import ir
from .errors import CnnCalcError, Span, Warning_, one_line
from .formulas import flops
from .layers.base import AxisRF, Context, fmt_shape
from .numbers import (MAX_DIM, Conditions, at_least, bounded_figures, bounded_size, product,
                      too_large, total)
from .report import Container, Report, Row, Totals
from .walk import Visitor, walk

DTYPE_BYTES = {"float32": 4, "float": 4, "fp32": 4, "float16": 2, "half": 2, "fp16": 2,
               "bfloat16": 2, "bf16": 2, "float64": 8, "double": 8, "fp64": 8,
               "int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8}


def analyze_net(net: ir.Net, dtype: str = "float32") -> Report:
    return run_analysis(net, dtype, _Analysis)[0]


def run_analysis(net: ir.Net, dtype: str, pass_type: type) -> tuple[Report, "_Analysis"]:
    """Walk the net with the analysis pass (or one built on it, like explain's): the report
    and the pass, which may have gathered more."""
    if dtype not in DTYPE_BYTES:
        raise CnnCalcError(f"unknown dtype '{dtype}' (one of: {', '.join(DTYPE_BYTES)})")
    analysis = pass_type(net, DTYPE_BYTES[dtype])
    x = net.input.shape
    rf0 = tuple(AxisRF(1, 1, 0, n) for n in x[1:])
    y, rf = walk(net.body, analysis, (x, rf0))
    return analysis.report(y, rf, dtype), analysis


class _Analysis(Visitor):
    def __init__(self, net: ir.Net, elem_bytes: int):
        self.net = net
        self.elem_bytes = elem_bytes
        self.batch = net.input.batch
        self.rows: list[Row] = []
        self.containers: dict[tuple, Container] = {}
        self.warnings: list[Warning_] = []
        self._seen: set = set()
        self.conditions = Conditions(net.conditions)
        self.ctx = Context(self.warn, net.input.layout, self.conditions)

    def warn(self, message, span: Span | None) -> None:
        """`message` may be a function giving it, built only when a warning is kept."""
        message = (message() if callable(message) else message) + _at(self.conditions.path)
        key = (message, span.start if span else None)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(Warning_(message, span))

    # --- the walk's questions ---------------------------------------------------------------

    def enter(self, path, kind, node):
        self.containers[path] = Container(path, kind, _source(node.span), node.span)

    def layer(self, layer: ir.Layer, path: tuple, value):
        self.conditions.path = path
        try:
            return self._layer(layer, path, *value)
        except CnnCalcError as e:  # raised by this layer's own rules
            raise _located(e, path) from None

    def _layer(self, layer: ir.Layer, path: tuple, x, rf):
        kind = layer.kind
        ctx = self.ctx
        y = kind.output_shape(layer, x, ctx)
        for d in y:
            if type(d) is not int:
                bounded_size(d, layer.span, lambda: f"the output size of {kind.name}")
            ctx.require(at_least(d, 1), lambda: f"{kind.name} gives output {fmt_shape(y)}: "
                                                f"a size is below 1", layer.span)
            if too_large(d, MAX_DIM):
                raise CnnCalcError(f"{kind.name} gives output {fmt_shape(y)}: a size is "
                                   f"above {MAX_DIM:,}", layer.span)
        out_rf = _positioned(_inexact_after(rf, kind.receptive_field(layer, x, rf, ctx)), y)
        macs = kind.macs(layer, x, y) * self.batch
        self.add_row(path, kind.name, layer.span, layer.text, x, y, kind.params(layer, x),
                     kind.buffers(layer, x), macs, out_rf, kind.note(layer, x, y, ctx))
        return y, out_rf

    def branch_inputs(self, m: ir.Merge, path: tuple, value):
        x, rf = value
        self.conditions.path = path
        try:
            xb = m.kind.branch_input(x, len(m.branches), m.span, self.ctx)
        except CnnCalcError as e:
            raise _located(e, path) from None
        return [(xb, rf)] * len(m.branches)

    def join(self, m: ir.Merge, path: tuple, value, outs: list):
        self.conditions.path = path
        shapes = [y for y, _ in outs]
        try:  # raised by the merge itself, not by its branches
            y = m.kind.output_shape(shapes, m.span, self.ctx)
        except CnnCalcError as e:
            raise _located(e, path) from None
        merged = _positioned(m.kind.receptive_field([f for _, f in outs], shapes, y), y)
        self.add_row(path, m.kind.row_kind, m.span, _source(m.span), shapes[0], y, 0, 0, 0,
                     merged, None)
        return y, merged

    def add_row(self, path, kind, span: Span, source: str, x, y, params, buffers, macs, rf,
                note) -> None:
        for a in rf:  # what grows from layer to layer without a bound of its own
            bounded_figures((a.size, a.jump, a.start), span,
                            lambda: f"the receptive field of {'.'.join(path)}")
        self.rows.append(Row(
            index=len(self.rows) + 1, path=path, kind=kind, source=source,
            line=span.line, input_shape=x, output_shape=y, params=params, buffers=buffers,
            macs=macs, rf=tuple(a.size for a in rf), jump=tuple(a.jump for a in rf),
            start=tuple(a.start for a in rf),
            output_bytes=product(y) * self.batch * self.elem_bytes, note=note, span=span))

    # --- totals ---------------------------------------------------------------------------

    def report(self, y, rf, dtype: str) -> Report:
        rows = self.rows
        params = total(r.params for r in rows)
        buffers = total(r.buffers for r in rows)
        macs = total(r.macs for r in rows)
        inp = self.net.input
        input_bytes = product(inp.shape) * self.batch * self.elem_bytes
        # torchinfo's "Forward/backward pass size": outputs of layers with weights, x2 for
        # their gradients.
        activation = 2 * total(r.output_bytes for r in rows if r.params != 0)
        param_bytes = params * self.elem_bytes  # torchinfo's "Params size": no buffers
        totals = Totals(
            params=params, trainable_params=params, buffers=buffers, macs=macs,
            flops=flops(macs), output_shape=y, rf=tuple(a.size for a in rf),
            jump=tuple(a.jump for a in rf), input_bytes=input_bytes,
            activation_bytes=activation, param_bytes=param_bytes,
            total_bytes=input_bytes + activation + param_bytes)
        symbols = tuple(s for s, _ in self.net.symbols)
        summary = None
        if symbols:
            from .symbolic.summary import summarize

            summary = summarize(self.conditions.items, self.ctx.tilings, symbols, inp.shape)
        return Report(inp, rows, totals, self.warnings, self.containers, dtype, symbols,
                      summary)


def _inexact_after(rf: tuple, out: tuple) -> tuple:
    """A field known only by its largest size stays so through every later layer."""
    if all(a.exact for a in rf):
        return out
    return tuple(o._replace(exact=False) if i < len(rf) and not rf[i].exact else o
                 for i, o in enumerate(out))


def _positioned(rf: tuple, y) -> tuple:
    """The field with each axis's number of positions after the layer: the output's spatial
    sizes, or, where the output has none left (flatten, fc), the ones it had."""
    if len(y) - 1 != len(rf):
        return rf
    return tuple(a._replace(positions=n) for a, n in zip(rf, y[1:]))


def _at(path: tuple) -> str:
    """A layer written inside a def or block may fail in one use of it and not another:
    say which, ` (at layer2.down.residual.conv1)`; nothing for a top-level layer."""
    return f" (at {'.'.join(path)})" if len(path) > 1 else ""


def _located(error: CnnCalcError, path: tuple) -> CnnCalcError:
    return CnnCalcError(error.message + _at(path), error.span, error.where)


def _source(span: Span | None) -> str:
    return one_line(span.text) if span is not None else ""
