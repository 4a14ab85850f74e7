"""What a layer kind is: its syntax (positional values, options, flags) and its rules.

A kind is one subclass of `LayerKind`, registered with `@register`. The parser knows none of
this; `build` reads `positional` and `options` to resolve what was written, `analysis` calls
the rule methods, `cnncalc layers` prints the same definitions — so help cannot drift from the
parser. The NumPy executor will add a `forward` method here.
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple, Any, Callable

from ..errors import CnnCalcError, Span
from ..ir import Layer, in_layout
from ..numbers import Conditions, divides, product, show, show_shape
from .grid import Grid, window_reads

REQUIRED = object()

# Option value types (see build.convert_option):
COUNT = "count"      # a whole number >= 1
AXES = "axes"        # one whole number, or one per spatial axis (3x5)
PADDING = "padding"  # AXES >= 0, or same / valid / full
RATE = "rate"        # a decimal
INT = "int"          # a whole number >= 0
FLAG = "flag"        # a bare word: nobias, ceil, global
BOOL = "bool"        # true / false
TABLE = "table"      # a connection table: a name (lenet5_c3) or (111000, 011100, …)


class Option(NamedTuple):
    name: str
    type: str
    default: Any = REQUIRED
    doc: str = ""
    fused: bool = False                 # may be written k3, s2, p1x2
    aliases: tuple[str, ...] = ()       # long names accepted before '=' (kernel=3)
    flag_sets: tuple[tuple[str, Any], ...] = ()  # flag words that set this option: nobias

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


class AxisRF(NamedTuple):
    """Receptive field along one input axis (Araujo et al., Distill 2019): the size of the
    field of one output position, the jump between neighbouring positions' fields and the
    centre of the first one; `positions` is how many positions the axis has at this point
    (kept through a flatten, so an fc after it knows what it combines).

    Where the fields differ from position to position (after a transposed convolution, an
    upsampling, an uneven adaptive pool) `grid` holds them exactly (`grid.py`): `size` is
    then the largest, `jump` the mean step. `exact` is False where neither describes each
    position (a branch broadcast onto the others, a period too long to write out): `size` is
    then the largest field of the closed forms, which `verify` checks alone."""

    size: Any
    jump: Any
    start: Any
    positions: Any = None
    grid: Any = None
    exact: bool = True


class Tiling(NamedTuple):
    """A strided layer that tiles its input exactly only for some input sizes: `pred` holds
    when it does."""

    pred: Any
    span: Span
    path: tuple
    numerator: Any   # the pred says: stride divides numerator
    stride: Any


class Context:
    """What a rule may need besides its layer and input: warnings (`warn(name, message,
    span)`, name one of errors.WARNINGS), conditions, and how shapes are shown (channels
    last for an hwc input)."""

    def __init__(self, warn: Callable[..., None], layout: str = "chw",
                 conditions: Conditions | None = None):
        self.warn = warn
        self.layout = layout
        self.conditions = conditions if conditions is not None else Conditions()
        self.tilings: list[Tiling] = []

    def require(self, pred, message: str | Callable[[], str], span: Span | None) -> None:
        """A check: an error if `pred` is false, a condition if it depends on symbols."""
        self.conditions.require(pred, message, span)

    def tiles_only_when(self, numerator, stride, span: Span) -> None:
        """A stride that tiles exactly only when it divides `numerator` (n + 2p − d(k − 1) − 1),
        which depends on symbols."""
        self.tilings.append(Tiling(divides(stride, numerator), span, self.conditions.path,
                                   numerator, stride))

    def show(self, shape: Shape) -> str:
        return fmt_shape(in_layout(shape, self.layout))

    @staticmethod
    def show_value(value) -> str:
        return show(value)


Shape = tuple  # (channels, *spatial), channels first


class LayerKind:
    name: str = ""
    aliases: tuple[str, ...] = ()
    summary: str = ""
    positional: tuple[Option, ...] = ()
    options: tuple[Option, ...] = ()
    buffer_names: tuple[str, ...] = ()  # tensors that are kept, not learned (BN's statistics)
    width_option: str | None = None  # the option that sets the output channels ("out")
    fills: dict = {}  # tensors that start at a constant (BN's 1, 0, 0, 1), not at random
    # forward also takes inplace=True, and may then write its result into x: the executor
    # says so only for an array that nothing else holds (the previous layer made it)
    overwrites: bool = False

    # --- rules (override what differs from "shape preserved, nothing counted") ----------

    def output_shape(self, layer: Layer, x: Shape, ctx: Context) -> Shape:
        return x

    def params(self, layer: Layer, x: Shape) -> Any:
        return 0

    def buffers(self, layer: Layer, x: Shape) -> Any:
        return 0

    def biases(self, layer: Layer, x: Shape) -> Any:
        """The learned biases among `params` (batch norm: its shift, PyTorch's `bias`)."""
        return 0

    def weights(self, layer: Layer, x: Shape) -> Any:
        """`params` without the biases; a kind with biases says it in its own formula."""
        return self.params(layer, x)

    def connections(self, layer: Layer, x: Shape, y: Shape) -> Any:
        """LeCun et al. (1998)'s figure for one sample: the sum over output units of the
        inputs feeding the unit, plus 1 for its bias (`formulas.connections`). 0 where no
        unit weighs its inputs (an activation, a reshape)."""
        return 0

    def padding(self, layer: Layer, x: Shape) -> tuple | None:
        """Padding per spatial axis as ((before, after), …), resolved (`p=same` as chosen);
        None for a kind that has none."""
        return None

    def macs(self, layer: Layer, x: Shape, y: Shape) -> Any:
        return 0

    def mode(self, layer: Layer) -> str | None:
        """The variant of the kind that a peer tool counts apart (pooling: "window", "global"
        or "adaptive", see `conventions.py`); None for a kind that has one."""
        return None

    def receptive_field(self, layer: Layer, x: Shape, rf: tuple[AxisRF, ...],
                        ctx: Context) -> tuple[AxisRF, ...]:
        return rf

    def reads(self, layer: Layer, x: Shape) -> list | None:
        """Which input positions each output position reads, one `Reads` per spatial axis
        (`grid.py`), for concrete sizes only; None where position i reads position i (or the
        output has no spatial axes). The receptive-field rules map grids through it, and
        `verify` finds with it the outputs whose fields read no padding."""
        return None

    def note(self, layer: Layer, x: Shape, y: Shape, ctx: Context) -> str | None:
        """A remark for the table row (fc: 'flattens 16x5x5 → 400')."""
        return None

    # --- the executor (run, verify): tensors in PyTorch's names and layouts, and forward --
    # `params()` above is an independent formula: verify compares it with the elements
    # these tensors really allocate, so neither may be derived from the other.

    def tensors(self, layer: Layer, x: Shape) -> dict[str, tuple]:
        """The learned and kept arrays, by PyTorch's names: {"weight": (OUT, C, 3, 3)}."""
        return {}

    def forward(self, layer: Layer, x, arrays: dict, count: list | None = None):
        """x: an array (N, *input shape); arrays: this layer's tensors. Inference. A kind
        that multiplies appends the multiply-accumulates it performed to `count` (verify
        compares them with `macs()`)."""
        return x

    def workspace(self, layer: Layer, x: Shape, y: Shape, batch: int, itemsize: int) -> int:
        """The bytes `forward` holds at once beside its input, its tensors and its output,
        for the memory guard: by default one temporary the size of the output."""
        return batch * product(y) * itemsize

    def probe(self, layer: Layer, x, arrays: dict):
        """What a change reaches (`verify`'s receptive-field probe): x holds 1 where the
        input changed and 0 elsewhere, the arrays are all ones (biases zero), and every
        position of the result that is above 0 changed. A kind whose forward is not
        positive-linear in its input says how a change passes through it."""
        return self.forward(layer, x, arrays)

    # --- syntax, for `cnncalc layers` and error messages ----------------------------------

    def all_options(self) -> tuple[Option, ...]:
        return self.positional + self.options

    def syntax(self) -> str:
        parts = [self.name]
        for opt in self.positional:
            parts.append(opt.name.upper() if opt.required else f"[{opt.name.upper()}]")
        for opt in self.options:
            if opt.type == FLAG:
                parts.append(f"[{opt.name}]")
            elif opt.required:
                parts.append(f"{opt.name}={opt.name.upper()}")
            elif opt.default is None:  # optional, no fixed default (pool's k, s, out)
                parts.append(f"[{opt.name}={opt.name.upper()}]")
            else:
                parts.append(f"[{opt.name}={_show(opt.default)}]")
            for word, _ in opt.flag_sets:
                parts.append(f"[{word}]")
        return " ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Fraction):
        return str(float(value))
    return str(value)


REGISTRY: dict[str, LayerKind] = {}   # every name and alias -> its kind
KINDS: list[LayerKind] = []           # each kind once, in registration order


def register(cls: type[LayerKind]) -> type[LayerKind]:
    kind = cls()
    for name in (kind.name, *kind.aliases):
        if name in REGISTRY:
            raise RuntimeError(f"layer name {name!r} registered twice")
        REGISTRY[name] = kind
    KINDS.append(kind)
    return cls


# --- helpers shared by the rules --------------------------------------------------------

def fail(layer: Layer, message: str, option: str | None = None) -> CnnCalcError:
    """An error in this layer, pointing at the option that caused it (or the layer)."""
    return CnnCalcError(_in_layer(layer, message),
                        layer.opt_span(option) if option else layer.span)


def require(ctx: Context, layer: Layer, pred, message: str | Callable[[], str],
            option: str | None = None) -> None:
    """`fail` for a check that may depend on symbols: an error when `pred` is false, a
    condition when it cannot be decided."""
    ctx.require(pred, lambda: _in_layer(layer, message() if callable(message) else message),
                layer.opt_span(option) if option else layer.span)


def _in_layer(layer: Layer, message: str) -> str:
    name = layer.kind.name
    return message if message.startswith(name) else f"{name}: {message}"


def per_axis(layer: Layer, name: str, ndim: int) -> tuple:
    """An option's value for each spatial axis: `k3` on a 2-D input is (3, 3)."""
    value = layer.opts[name]
    if isinstance(value, tuple):
        if len(value) != ndim:
            raise fail(layer, f"'{name}' gives {len(value)} values but the input has {ndim} "
                              f"spatial {'axis' if ndim == 1 else 'axes'}", name)
        return value
    return (value,) * ndim


def spatial(layer: Layer, x: Shape, kind: LayerKind) -> tuple:
    if len(x) < 2:
        raise fail(layer, f"{kind.name} needs an input with spatial axes, but its input is "
                          f"the vector {fmt_shape(x)}")
    return x[1:]


def fmt_shape(shape: Shape) -> str:
    return show_shape(shape)


def axis_names(ndim: int) -> tuple[str, ...]:
    return {1: ("positions",), 2: ("rows", "columns"),
            3: ("slices", "rows", "columns")}.get(ndim, tuple(f"axis {i}" for i in range(ndim)))


def combined(rf: tuple) -> tuple[AxisRF, ...]:
    """The field of one output that combines all n positions of each axis (fc, global
    pooling): a window of n with the formulas of any window, r + (n - 1)·j, not clipped to
    the image (dsl.md §5), so the field never shrinks along the net."""
    from .. import formulas as f

    closed = tuple(AxisRF(f.rf_size(a.size, a.jump, a.positions), a.jump * a.positions,
                          f.rf_start(a.start, a.jump, a.positions, 0), 1) for a in rf)
    if not any(a.grid is not None for a in rf):
        return closed
    if not concrete(*(a.positions for a in rf)):
        return tuple(c._replace(exact=False) for c in closed)
    return through(rf, [window_reads(a.positions, a.positions, 0, 1) for a in rf], closed)


def concrete(*values) -> bool:
    """Plain whole numbers (not symbols, not the traced values of `explain`): the fields can
    be written out position by position."""
    return all(type(v) is int for v in values)


def through(rf: tuple, reads: list, closed: tuple) -> tuple[AxisRF, ...]:
    """Each axis's fields mapped through a layer that reads as `reads` says (`grid.py`),
    exactly; `closed` (the closed forms' answer) stands where that cannot be done, and gives
    the first field's centre where the first position sees nothing."""
    out = []
    for a, r, c in zip(rf, reads, closed):
        g = a.grid
        if g is None and a.exact and concrete(a.size, a.jump):
            g = Grid.uniform(a.size, a.jump, a.start)
        g = g.through(r) if g is not None else None
        out.append(c._replace(exact=False) if g is None else from_grid(g, c))
    return tuple(out) + tuple(rf[len(out):])


def from_grid(g: Grid, closed: AxisRF) -> AxisRF:
    """The three numbers of a grid's fields; the grid is kept only where they differ."""
    centre = g.centre(0)
    return AxisRF(g.largest(), g.jump, closed.start if centre is None else centre,
                  closed.positions, None if g.uniform_fields else g)
