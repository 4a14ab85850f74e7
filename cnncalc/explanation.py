"""`explain`: every layer's arithmetic written out, formula then numbers, as the course does.

It is the analysis pass itself (`analysis._Analysis`), which at each layer also runs the
layer kind's own rules once more on traced values (`trace.Traced`: the kernel is `F`, the
stride `S`, …). What it prints is therefore the computation the analysis did, recorded as it
happened: `(N − F + 2P)/S + 1 = (32 − 5 + 2·2)/1 + 1 = 32`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from . import ir
from .analysis import _Analysis, run_analysis
from .layers.base import AxisRF, Context, axis_names
from .numbers import Conditions, is_concrete, mod, plain, show
from .report import Report
from .trace import Traced, exact, formula, one_step_on, substituted, value_of

# What each option is called in a formula, as the course names it; the names in HIDDEN are
# left out of a formula when they are 1 (dilation, groups), as the course writes it.
LEAF_NAMES = {"k": "F", "s": "S", "p": "P", "d": "D", "g": "G", "out": "K", "op": "OP",
              "mult": "M", "factor": "U", "groups": "G"}
HIDDEN = {"d", "g", "mult", "p", "op"}
KIND_NAMES = {"fc": {"out": "OUT"}}


class Step(NamedTuple):
    what: str            # output, padding, params, MACs, RF, jump
    axis: str | None     # "rows", "columns" … or None when every axis reads the same
    formula: str
    substituted: str
    partial: str | None  # one step on: 76·10 (params: per filter, times the filters)
    result: Any
    exact: Any           # the unrounded value where a division rounds (2.33), else None
    note: str | None


class Explained(NamedTuple):
    index: int
    path: tuple
    kind: str
    source: str
    input_shape: tuple
    output_shape: tuple
    steps: tuple[Step, ...]


def explain_net(net: ir.Net, dtype: str = "float32") -> tuple[Report, list[Explained]]:
    report, pass_ = run_analysis(net, dtype, _Explain)
    return report, pass_.explained


class _Explain(_Analysis):
    def __init__(self, net: ir.Net, elem_bytes: int):
        super().__init__(net, elem_bytes)
        self.explained: list[Explained] = []

    def _layer(self, layer: ir.Layer, path: tuple, x, rf):
        y, out_rf = super()._layer(layer, path, x, rf)
        row = self.rows[-1]
        self.explained.append(Explained(row.index, path, row.kind, row.source, x, y,
                                        tuple(self.steps(layer, x, rf, y, out_rf))))
        return y, out_rf

    def steps(self, layer: ir.Layer, x, rf, y, fields=()):
        """The layer's rules once more, on traced values."""
        kind = layer.kind
        names = {**LEAF_NAMES, **KIND_NAMES.get(kind.name, {})}
        opts = {}
        for key, value in layer.opts.items():
            opts[key] = _leaf(value, names.get(key), key in HIDDEN)
        traced = layer._replace(opts=opts)
        axes = axis_names(len(x) - 1)
        tx = (_leaf(x[0], "IN" if len(x) == 1 else "C"),) + tuple(
            _leaf(n, "N") for n in x[1:])
        # a scratch context: the analysis has already warned and kept its conditions
        ctx = Context(lambda *a: None, self.ctx.layout, Conditions())
        ty = kind.output_shape(traced, tx, ctx)
        yield from _per_axis("output", ty[1:], axes, rounding=True)
        if len(ty) == 1 and _computed(ty[0]):  # flatten: C·N·N
            yield _step("output", None, ty[0])
        if any(p == "same" for p in _as_tuple(layer.opts.get("p"))):
            # SAME's padding before each axis, as the rule computed it; the rest goes after
            windows = kind.axes(traced, tx)
            for step, a in zip(_per_axis("padding", [w.left for w in windows], axes),
                               windows):
                yield step._replace(note=f"p=same: {show(value_of(a.left))} before, "
                                         f"{show(value_of(a.right))} after (an odd pixel "
                                         f"goes after, as TensorFlow does)")
        params = kind.params(traced, tx)
        if _computed(params):
            yield _step("params", None, params)
        out_leaves = (_leaf(y[0], "K"),) + tuple(_leaf(n, "O") for n in y[1:])
        macs = kind.macs(traced, tx, out_leaves)
        if _computed(macs):
            yield _step("MACs", None, macs)
        trf = tuple(AxisRF(_leaf(a.size, "r"), _leaf(a.jump, "j"), a.start,
                           _leaf(a.positions, "n")) for a in rf)
        out_rf = kind.receptive_field(traced, tx, trf, ctx)
        if any(f.grid is not None or plain(value_of(t.size)) != plain(f.size)
               for t, f in zip(out_rf, fields)):
            yield from _written_out(fields, axes)
        else:
            yield from _per_axis("RF", [a.size for a in out_rf], axes)
        yield from _per_axis("jump", [a.jump for a in out_rf], axes)


