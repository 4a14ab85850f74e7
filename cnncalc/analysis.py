"""The analysis: a pass over the one walk (`walk.py`) that asks each layer's and merge's kind
for its output shape, parameters, buffers, MACs and receptive field, and collects rows,
totals, warnings and conditions.

Every rule lives with its kind (`layers/`); this module only threads shapes and fields
through the walk, and sums.
"""

from __future__ import annotations

import re

from . import ir
from .errors import CnnCalcError, Span, Warning_, one_line
from .formulas import flops
from .layers.base import AxisRF, Context, fmt_shape
from .numbers import (MAX_DIM, Conditions, at_least, bounded_figures, bounded_size, product,
                      too_large, total)
from .ir import in_layout
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
    try:
        y, rf = walk(net.body, analysis, (x, rf0))
    except CnnCalcError as e:
        # what was noticed before the failing row may explain the error (an input read
        # channels first); what its own rules noticed on the way to failing does not
        e.warnings = analysis.warnings[:analysis.noticed_before]
        e.path = tuple(analysis.conditions.path)  # the row that failed (a sweep names it)
        raise
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
        self.noticed_before = 0  # warnings from rows before the one being analysed
        self.conditions = Conditions(net.conditions)
        self.ctx = Context(self.warn, net.input.layout, self.conditions)
        self._products: set = set()  # layers whose values were checked for k=3*3
        layout = _layout_mistake(net.input)
        if layout:
            self.warn("layout", layout, _dims_span(net.input.span), ())

    def warn(self, name: str, message, span: Span | None, path: tuple | None = None) -> None:
        """A warning `name` (errors.WARNINGS) at `span`, for the row being analysed (or
        `path`); `message` may be a function giving it, built only when a warning is kept."""
        path = self.conditions.path if path is None else path
        message = message() if callable(message) else message
        key = (name, message, span.start if span else None, path)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(Warning_(message, span, name, tuple(path)))

    # --- the walk's questions ---------------------------------------------------------------

    def enter(self, path, kind, node):
        self.containers[path] = Container(path, kind, _source(node.span), node.span)

    def layer(self, layer: ir.Layer, path: tuple, value):
        self.conditions.path = path
        self.noticed_before = len(self.warnings)
        try:
            return self._layer(layer, path, *value)
        except CnnCalcError as e:  # raised by this layer's own rules
            raise _located(e, path) from None

    def _layer(self, layer: ir.Layer, path: tuple, x, rf):
        kind = layer.kind
        ctx = self.ctx
        if id(layer) not in self._products:  # a repeated layer is one object: checked once
            self._products.add(id(layer))
            self._check_products(layer, x)
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
        params, biases = kind.params(layer, x), kind.biases(layer, x)
        if type(biases) is int and type(params) is int:
            weights = params - biases
        else:  # symbolic: the kind's own formula, not a difference sympy leaves unsimplified
            weights = kind.weights(layer, x)
        self.add_row(path, kind.name, layer.span, layer.text, x, y, params,
                     kind.buffers(layer, x), macs, out_rf, kind.note(layer, x, y, ctx),
                     weights, biases, kind.padding(layer, x), kind.mode(layer), layer.opts,
                     kind.connections(layer, x, y))
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
        self.noticed_before = len(self.warnings)
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
                note, weights=0, biases=0, padding=None, mode=None, options=None,
                connections=0) -> None:
        for a in rf:  # what grows from layer to layer without a bound of its own
            bounded_figures((a.size, a.jump, a.start), span,
                            lambda: f"the receptive field of {'.'.join(path)}")
        self.rows.append(Row(
            index=len(self.rows) + 1, path=path, kind=kind, source=source,
            line=span.line, input_shape=x, output_shape=y, params=params, buffers=buffers,
            macs=macs, rf=tuple(a.size for a in rf), jump=tuple(a.jump for a in rf),
            start=tuple(a.start for a in rf),
            output_bytes=product(y) * self.batch * self.elem_bytes, note=note, span=span,
            weights=weights, biases=biases, padding=padding, mode=mode, options=options,
            connections=connections))

    def _check_products(self, layer: ir.Layer, x) -> None:
        """`k=3*3` is a 9x9 kernel, though the notes write "3*3 卷积" for a 3x3 one: a kernel,
        stride or padding written as a product of two equal numbers is a warning, once for
        the text (a def called eight times warns once: `warn` keeps one per place and message)."""
        for option, what in _PRODUCT_OPTIONS:
            span = layer.spans.get(option)
            if span is None:
                continue
            text = span.source.text[span.start:span.end]
            if "*" not in text:
                continue
            m = _PRODUCT.match(text)
            if m is None or m.group(1) != m.group(2) or m.group(1) == "1":
                continue
            n = int(m.group(1))
            axes = max(len(x) - 1, 1)
            self.warn("product", _product_message(m.group(0), what, n, axes), span, ())

    # --- totals ---------------------------------------------------------------------------

    def report(self, y, rf, dtype: str) -> Report:
        rows = self.rows
        params = total(r.params for r in rows)
        weights = total(r.weights for r in rows)
        biases = total(r.biases for r in rows)
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
            total_bytes=input_bytes + activation + param_bytes, weights=weights, biases=biases,
            rf_features=_features_field(rows),
            connections=total(r.connections for r in rows))
        symbols = tuple(s for s, _ in self.net.symbols)
        summary = None
        if symbols:
            from .symbolic.summary import summarize

            summary = summarize(self.conditions.items, self.ctx.tilings, symbols, inp.shape)
        return Report(inp, rows, totals, self.warnings, self.containers, dtype, symbols,
                      summary, asserts=self.net.asserts)


