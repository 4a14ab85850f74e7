"""Convolutions: conv, dwconv (depthwise), deconv (transposed)."""

from __future__ import annotations

from .. import formulas as f
from ..trace import worked
from ..numbers import (at_least, divides, exact_div, greater, half, is_concrete, maximum,
                       plain, product)
from .base import (BOOL, COUNT, INT, TABLE, AxisRF, Option, concrete, fail, per_axis, register,
                   require, spatial, through)
from .grid import Reads
from .window import DILATION, GROUPS, KERNEL, PAD, STRIDE, Window

OUT = Option("out", COUNT, doc="output channels")
BIAS = Option("bias", BOOL, True, "learn a bias per output channel",
              flag_sets=(("nobias", False),))
TABLE_OPTION = Option("table", TABLE, None, "which input maps feed each output map: a name "
                      "(lenet5_c3) or a word of 0s and 1s per output map")

# LeNet-5's C3 (LeCun et al. 1998, Table I): output map o reads the S2 maps marked X in
# column o. Maps 0-5 read 3 neighbours, 6-11 four neighbours, 12-14 four not all
# neighbours, 15 all six: 6·3 + 6·4 + 3·4 + 6 = 60 kernels.
_C3_READS = ((0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (4, 5, 0), (5, 0, 1),
             (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 0), (4, 5, 0, 1), (5, 0, 1, 2),
             (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5))
NAMED_TABLES = {"lenet5_c3": tuple(tuple(int(i in reads) for i in range(6))
                                   for reads in _C3_READS)}


def _kernels(table) -> int:
    """How many (input map, output map) kernels a connection table connects."""
    return sum(map(sum, table))


def check_groups(layer, c_in, c_out, groups, ctx):
    show = ctx.show_value
    require(ctx, layer, divides(groups, c_in),
            lambda: f"input channels {show(c_in)} are not divisible by groups {show(groups)}",
            "g")
    require(ctx, layer, divides(groups, c_out),
            lambda: f"output channels {show(c_out)} are not divisible by groups "
                    f"{show(groups)}", "g")


@register
class Conv(Window):
    name = "conv"
    aliases = ("conv2d", "conv1d", "conv3d")
    summary = "convolution (PyTorch ConvNd)"
    positional = (OUT,)
    options = (KERNEL, STRIDE, PAD, DILATION, GROUPS, BIAS, TABLE_OPTION)
    width_option = "out"

    def channels(self, layer, x):
        return layer.opts["out"], layer.opts["g"]

    def table(self, layer, x) -> tuple | None:
        """The connection table, (OUT rows of C 0/1 digits), checked against the channels;
        None for a full convolution."""
        table = layer.opts.get("table")
        if table is None:
            return None
        c_out, groups = self.channels(layer, x)
        if groups != 1:
            raise fail(layer, "a connection table chooses the input maps itself: leave out "
                              "'g'", "table")
        if not (is_concrete(x[0]) and is_concrete(c_out)):
            raise fail(layer, "a connection table needs the channels as numbers, not "
                              "symbols", "table")
        c_in, c_out = plain(x[0]), plain(c_out)  # explain's traced values, as ints
        if len(table) != c_out or any(len(row) != c_in for row in table):
            digits = "/".join(map(str, sorted({len(row) for row in table})))
            raise fail(layer, f"the connection table has {len(table)} rows (output maps) of "
                              f"{digits} digits (input maps), but the layer maps {c_in} input "
                              f"maps to {c_out}", "table")
        if not all(any(row) for row in table):
            raise fail(layer, "every output map of a connection table needs an input map",
                       "table")
        return table

    def output_shape(self, layer, x, ctx):
        c_out, groups = self.channels(layer, x)
        check_groups(layer, x[0], c_out, groups, ctx)
        self.table(layer, x)
        return (c_out,) + self.output_sizes(layer, x, ctx)

    def params(self, layer, x):
        c_out, groups = self.channels(layer, x)
        table = self.table(layer, x)
        if table is not None:
            return f.table_conv_params(_kernels(table), self.kernel_volume(layer, x),
                                       c_out, layer.opts["bias"])
        return f.conv_params(x[0], c_out, self.kernel_volume(layer, x), groups,
                             layer.opts["bias"])

    def biases(self, layer, x):
        return self.channels(layer, x)[0] if layer.opts["bias"] else 0

    def weights(self, layer, x):
        c_out, groups = self.channels(layer, x)
        table = self.table(layer, x)
        if table is not None:
            return f.table_conv_params(_kernels(table), self.kernel_volume(layer, x),
                                       c_out, False)
        return f.conv_params(x[0], c_out, self.kernel_volume(layer, x), groups, False)

    def macs(self, layer, x, y):
        c_out, groups = self.channels(layer, x)
        table = self.table(layer, x)
        if table is not None:
            return f.table_conv_macs(_kernels(table), self.kernel_volume(layer, x),
                                     product(y[1:]))
        return f.conv_macs(x[0], c_out, self.kernel_volume(layer, x), product(y[1:]), groups)

    def connections(self, layer, x, y):
        # each output element reads C/g kernels of prod(k) taps (padding counted, as the
        # MACs); with a table, the kernels its output map is connected to
        c_out, groups = self.channels(layer, x)
        table = self.table(layer, x)
        volume = self.kernel_volume(layer, x)
        if table is not None:
            return sum(f.connections(sum(row) * volume, product(y[1:]), layer.opts["bias"])
                       for row in table)
        return f.connections(volume * exact_div(x[0], groups), product(y),
                             layer.opts["bias"])

    def tensors(self, layer, x):
        c_out, groups = self.channels(layer, x)
        kernel = tuple(per_axis(layer, "k", len(x) - 1))
        table = self.table(layer, x)
        # with a table, only the connected kernels, output map by output map and, within
        # one, input map by input map (C3: 60x5x5)
        found = {"weight": ((_kernels(table),) if table is not None
                            else (c_out, x[0] // groups)) + kernel}
        if layer.opts["bias"]:
            found["bias"] = (c_out,)
        return found

    def forward(self, layer, x, arrays, count=None):
        from .. import ops

        axes = self.axes(layer, x.shape[1:])
        how = ([a.s for a in axes], [(a.left, a.right) for a in axes], [a.d for a in axes])
        table = self.table(layer, x.shape[1:])
        if table is None:
            return ops.conv(x, arrays["weight"], arrays.get("bias"), *how,
                            self.channels(layer, x.shape[1:])[1], count)
        return ops.table_conv(x, arrays["weight"], arrays.get("bias"), table, *how, count)

    def workspace(self, layer, x, y, batch, itemsize):
        from .. import ops

        axes = self.axes(layer, x)
        return ops.conv_workspace(batch, x[0], [a.k for a in axes], x[1:], [a.s for a in axes],
                                  [(a.left, a.right) for a in axes], [a.d for a in axes],
                                  itemsize)


@register
class DepthwiseConv(Conv):
    name = "dwconv"
    aliases = ()
    summary = "depthwise convolution: conv with g = C and OUT = C·mult"
    positional = ()
    options = (KERNEL, STRIDE, PAD, DILATION,
               Option("mult", COUNT, 1, "channel multiplier", aliases=("multiplier",)), BIAS)
    width_option = None  # as many as its input

    def channels(self, layer, x):
        return x[0] * layer.opts["mult"], x[0]


@register
class Deconv(Window):
    name = "deconv"
    aliases = ("convtranspose", "convtranspose2d", "convtranspose1d", "convtranspose3d")
    summary = "transposed convolution (PyTorch ConvTransposeNd)"
    positional = (OUT,)
    width_option = "out"
    options = (KERNEL, STRIDE,
               Option("p", INT, 0, "padding removed per side", fused=True,
                      aliases=("pad", "padding")),
               Option("op", INT, 0, "extra output size on one side (output_padding)",
                      fused=True, aliases=("output_padding",)),
               DILATION, GROUPS, BIAS)

    def output_shape(self, layer, x, ctx):
        dims = spatial(layer, x, self)
        ndim = len(dims)
        ks, ss, ps, ops, ds = (per_axis(layer, o, ndim) for o in ("k", "s", "p", "op", "d"))
        check_groups(layer, x[0], layer.opts["out"], layer.opts["g"], ctx)
        show = ctx.show_value
        sizes = []
        for n, k, s, p, op, d in zip(dims, ks, ss, ps, ops, ds):
            largest = maximum(s, d)
            require(ctx, layer, greater(largest, op),
                    lambda: f"output padding {show(op)} must be smaller than the stride or the "
                            f"dilation (max(s, d) = {show(largest)})", "op")
            size = f.deconv_out(n, k, s, p, op, d)
            require(ctx, layer, at_least(size, 1),
                    lambda: f"output size ({worked(f.deconv_out, n, k, s, p, op, d)[0]} = "
                            f"{show(size)}) is below 1")
            sizes.append(size)
        return (layer.opts["out"],) + tuple(sizes)

    def params(self, layer, x):
        return f.deconv_params(x[0], layer.opts["out"], self.kernel_volume(layer, x),
                               layer.opts["g"], layer.opts["bias"])

    def biases(self, layer, x):
        return layer.opts["out"] if layer.opts["bias"] else 0

    def weights(self, layer, x):
        return f.deconv_params(x[0], layer.opts["out"], self.kernel_volume(layer, x),
                               layer.opts["g"], False)

    def padding(self, layer, x):
        # PyTorch's `padding` of a transposed convolution: removed from each side of the
        # full output (output_padding, added after, is not part of it)
        return tuple((p, p) for p in per_axis(layer, "p", len(spatial(layer, x, self))))

    def macs(self, layer, x, y):
        return f.deconv_macs(x[0], layer.opts["out"], self.kernel_volume(layer, x),
                             product(x[1:]), layer.opts["g"])

    def connections(self, layer, x, y):
        # each output unit reads, from C/g input maps, the taps that meet at its position:
        # summed over the positions, the (input, tap) pairs that land in the output
        ndim = len(x) - 1
        k, s, p, d = (per_axis(layer, o, ndim) for o in ("k", "s", "p", "d"))
        landed = product(f.deconv_landings(n, *axis) for n, *axis in
                         zip(x[1:], k, s, p, d, y[1:]))
        inputs = exact_div(x[0], layer.opts["g"]) * landed * layer.opts["out"]
        return inputs + (product(y) if layer.opts["bias"] else 0)

    def tensors(self, layer, x):
        kernel = tuple(per_axis(layer, "k", len(x) - 1))
        found = {"weight": (x[0], layer.opts["out"] // layer.opts["g"]) + kernel}
        if layer.opts["bias"]:
            found["bias"] = (layer.opts["out"],)
        return found

    def forward(self, layer, x, arrays, count=None):
        from .. import ops

        ndim = x.ndim - 2
        s, p, op, d = (per_axis(layer, o, ndim) for o in ("s", "p", "op", "d"))
        return ops.deconv(x, arrays["weight"], arrays.get("bias"), s, p, op, d,
                          layer.opts["g"], count)

    def workspace(self, layer, x, y, batch, itemsize):
        from .. import ops

        k, s, op, d = (per_axis(layer, o, len(x) - 1) for o in ("k", "s", "op", "d"))
        return ops.deconv_workspace(batch, x[0], y[0], k, x[1:], s, op, d, itemsize) + \
            batch * product(y) * itemsize

    def receptive_field(self, layer, x, rf, ctx):
        # The grid becomes s times finer, so the jump divides by s; output o reads input i
        # through tap t where o = i·s − p + t·d.
        ndim = len(x) - 1
        ks, ss, ps, ds = (per_axis(layer, o, ndim) for o in ("k", "s", "p", "d"))
        out = []
        for a, k, s, p, d in zip(rf, ks, ss, ps, ds):
            out.append(AxisRF(f.deconv_rf_size(a.size, a.jump, k, s, d), exact_div(a.jump, s),
                              a.start + exact_div(p - half(d * (k - 1)), s) * a.jump))
        if not concrete(*ks, *ss, *ps, *ds):
            return tuple(out) + tuple(rf[len(out):])
        return through(rf, self.reads(layer, x), out)  # fields differ from one output to the next

    def reads(self, layer, x):
        ndim = len(x) - 1
        return [Reads(_deconv_reads(k, s, p, d), s, 1) for k, s, p, d in
                zip(*(per_axis(layer, o, ndim) for o in ("k", "s", "p", "d")))]


def _deconv_reads(k, s, p, d):
    return lambda o: [(o + p - t * d) // s for t in reversed(range(k))
                      if (o + p - t * d) % s == 0]
