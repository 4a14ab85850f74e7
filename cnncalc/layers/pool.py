"""Pooling: maxpool and avgpool, sliding, global or adaptive."""

from __future__ import annotations

from fractions import Fraction

from ..numbers import ceil_div, is_concrete
from .base import AXES, FLAG, AxisRF, Option, fail, per_axis, register, spatial, whole_input
from .window import DILATION, KERNEL, PAD, STRIDE, Window

POOL_KERNEL = Option("k", AXES, None, "window size (not with global / out=)", fused=True,
                     aliases=("kernel", "kernel_size"))
POOL_STRIDE = Option("s", AXES, None, "stride (default: the kernel size)", fused=True,
                     aliases=("stride",))


class Pool(Window):
    positional = ()
    options = (POOL_KERNEL, POOL_STRIDE, PAD, DILATION,
               Option("ceil", FLAG, False, "round the output size up (ceil_mode)"),
               Option("global", FLAG, False, "pool each channel to a single value"),
               Option("out", AXES, None, "adaptive pooling to this output size"))
    ceil_option = True

    def mode(self, layer):
        if layer.opts["global"]:
            return "global"
        if layer.opts["out"] is not None:
            return "adaptive"
        return "window"

    def axes(self, layer, x):
        if layer.opts["k"] is None:
            raise fail(layer, f"{self.name} needs a kernel size (k2, k=3), 'global' or out=SIZE")
        if layer.opts["s"] is None:  # stride defaults to the kernel, as in PyTorch
            opts = dict(layer.opts, s=layer.opts["k"])
            spans = dict(layer.spans)
            if "k" in spans:
                spans["s"] = spans["k"]
            layer = layer._replace(opts=opts, spans=spans)
        return super().axes(layer, x)

    def check_padding(self, layer, axis):
        # PyTorch's rule: padding at most half the kernel itself (k // 2), dilated or not
        if axis.left > axis.k // 2:
            raise fail(layer, f"pooling padding {axis.left} is more than half the kernel "
                              f"{axis.k} (at most {axis.k // 2})", "p")

    def output_shape(self, layer, x, ctx):
        dims = spatial(layer, x, self)
        mode = self.mode(layer)
        if mode == "global":
            return (x[0],) + (1,) * len(dims)
        if mode == "adaptive":
            return (x[0],) + tuple(per_axis(layer, "out", len(dims)))
        return (x[0],) + self.output_sizes(layer, x, ctx)

    def receptive_field(self, layer, x, rf, ctx):
        mode = self.mode(layer)
        if mode == "global":
            return whole_input(ctx)
        if mode == "window":
            return super().receptive_field(layer, x, rf, ctx)
        out = []
        for a, n, o in zip(rf, x[1:], per_axis(layer, "out", len(x) - 1)):
            if not (is_concrete(n) and is_concrete(o)):
                return rf
            k = largest_adaptive_window(n, o)
            first = ceil_div(n, o)  # the first window spans [0, ceil(n/o))
            out.append(AxisRF(a.size + (k - 1) * a.jump, a.jump * Fraction(n, o),
                              a.start + Fraction(first - 1, 2) * a.jump))
        return tuple(out) + tuple(rf[len(out):])


def largest_adaptive_window(n: int, o: int) -> int:
    """PyTorch's adaptive window i covers [floor(i·n/o), ceil((i+1)·n/o))."""
    if n % o == 0:
        return n // o
    if o > 100_000:
        return ceil_div(n, o) + 1
    return max(ceil_div((i + 1) * n, o) - (i * n) // o for i in range(o))


@register
class MaxPool(Pool):
    name = "maxpool"
    aliases = ("maxpool2d", "maxpool1d", "maxpool3d")
    summary = "max pooling (window, global, or adaptive with out=)"


@register
class AvgPool(Pool):
    name = "avgpool"
    aliases = ("avgpool2d", "avgpool1d", "avgpool3d")
    summary = "average pooling (window, global, or adaptive with out=)"
