"""Layers that keep the shape: normalisation, activations, dropout."""

from __future__ import annotations

from fractions import Fraction

from ..numbers import at_least, greater, is_concrete, plain, product, show
from .base import COUNT, FLAG, RATE, LayerKind, Option, register, require


class Pointwise(LayerKind):
    """A layer that transforms each value on its own (or, for lrn and softmax, across the
    channels at one position): the receptive-field probe of `verify` runs it as the
    identity, since it moves nothing in space."""

    def probe(self, layer, x, arrays):
        return x


@register
class BatchNorm(Pointwise):
    name = "bn"
    aliases = ("batchnorm", "batchnorm1d", "batchnorm2d", "batchnorm3d")
    summary = "batch normalisation: scale and shift per channel (running mean, var as buffers)"
    fills = {"weight": 1.0, "bias": 0.0, "running_mean": 0.0, "running_var": 1.0}  # PyTorch's
    buffer_names = ("running_mean", "running_var")
    overwrites = True

    def params(self, layer, x):
        return 2 * x[0]

    def buffers(self, layer, x):
        return 2 * x[0]

    def weights(self, layer, x):
        return x[0]  # the scale, gamma (PyTorch's `weight`)

    def biases(self, layer, x):
        return x[0]  # the shift, beta (PyTorch's `bias`)

    def tensors(self, layer, x):
        return {"weight": (x[0],), "bias": (x[0],), "running_mean": (x[0],),
                "running_var": (x[0],)}

    def forward(self, layer, x, arrays, count=None, inplace=False):
        from .. import ops

        scale = arrays["weight"] / (arrays["running_var"] + 1e-5) ** 0.5  # PyTorch's eps
        shift = arrays["bias"] - arrays["running_mean"] * scale  # two passes over x, not four
        return ops.channel_affine(x, scale, shift, inplace)


ACTIVATIONS = {
    "relu": "max(0, x)", "relu6": "min(max(0, x), 6)", "elu": "exponential linear unit",
    "selu": "scaled ELU", "gelu": "Gaussian error linear unit", "sigmoid": "1 / (1 + e^-x)",
    "tanh": "hyperbolic tangent", "silu": "x·sigmoid(x) (swish)", "hardswish": "MobileNetV3",
    "hardsigmoid": "piecewise-linear sigmoid", "mish": "x·tanh(softplus(x))",
    "softmax": "normalised exponentials over the channels",
}


def _activation(name: str, what: str) -> type[LayerKind]:
    def forward(self, layer, x, arrays, count=None, inplace=False):
        from .. import ops

        return ops.activation(self.name, x, inplace=inplace)

    members = {"name": name, "summary": f"activation: {what}", "forward": forward,
               "overwrites": True}
    if name == "gelu":  # erf value by value: an array of Python floats, about 40 bytes each
        members["workspace"] = lambda self, layer, x, y, batch, itemsize: \
            batch * product(y) * 40
    return type(name.capitalize(), (Pointwise,), members)


for _name, _what in ACTIVATIONS.items():
    register(_activation(_name, _what))


@register
class LeakyReLU(Pointwise):
    name = "leakyrelu"
    summary = "activation: x if x > 0 else slope·x"
    positional = (Option("slope", RATE, Fraction(1, 100), "negative slope"),)

    def forward(self, layer, x, arrays, count=None):
        from .. import ops

        return ops.activation("leakyrelu", x, float(layer.opts["slope"]))


@register
class PReLU(Pointwise):
    name = "prelu"
    summary = "activation with a learned slope (one, or one per channel)"
    options = (Option("per_channel", FLAG, False, "one slope per channel"),)
    fills = {"weight": 0.25}  # PyTorch's initial slope

    def params(self, layer, x):
        return x[0] if layer.opts["per_channel"] else 1

    def tensors(self, layer, x):
        return {"weight": (x[0] if layer.opts["per_channel"] else 1,)}

    def forward(self, layer, x, arrays, count=None):
        a = arrays["weight"].reshape((1, -1) + (1,) * (x.ndim - 2))
        return x.clip(min=0) + a * x.clip(max=0)


@register
class Dropout(Pointwise):
    name = "dropout"
    summary = "zeroes elements with probability RATE while training"
    positional = (Option("rate", RATE, Fraction(1, 2), "drop probability"),)

    def output_shape(self, layer, x, ctx):
        rate = layer.opts["rate"]
        shown = f"{float(plain(rate)):g}" if is_concrete(rate) else show(rate)
        for pred in (at_least(rate, 0), greater(1, rate)):
            require(ctx, layer, pred, f"dropout rate {shown} is not in [0, 1)", "rate")
        return x


@register
class LocalResponseNorm(Pointwise):
    name = "lrn"
    summary = "local response normalisation across SIZE neighbouring channels (AlexNet)"
    positional = (Option("size", COUNT, 5, "channels in the window"),)

    def workspace(self, layer, x, y, batch, itemsize):
        return 4 * batch * product(y) * itemsize  # see forward

    def forward(self, layer, x, arrays, count=None):
        """PyTorch's defaults: x / (1 + 1e-4 · mean of x² over `size` channels)^0.75, the
        window from size//2 before to (size - 1)//2 after, zeros beyond the edges."""
        import numpy as np

        size = layer.opts["size"]
        # x², padded, the running sum and the mean: the memory guard counts four such arrays
        sq = np.pad(x * x, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (x.ndim - 2))
        mean = sum(sq[:, i:i + x.shape[1]] for i in range(size)) / size
        return x / (1 + 1e-4 * mean) ** 0.75
