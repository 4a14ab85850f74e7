"""Layers that resize or rearrange: upsample, insert (zeros), pad, shuffle."""

from __future__ import annotations

from .. import formulas as f
from ..numbers import divides, exact_div
from .base import (AXES, COUNT, INT, AxisRF, LayerKind, Option, concrete, per_axis, register,
                   require, spatial, through)
from .grid import Reads


@register
class Upsample(LayerKind):
    name = "upsample"
    summary = "nearest-neighbour upsampling by a whole factor per axis"
    positional = (Option("factor", AXES, 2, "scale factor"),)

    def output_shape(self, layer, x, ctx):
        dims = spatial(layer, x, self)
        return (x[0],) + tuple(n * s for n, s in zip(dims, per_axis(layer, "factor", len(dims))))

    def forward(self, layer, x, arrays, count=None):
        for axis, s in enumerate(per_axis(layer, "factor", x.ndim - 2), start=2):
            x = x.repeat(s, axis=axis)  # nearest: each pixel s times
        return x

    def receptive_field(self, layer, x, rf, ctx):
        # output o repeats input o // s: the same field s times over, the jump s times finer
        factors = per_axis(layer, "factor", len(x) - 1)
        out = tuple(AxisRF(a.size, exact_div(a.jump, s), a.start) for a, s in zip(rf, factors))
        if not concrete(*factors):
            return out + tuple(rf[len(out):])
        return through(rf, self.reads(layer, x), out)

    def reads(self, layer, x):
        return [Reads(lambda o, s=s: (o // s,), s, 1)
                for s in per_axis(layer, "factor", len(x) - 1)]


@register
class ZeroInsert(LayerKind):
    """Transposed convolution as the course explains it: s − 1 zeros between neighbouring
    pixels, then padding and an ordinary convolution (`insert 2 | pad 2 | conv 1 k3`)."""

    name = "insert"
    aliases = ("zeroinsert",)
    summary = "insert s - 1 zeros between neighbouring pixels of each spatial axis"
    positional = (Option("s", AXES, 2, "stride: an n-long axis becomes (n - 1)s + 1"),)

    def output_shape(self, layer, x, ctx):
        dims = spatial(layer, x, self)
        return (x[0],) + tuple(f.zero_insert_out(n, s)
                               for n, s in zip(dims, per_axis(layer, "s", len(dims))))

    def forward(self, layer, x, arrays, count=None):
        from .. import ops

        return ops.insert_zeros(x, per_axis(layer, "s", x.ndim - 2))

    def receptive_field(self, layer, x, rf, ctx):
        # output o is input o / s where s divides o and a zero elsewhere: the grid s times
        # finer, the real positions' fields unchanged, the zeros' fields empty
        steps = per_axis(layer, "s", len(x) - 1)
        out = tuple(AxisRF(a.size, exact_div(a.jump, s), a.start) for a, s in zip(rf, steps))
        if not concrete(*steps):
            return tuple(a._replace(exact=False) for a in out) + tuple(rf[len(out):])
        return through(rf, self.reads(layer, x), out)

    def reads(self, layer, x):
        return [Reads(lambda o, s=s: (o // s,) if o % s == 0 else (), s, 1)
                for s in per_axis(layer, "s", len(x) - 1)]


@register
class Pad(LayerKind):
    name = "pad"
    summary = "zero padding on both sides of each spatial axis"
    positional = (Option("p", INT, doc="padding per side (one value, or one per axis)"),)

    def output_shape(self, layer, x, ctx):
        dims = spatial(layer, x, self)
        pads = per_axis(layer, "p", len(dims))
        return (x[0],) + tuple(n + 2 * p for n, p in zip(dims, pads))

    def padding(self, layer, x):
        return tuple((p, p) for p in per_axis(layer, "p", len(x) - 1))

    def forward(self, layer, x, arrays, count=None):
        from .. import ops

        return ops.pad(x, [(p, p) for p in per_axis(layer, "p", x.ndim - 2)])

    def receptive_field(self, layer, x, rf, ctx):
        pads = per_axis(layer, "p", len(x) - 1)
        out = tuple(AxisRF(a.size, a.jump, a.start - p * a.jump) for a, p in zip(rf, pads))
        if not any(a.grid is not None for a in rf):
            return out + tuple(rf[len(out):])
        return through(rf, self.reads(layer, x), out)

    def reads(self, layer, x):
        return [Reads(lambda i, p=p: (i - p,), 1, 1) for p in per_axis(layer, "p", len(x) - 1)]


@register
class ChannelShuffle(LayerKind):
    name = "shuffle"
    aliases = ("channelshuffle",)
    summary = "channel shuffle among GROUPS groups (ShuffleNet)"
    positional = (Option("groups", COUNT, doc="groups"),)

    def output_shape(self, layer, x, ctx):
        g = layer.opts["groups"]
        require(ctx, layer, divides(g, x[0]),
                lambda: f"channels {ctx.show_value(x[0])} are not divisible by "
                        f"{ctx.show_value(g)} shuffle groups", "groups")
        return x

    def forward(self, layer, x, arrays, count=None):
        g = layer.opts["groups"]
        n, c = x.shape[:2]
        return x.reshape((n, g, c // g) + x.shape[2:]).swapaxes(1, 2).reshape(x.shape)
