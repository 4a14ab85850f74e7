"""The passes: one walk over the IR that asks each layer's definition for its output shape,
parameters, buffers, MACs and receptive field, and collects rows and totals.

Every rule lives with its layer kind (`layers/`); this module only threads shapes and fields
through sequences and branches, and sums.
"""

from __future__ import annotations


from . import ir
from .errors import CnnCalcError, Span, Warning_, one_line
from .layers.base import AxisRF, Context, fmt_shape
from .formulas import flops
from .numbers import is_concrete, product
from .report import Container, Report, Row, Totals

MAX_DIM = 2 ** 48  # a larger tensor axis is a typo, and would make every sum crawl

DTYPE_BYTES = {"float32": 4, "float": 4, "fp32": 4, "float16": 2, "half": 2, "fp16": 2,
               "bfloat16": 2, "bf16": 2, "float64": 8, "double": 8, "fp64": 8,
               "int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8}


def analyze_net(net: ir.Net, dtype: str = "float32") -> Report:
    if net.symbols:
        name, span = net.symbols[0]
        raise CnnCalcError(f"'{name}' has no value: symbolic sizes need the symbolic engine, "
                           f"which is not built yet; write a number instead", span)
    if dtype not in DTYPE_BYTES:
        raise CnnCalcError(f"unknown dtype '{dtype}' (one of: {', '.join(DTYPE_BYTES)})")
    walker = _Walker(net, DTYPE_BYTES[dtype])
    x = net.input.shape
    rf0 = tuple(AxisRF(1, 1, 0) for _ in x[1:])
    y, rf = walker.seq(net.body, (), x, rf0)
    return walker.report(y, rf, dtype)


class _Walker:
    def __init__(self, net: ir.Net, elem_bytes: int):
        self.net = net
        self.elem_bytes = elem_bytes
        self.batch = net.input.batch
        self.rows: list[Row] = []
        self.containers: dict[tuple, Container] = {}
        self.warnings: list[Warning_] = []
        self._seen: set = set()
        self.path: tuple = ()  # of the layer being analysed
        self.ctx = Context(tuple(net.input.shape[1:]), self.warn, net.input.layout)

    def warn(self, message: str, span: Span | None) -> None:
        message += _at(self.path)
        key = (message, span.start if span else None)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(Warning_(message, span))

    # --- walking --------------------------------------------------------------------------

    def seq(self, seq: ir.Seq, path: tuple, x, rf):
        for node, name in zip(seq.items, seq.names):
            here = path + (name,)
            if isinstance(node, ir.Layer):
                x, rf = self.layer(node, here, x, rf)
            elif isinstance(node, ir.Seq):
                self.containers[here] = Container(here, "call", _source(node.span), node.span)
                x, rf = self.seq(node, here, x, rf)
            else:
                self.containers[here] = Container(here, "block", _block_source(node),
                                                  node.span)
                x, rf = self.merge(node, here, x, rf)
        return x, rf

    def layer(self, layer: ir.Layer, path: tuple, x, rf):
        self.path = path
        try:
            return self._layer(layer, path, x, rf)
        except CnnCalcError as e:  # raised by this layer's own rules
            raise _located(e, path) from None

    def _layer(self, layer: ir.Layer, path: tuple, x, rf):
        kind = layer.kind
        y = kind.output_shape(layer, x, self.ctx)
        for d in y:
            if is_concrete(d) and not 1 <= d <= MAX_DIM:
                problem = "below 1" if d < 1 else f"above {MAX_DIM:,}"
                raise CnnCalcError(f"{kind.name} gives output {fmt_shape(y)}: a size is "
                                   f"{problem}", layer.span)
        out_rf = kind.receptive_field(layer, x, rf, self.ctx)
        macs = kind.macs(layer, x, y) * self.batch
        self.add_row(path, kind.name, layer.span, layer.text, x, y, kind.params(layer, x),
                     kind.buffers(layer, x), macs, out_rf, kind.note(layer, x, y, self.ctx))
        return y, out_rf

    def merge(self, m: ir.Merge, path: tuple, x, rf):
        n = len(m.branches)
        xb = x
        if m.op == "split":
            if is_concrete(x[0]) and x[0] % n:
                raise CnnCalcError(f"split: {x[0]} channels cannot be shared evenly among "
                                   f"{n} branches{_at(path)}", m.span)
            xb = (x[0] // n,) + tuple(x[1:])
        outs, fields = [], []
        for branch, name in zip(m.branches, m.branch_names):
            here = path + (name,) if name and branch.items else path
            if name and branch.items:
                self.containers[here] = Container(here, "branch", _source(branch.span),
                                                  branch.span)
            y, brf = self.seq(branch, here, xb, rf)
            outs.append(y)
            fields.append(brf)
        op = "concat" if m.op == "split" else m.op
        try:
            y = _join(op, outs, m)
        except CnnCalcError as e:  # raised by the merge itself, not by its branches
            raise _located(e, path) from None
        merged = _merge_fields(fields, outs, y) if fields else rf
        self.add_row(path + (op,), op, m.span, _source(m.span), outs[0], y, 0, 0, 0, merged,
                     None)
        return y, merged

    def add_row(self, path, kind, span: Span, source: str, x, y, params, buffers, macs, rf,
                note) -> None:
        self.rows.append(Row(
            index=len(self.rows) + 1, path=path, kind=kind, source=source,
            line=span.line, input_shape=x, output_shape=y, params=params, buffers=buffers,
            macs=macs, rf=tuple(a.size for a in rf), jump=tuple(a.jump for a in rf),
            start=tuple(a.start for a in rf),
            output_bytes=product(y) * self.batch * self.elem_bytes, note=note, span=span))

    # --- totals ---------------------------------------------------------------------------

    def report(self, y, rf, dtype: str) -> Report:
        rows = self.rows
        params = sum(r.params for r in rows)
        buffers = sum(r.buffers for r in rows)
        macs = sum(r.macs for r in rows)
        inp = self.net.input
        input_bytes = product(inp.shape) * self.batch * self.elem_bytes
        # torchinfo's "Forward/backward pass size": outputs of layers with weights, x2 for
        # their gradients.
        activation = 2 * sum(r.output_bytes for r in rows if r.params)
        param_bytes = params * self.elem_bytes  # torchinfo's "Params size": no buffers
        totals = Totals(
            params=params, trainable_params=params, buffers=buffers, macs=macs,
            flops=flops(macs), output_shape=y, rf=tuple(a.size for a in rf),
            jump=tuple(a.jump for a in rf), input_bytes=input_bytes,
            activation_bytes=activation, param_bytes=param_bytes,
            total_bytes=input_bytes + activation + param_bytes)
        return Report(inp, rows, totals, self.warnings, self.containers, dtype)


def _at(path: tuple) -> str:
    """A layer written inside a def or block may fail in one use of it and not another:
    say which, ` (at layer2.down.residual.conv1)`; nothing for a top-level layer."""
    return f" (at {'.'.join(path)})" if len(path) > 1 else ""


def _located(error: CnnCalcError, path: tuple) -> CnnCalcError:
    return CnnCalcError(error.message + _at(path), error.span, error.where)


def _merge_fields(fields: list, outs: list, y) -> tuple:
    """The largest field over the branches; the grid (jump, start) of a branch whose output
    already has the merged size — a squeeze-excite branch sees everything but its 1x1
    output is broadcast onto the main branch's grid."""
    if any(len(f) != len(fields[0]) for f in fields):
        return fields[0]
    on_grid = [f for f, o in zip(fields, outs) if tuple(o[1:]) == tuple(y[1:])] or fields
    merged = []
    for i in range(len(fields[0])):
        size = max(f[i].size for f in fields)
        grid = max((f[i] for f in on_grid), key=lambda a: a.size)
        merged.append(AxisRF(size, grid.jump, grid.start))
    return tuple(merged)


def _join(op: str, outs: list, m: ir.Merge):
    first = outs[0]
    shown = " and ".join(fmt_shape(o) for o in dict.fromkeys(outs))
    if any(len(o) != len(first) for o in outs):
        raise CnnCalcError(f"branch outputs {shown} have different numbers of axes", m.span)
    if op == "add":
        if any(o != first for o in outs):
            raise CnnCalcError(f"branch outputs {shown} cannot be added (shapes differ)",
                               m.span)
        return first
    if op == "concat":
        if any(o[1:] != first[1:] for o in outs):
            raise CnnCalcError(f"branch outputs {shown} cannot be concatenated: sizes other "
                               f"than the channels differ", m.span)
        return (sum(o[0] for o in outs),) + tuple(first[1:])
    # mul: NumPy broadcasting, each axis equal or 1
    result = []
    for sizes in zip(*outs):
        big = {s for s in sizes if s != 1}
        if len(big) > 1:
            raise CnnCalcError(f"branch outputs {shown} cannot be multiplied: each axis must "
                               f"match or be 1", m.span)
        result.append(big.pop() if big else 1)
    return tuple(result)


def _source(span: Span | None) -> str:
    return one_line(span.text) if span is not None else ""


def _block_source(m: ir.Merge) -> str:
    head = m.span.text
    if head == "residual":
        return "residual {…}" + (" shortcut {…}" if m.branches[1].items else "")
    return head + " {…}" * len(m.branches)

