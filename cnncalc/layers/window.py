"""What convolution and pooling share: a kernel sliding with stride, padding and dilation."""

from __future__ import annotations

from functools import lru_cache

from .. import formulas as f
from ..numbers import at_least, decide, decimal_text, equal, is_concrete, product, show
from ..trace import hidden, worked
from .base import (AXES, COUNT, PADDING, AxisRF, Context, LayerKind, Option, axis_names,
                   per_axis, require, spatial, through, concrete)
from .grid import window_reads
from ..ir import Layer

KERNEL = Option("k", AXES, doc="kernel size", fused=True, aliases=("kernel", "kernel_size"))
STRIDE = Option("s", AXES, 1, "stride", fused=True, aliases=("stride",))
PAD = Option("p", PADDING, 0, "zero padding per side, or same / valid / full", fused=True,
             aliases=("pad", "padding"))
DILATION = Option("d", AXES, 1, "dilation", fused=True, aliases=("dilation",))
GROUPS = Option("g", COUNT, 1, "groups", fused=True, aliases=("groups",))


class Axis:
    """One spatial axis of a window: input n, kernel k, stride s, padding left/right, dilation;
    `same` when the padding was chosen to give ceil(n/s) outputs."""

    __slots__ = ("n", "k", "s", "left", "right", "d", "same")

    def __init__(self, n, k, s, left, right, d, same=False):
        self.n, self.k, self.s, self.left, self.right, self.d = n, k, s, left, right, d
        self.same = same


class Window(LayerKind):
    """A kernel sliding over the spatial axes (conv, pooling)."""

    ceil_option = False  # pooling may round up

    def axes(self, layer: Layer, x) -> list[Axis]:
        dims = spatial(layer, x, self)
        ndim = len(dims)
        ks, ss, ds = (per_axis(layer, o, ndim) for o in ("k", "s", "d"))
        pad = layer.opts["p"]
        out = []
        for n, k, s, d, p in zip(dims, ks, ss, ds, self._pads(layer, pad, ndim)):
            if p == "same":
                left, right = f.same_padding(n, k, s, d)
            elif p == "valid":
                left = right = 0
            elif p == "full":
                left = right = d * (k - 1)
            else:
                left = right = p
            out.append(Axis(n, k, s, left, right, d, p == "same"))
        return out

    def padding(self, layer: Layer, x) -> tuple:
        p = layer.opts["p"]
        if type(p) is int:  # the common case, without resolving the axes again
            return ((p, p),) * (len(x) - 1)
        return tuple((a.left, a.right) for a in self.axes(layer, x))

    def _pads(self, layer: Layer, pad, ndim):
        if isinstance(pad, str):
            return (pad,) * ndim
        return per_axis(layer, "p", ndim)

    def output_sizes(self, layer: Layer, x, ctx: Context) -> tuple:
        sizes, unused = [], []
        names = axis_names(len(x) - 1)
        ceil = self.ceil_option and layer.opts.get("ceil")
        for axis, name in zip(self.axes(layer, x), names):
            n, k, s, d = axis.n, axis.k, axis.s, axis.d
            pad_total = axis.left + axis.right
            span = f.dilated(k, d)
            if ceil:
                size = f.pool_out_ceil(n, k, s, axis.left, pad_total, d)
            elif axis.same:
                size = f.same_out(n, s)  # the padding was chosen to fit: no check needed
            else:
                size = f.conv_out(n, k, s, pad_total, d)
            if not axis.same:
                # ceil mode, as PyTorch, lets a window overhang the padded input as long as
                # one output remains (`maxpool k2 s2 ceil` on a 1x1 input gives 1x1)
                fits = at_least(n + pad_total, span)
                require(ctx, layer, at_least(size, 1) if ceil else fits,
                        lambda: self.too_large_message(axis, name), "k")
            self.check_padding(layer, axis, ctx)
            if not ceil:
                left_over = f.conv_leftover(n, k, s, pad_total, d)
                if decide(equal(left_over, 0)) is not True:
                    if is_concrete(left_over):  # the same rows go unused at every size
                        unused.append((name, axis, left_over))
                    if not is_concrete(n + pad_total):
                        ctx.tiles_only_when(n + pad_total - span, s, layer.span)
            sizes.append(size)
        if unused:
            key = tuple((name, a.n, a.k, a.s, a.left, a.right, a.d, left_over)
                        for name, a, left_over in unused)
            ctx.warn("tiling", lambda: _tiling_text(key), layer.span)
        return tuple(sizes)

    @staticmethod
    def too_large_message(axis: Axis, name: str) -> str:
        k, d = axis.k, axis.d
        pad_total = axis.left + axis.right
        span = f.dilated(k, d)
        what = f"kernel {k}" if d == 1 else f"dilated kernel {span} (k={k}, d={d})"
        return (f"{what} is larger than the padded input {axis.n + pad_total} ({name}: "
                f"{axis.n} + padding {pad_total})")

    def check_padding(self, layer: Layer, axis: Axis, ctx: Context) -> None:
        pass

    @staticmethod
    def tiling_message(unused) -> str:
        """`(7 − 3)/3 + 1 = 2.33, so the last 1 row and the last 1 column ... are never used`,
        the sum worked by the output-size formula itself."""
        sums, parts = [], []
        for name, a, left_over in unused:
            pad = hidden(a.left)
            pads = pad + pad if a.left == a.right else pad + hidden(a.right)  # 2·1 or 0 + 1
            text, exact = worked(f.conv_out, a.n, a.k, a.s, pads, hidden(a.d))
            value = decimal_text(exact, ".2f") if is_concrete(exact) else show(exact)
            sums.append(f"{text} = {value}")
            parts.append(f"the last {left_over} {name if left_over > 1 else name[:-1]}")
        verb = "are" if len(parts) > 1 or unused[0][2] > 1 else "is"
        return (f"stride does not tile the input: {'; '.join(dict.fromkeys(sums))}, so "
                f"{' and '.join(parts)} of the padded input {verb} never used")

    def receptive_field(self, layer, x, rf, ctx):
        axes = self.axes(layer, x)
        out = []
        for axis_rf, a in zip(rf, axes):
            out.append(AxisRF(f.rf_size(axis_rf.size, axis_rf.jump, a.k, a.d),
                              axis_rf.jump * a.s,
                              f.rf_start(axis_rf.start, axis_rf.jump, a.k, a.left, a.d)))
        if not any(a.grid is not None for a in rf):  # the closed forms are exact
            return tuple(out) + tuple(rf[len(out):])
        if not concrete(*(v for a in axes for v in (a.k, a.s, a.left, a.d))):
            return tuple(o._replace(exact=False) for o in out) + tuple(rf[len(out):])
        return through(rf, self.reads(layer, x), out)

    def reads(self, layer, x):
        return [window_reads(a.k, a.s, a.left, a.d) for a in self.axes(layer, x)]

    @staticmethod
    def kernel_volume(layer: Layer, x) -> object:
        return product(per_axis(layer, "k", len(x) - 1))


@lru_cache(maxsize=256)
def _tiling_text(key: tuple) -> str:
    """The tiling warning's text, worked once for each set of sizes (a repeat or a def used
    in every stage warns with the same sums thousands of times)."""
    return Window.tiling_message([(name, Axis(n, k, s, left, right, d), left_over)
                                  for name, n, k, s, left, right, d, left_over in key])
