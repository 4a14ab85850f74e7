"""Pooling: maxpool and avgpool, sliding, global or adaptive; LeCun's trainable subsample."""

from __future__ import annotations

from math import gcd

from ..numbers import (at_least, ceil_div, divides, equal, exact_div, floor_div, half,
                       is_concrete, mod, plain, product, where)
from .base import (AXES, BOOL, FLAG, AxisRF, Option, axis_names, combined,
                   concrete, fail, per_axis, register, require, spatial, through)
from .grid import Reads, window_reads
from .. import formulas as f
from .window import DILATION, KERNEL, PAD, Window

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
        chosen = [name for name, on in (("global", layer.opts["global"]),
                                        ("out", layer.opts["out"] is not None)) if on]
        if len(chosen) == 2:
            raise fail(layer, "'global' and out= both choose the output size: give one", "out")
        if chosen:  # the windows follow from the output size: a window option would be lost
            how = "global" if chosen[0] == "global" else "out="
            for name in ("k", "s", "p", "d", "ceil"):
                if name in layer.spans:
                    raise fail(layer, f"'{name}' has no effect with {how}, where the windows "
                                      f"follow from the output size: leave it out", name)
            return "global" if chosen[0] == "global" else "adaptive"
        return "window"

    def axes(self, layer, x):
        if layer.opts["k"] is None:
            raise fail(layer, f"{self.name} needs a kernel size (k2, k=3), 'global' or out=SIZE")
        return super().axes(_stride_of_kernel(layer), x)

    def padding(self, layer, x):
        return super().padding(layer, x) if self.mode(layer) == "window" else None

    def check_padding(self, layer, axis, ctx):
        # PyTorch's rule: padding at most half the kernel itself (k // 2), dilated or not
        most = floor_div(axis.k, 2)
        show = ctx.show_value
        require(ctx, layer, at_least(most, axis.left),
                lambda: f"pooling padding {show(axis.left)} is more than half the kernel "
                        f"{show(axis.k)} (at most {show(most)})", "p")

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
            return combined(rf)
        if mode == "window":
            return super().receptive_field(layer, x, rf, ctx)
        out = []
        outs = per_axis(layer, "out", len(x) - 1)
        for a, n, o in zip(rf, x[1:], outs):
            k = largest_adaptive_window(n, o)
            first = ceil_div(n, o)  # the first window spans [0, ceil(n/o))
            out.append(AxisRF(a.size + (k - 1) * a.jump, a.jump * exact_div(n, o),
                              a.start + half(first - 1) * a.jump))
        if not concrete(*x[1:], *outs) or all(
                a.grid is None and n % o == 0 for a, n, o in zip(rf, x[1:], outs)):
            return tuple(out) + tuple(rf[len(out):])  # symbolic, or even windows: exact
        return through(rf, self.reads(layer, x), out)

    def connections(self, layer, x, y):
        # each output reads its window (padding counted, as in the MACs); no bias
        mode = self.mode(layer)
        if mode == "window":
            return f.connections(self.kernel_volume(layer, x), product(y), bias=False)
        if mode == "global":
            return f.connections(product(x[1:]), x[0], bias=False)
        return x[0] * product(f.adaptive_window_sum(n, o)  # adaptive: each window its size
                              for n, o in zip(x[1:], per_axis(layer, "out", len(x) - 1)))

    def workspace(self, layer, x, y, batch, itemsize):
        mode = self.mode(layer)
        if mode == "global":
            return 0
        if mode == "adaptive":  # uneven windows: each taken out, then the results joined
            return 2 * batch * product(x) * itemsize
        # the padded input, with at most one window more on the right in ceil mode
        axes, ceil = self.axes(layer, x), layer.opts["ceil"]
        if not (ceil or any(a.left or a.right for a in axes)):
            return 0
        padded = product(a.n + a.left + a.right + (a.d * (a.k - 1) + 1 if ceil else 0)
                         for a in axes)
        return batch * x[0] * padded * itemsize

    def reads(self, layer, x):
        mode = self.mode(layer)
        if mode == "window":
            return super().reads(layer, x)
        if mode == "global":
            return [window_reads(n, n, 0, 1) for n in x[1:]]
        reads = []
        for n, o in zip(x[1:], per_axis(layer, "out", len(x) - 1)):
            g = gcd(n, o)  # the windows repeat every o/g outputs, n/g inputs further
            reads.append(Reads(lambda i, n=n, o=o: range(i * n // o, -(-(i + 1) * n // o)),
                               o // g, n // g))
        return reads


    def forward(self, layer, x, arrays, count=None):
        import numpy as np

        from .. import ops

        mode = "max" if self.name == "maxpool" else "avg"
        spatial_axes = tuple(range(2, x.ndim))
        if self.mode(layer) == "global":
            reduce = np.max if mode == "max" else np.mean
            return reduce(x, axis=spatial_axes, keepdims=True)
        if self.mode(layer) == "adaptive":
            return ops.adaptive_pool(x, mode, per_axis(layer, "out", x.ndim - 2))
        axes = self.axes(layer, x.shape[1:])
        ceil = layer.opts["ceil"]
        extra = []
        for a in axes:  # how far a ceil-mode window overhangs the padded input
            out = f.pool_out_ceil(a.n, a.k, a.s, a.left, a.left + a.right, a.d) if ceil \
                else f.conv_out(a.n, a.k, a.s, a.left + a.right, a.d)
            extra.append(max(0, (out - 1) * a.s + f.dilated(a.k, a.d) - (a.n + a.left + a.right)))
        y = ops.pool(x, mode, [a.k for a in axes], [a.s for a in axes],
                     [(a.left, a.right) for a in axes], [a.d for a in axes], extra)
        return y


def _stride_of_kernel(layer):
    """The layer with its stride the kernel size where none is written, as PyTorch's
    pooling has it (errors about the stride then point at the kernel)."""
    if layer.opts["s"] is not None:
        return layer
    spans = dict(layer.spans)
    if "k" in spans:
        spans["s"] = spans["k"]
    return layer._replace(opts=dict(layer.opts, s=layer.opts["k"]), spans=spans)


def largest_adaptive_window(n, o):
    """PyTorch's adaptive window i covers [floor(i·n/o), ceil((i+1)·n/o)). With n = q·o + r,
    window i holds q + ceil(frac(i·r/o) + r/o) inputs: q + 1, or q + 2 when some i·r mod o
    exceeds o - r. The largest i·r mod o is o - gcd(r, o), so q + 2 exactly when r > gcd(r, o),
    and n/o when r = 0."""
    if is_concrete(n) and is_concrete(o):
        q, r = divmod(plain(n), plain(o))
        if r == 0:
            return q
        return q + (2 if r > gcd(r, plain(o)) else 1)
    # a symbolic size: which case holds depends on n mod o, so the answer is a choice
    q, r = floor_div(n, o), mod(n, o)
    if not is_concrete(o):
        return where(divides(o, n), q, q + 2)  # an upper bound where o is a symbol too
    size = q + 1
    for residue in range(plain(o) - 1, 0, -1):
        if residue > gcd(residue, plain(o)):
            size = where(equal(r, residue), q + 2, size)
    return where(equal(r, 0), q, size)


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

    def output_sizes(self, layer, x, ctx):
        sizes = super().output_sizes(layer, x, ctx)
        if len(x) == 4:  # PyTorch's avg_pool3d (alone among the pools) wants each input axis
            # at least the kernel before padding: "input image smaller than kernel size"
            for axis, name in zip(self.axes(layer, x), axis_names(3)):
                require(ctx, layer, at_least(axis.n, axis.k),
                        lambda axis=axis, name=name:
                        f"kernel {ctx.show_value(axis.k)} is larger than the input "
                        f"{ctx.show_value(axis.n)} ({name}, before padding): PyTorch's 3-D "
                        f"average pool refuses that, whatever the padding", "k")
        return sizes


@register
class Subsample(Window):
    """LeCun et al. (1998)'s subsampling (S2, S4 of LeNet-5): each output is the sum of its
    window times a coefficient learned per channel, plus a bias learned per channel."""

    name = "subsample"
    summary = "LeCun's trainable subsampling: window sum x coefficient + bias, per channel"
    options = (KERNEL, POOL_STRIDE, PAD, DILATION,
               Option("bias", BOOL, True, "learn a bias per channel",
                      flag_sets=(("nobias", False),)))

    def axes(self, layer, x):
        return super().axes(_stride_of_kernel(layer), x)  # as pooling

    def check_padding(self, layer, axis, ctx):
        Pool.check_padding(self, layer, axis, ctx)  # at most half the window, as pooling

    def output_shape(self, layer, x, ctx):
        spatial(layer, x, self)
        return (x[0],) + self.output_sizes(layer, x, ctx)

    def params(self, layer, x):
        # a coefficient per channel, and a bias per channel: S2 of LeNet-5 has 6 x 2 = 12
        return x[0] * (2 if layer.opts["bias"] else 1)

    def biases(self, layer, x):
        return x[0] if layer.opts["bias"] else 0

    def macs(self, layer, x, y):
        # the window's sum is additions; one multiply by the coefficient per output
        return product(y)

    def connections(self, layer, x, y):
        return f.connections(self.kernel_volume(layer, x), product(y), layer.opts["bias"])

    def tensors(self, layer, x):
        found = {"weight": (x[0],)}
        if layer.opts["bias"]:
            found["bias"] = (x[0],)
        return found

    def forward(self, layer, x, arrays, count=None):
        from .. import ops

        axes = self.axes(layer, x.shape[1:])
        summed = ops.pool(x, "sum", [a.k for a in axes], [a.s for a in axes],
                          [(a.left, a.right) for a in axes], [a.d for a in axes], [0] * len(axes))
        per_channel = (1, -1) + (1,) * len(axes)
        y = summed * arrays["weight"].reshape(per_channel)
        if count is not None:
            count.append(y.size)
        if "bias" in arrays:
            y += arrays["bias"].reshape(per_channel)
        return y