def _written_out(fields, axes):
    """Fields that differ from position to position have no one formula: the largest of
    them, counted position by position (`layers/grid.py`)."""
    sizes = [plain(f.size) for f in fields]
    note = "fields differ from one position to the next here: the largest, counted position " \
           "by position"
    if len(set(sizes)) == 1:
        yield Step("RF", None, "", "", None, sizes[0], None, note)
        return
    for size, axis in zip(sizes, axes):
        yield Step("RF", axis[:-1], "", "", None, size, None, note)


def _as_tuple(v) -> tuple:
    return v if isinstance(v, tuple) else (v,)


def _leaf(value, name: str | None, hidden: bool = False):
    """A traced leaf for a number; options that are words or flags stay as they are."""
    if isinstance(value, tuple):
        return tuple(_leaf(v, name, hidden) for v in value)
    if isinstance(value, (bool, str)) or value is None or name is None:
        return value
    return Traced(value, name=name, hide_one=hidden)


def _computed(v) -> bool:
    """A value with a formula behind it (not just a leaf passed through)."""
    return isinstance(v, Traced) and v.op != "leaf"


def _step(what: str, axis: str | None, t: Traced, rounding: bool = False,
          axes_named=()) -> Step:
    value = plain(t.value)
    unrounded = plain(exact(t)) if rounding and is_concrete(t.value) else value
    partial = one_step_on(t) if what == "params" else None
    if unrounded == value:
        return Step(what, axis, formula(t), substituted(t), partial, value, None, None)
    return Step(what, axis, formula(t), substituted(t), partial, value, unrounded,
                _rounding_note(t, value, _as_tuple(axes_named or axis or "position")))


def _per_axis(what: str, values, axes, rounding: bool = False):
    """One step per spatial axis, or one for all when every axis reads the same."""
    computed = [(t, axis) for t, axis in zip(values, axes) if _computed(t)]
    texts = {(formula(t), substituted(t)) for t, _ in computed}
    if computed and len(computed) == len(axes) and len(texts) == 1:
        yield _step(what, None, computed[0][0], rounding, tuple(a[:-1] for a in axes))
        return
    for t, axis in computed:
        yield _step(what, axis[:-1], t, rounding, axis[:-1])


def _rounding_note(t: Traced, value, where: tuple) -> str | None:
    """Why a size was rounded: the stride does not tile the padded input."""
    division = _find(t, "floor/")
    if division is None:
        return None
    numerator, stride = (plain(value_of(v)) for v in division.args)
    left_over = mod(numerator, stride) if is_concrete(numerator) and is_concrete(stride) \
        else None
    if left_over is None:
        unused = ""
    else:
        parts = [f"the last {left_over} {axis if left_over == 1 else axis + 's'}"
                 for axis in where]
        verb = "is" if len(parts) == 1 and left_over == 1 else "are"
        unused = f", and {' and '.join(parts)} of the padded input {verb} never used"
    return f"stride {stride} does not tile it: PyTorch floors to {value}{unused}"


def _find(t: Traced, op: str) -> Traced | None:
    if t.op == op:
        return t
    for a in t.args:
        found = _find(a, op)
        if found is not None:
            return found
    return None