_PRODUCT_OPTIONS = (("k", "kernel"), ("s", "stride"), ("p", "padding"))
# `k=3*3`, `kernel=(3*3)`: a value written as the product of two whole numbers
_PRODUCT = re.compile(r"\A[A-Za-z_]\w*\s*=\s*\(?\s*([0-9]+)\s*\*\s*([0-9]+)\s*\)?\Z")


def _product_message(written: str, what: str, n: int, axes: int) -> str:
    square, side = n * n, "x".join([str(n)] * axes)
    option = written.split("=", 1)[0].strip()
    fused = {"kernel": "k", "stride": "s", "padding": "p"}[what]
    if what == "kernel" and axes == 1:
        meant, got = f"a kernel of {n}", f"a kernel of {square}"
    elif what == "kernel":
        meant, got = f"a {side} kernel", f"a {'x'.join([str(square)] * axes)} kernel"
    elif what == "stride":
        meant, got = f"a stride of {n}", f"a stride of {square}"
    else:
        meant, got = f"padding {n}", f"padding {square}"
    return (f"{written} is {got} ({option} = {n}·{n} = {square}); for {meant} write "
            f"{fused}{n}")


def _layout_mistake(inp: ir.Input) -> str | None:
    """An input that reads as a likely mistake in its layout: `32x32x3` read channels first
    (32 channels of 32x3), `3x32x32 layout=hwc` (3x32 with 32 channels), `28x28` (28
    channels of length 28). A non-square two-part input (300x50, a text CNN's) is fine."""
    written = in_layout(inp.shape, inp.layout)
    if not all(type(d) is int for d in written):
        return None
    hwc = inp.layout == "hwc"
    if not hwc and inp.span is not None and _CHW.search(inp.span.text):
        return None  # `layout=chw` written out: meant as it reads
    shown = "x".join(map(str, written))
    if len(written) == 2 and written[0] == written[1]:
        n = written[0]
        if hwc:
            return (f"{shown} with layout=hwc is read as length {n} with {n} channels (a 1-D "
                    f"input); for a {n}x{n} grey image write {n}x{n}x1")
        return (f"{shown} is read as {n} channels of length {n} (a 1-D input); for a "
                f"{n}x{n} grey image write 1x{n}x{n}")
    if len(written) != 3:
        return None
    a, b, c = written
    if not hwc and a == b and c in (1, 3) and a != c:
        return (f"{shown} is read channels first: {a} channels of {b}x{c}; did you mean "
                f"layout=hwc (a {a}x{b} image with {c} channel{'s' if c > 1 else ''}), "
                f"or {c}x{a}x{b}?")
    if hwc and b == c and a in (1, 3) and a != c:
        return (f"{shown} with layout=hwc is read channels last: {a}x{b} with {c} channels; "
                f"did you mean channels first (a {b}x{c} image with {a} "
                f"channel{'s' if a > 1 else ''}): drop layout=hwc?")
    return None


_CHW = re.compile(r"layout\s*=\s*chw", re.IGNORECASE)


def _dims_span(span: Span | None) -> Span | None:
    """The sizes of `input 32x32x3 layout=hwc`: the word after the keyword (all of --input's
    text)."""
    if span is None:
        return None
    text = span.text
    words = [m.span() for m in re.finditer(r"\S+", text)]
    if len(words) < 2 or not text[:words[0][1]].lower().startswith("input"):
        return span
    start, end = words[1]
    return Span(span.source, span.start + start, span.start + end)


def _features_field(rows: list) -> tuple | None:
    """The receptive field of the feature map: the last row whose output still has more
    than one position (before a global pool, a flatten or an fc combines them all; ResNet-50:
    427, layer4's), else the last with spatial axes at all; None when no row has any."""
    last = None
    for r in reversed(rows):
        y = r.output_shape
        if len(y) > 1:
            if any(not (type(n) is int and n == 1) for n in y[1:]):
                return r.rf
            last = last or r.rf
    return last


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
