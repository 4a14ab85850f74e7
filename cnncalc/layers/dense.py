"""Layers that see the whole input at once, or change what an axis means: fc, flatten, embed."""

from __future__ import annotations

from .. import formulas as f
from ..numbers import product
from .base import COUNT, AxisRF, LayerKind, Option, combined, fail, fmt_shape, register
from .conv import BIAS


@register
class Linear(LayerKind):
    name = "fc"
    aliases = ("linear", "dense")
    summary = "fully connected (PyTorch Linear); a CxHxW input is flattened first"
    positional = (Option("out", COUNT, doc="output features"),)
    width_option = "out"
    options = (BIAS,)

    def output_shape(self, layer, x, ctx):
        return (layer.opts["out"],)

    def params(self, layer, x):
        return f.linear_params(product(x), layer.opts["out"], layer.opts["bias"])

    def biases(self, layer, x):
        return layer.opts["out"] if layer.opts["bias"] else 0

    def weights(self, layer, x):
        return f.linear_params(product(x), layer.opts["out"], False)

    def macs(self, layer, x, y):
        return product(x) * layer.opts["out"]

    def connections(self, layer, x, y):
        return f.connections(product(x), layer.opts["out"], layer.opts["bias"])

    def receptive_field(self, layer, x, rf, ctx):
        return combined(rf)  # every position the input still has, flattened or not

    def note(self, layer, x, y, ctx):
        if len(x) > 1:
            return f"flattens {ctx.show(x)} → {product(x)}"
        return None

    def tensors(self, layer, x):
        found = {"weight": (layer.opts["out"], product(x))}
        if layer.opts["bias"]:
            found["bias"] = (layer.opts["out"],)
        return found

    def forward(self, layer, x, arrays, count=None):
        flat = x.reshape(x.shape[0], -1)
        y = flat @ arrays["weight"].T
        if count is not None:
            count.append(flat.shape[0] * flat.shape[1] * arrays["weight"].shape[0])
        return y + arrays["bias"] if "bias" in arrays else y


@register
class Flatten(LayerKind):
    name = "flatten"
    summary = "C x H x W to one axis of C·H·W"

    def output_shape(self, layer, x, ctx):
        return (product(x),)

    def forward(self, layer, x, arrays, count=None):
        return x.reshape(x.shape[0], -1)  # the field is kept: the default rule


@register
class Embedding(LayerKind):
    name = "embed"
    aliases = ("embedding",)
    summary = "token ids (input L) to DIM x L vectors (PyTorch Embedding, channels first)"
    positional = (Option("vocab", COUNT, doc="vocabulary size"),
                  Option("dim", COUNT, doc="embedding size"))
    width_option = "dim"

    def output_shape(self, layer, x, ctx):
        if len(x) != 1:
            raise fail(layer, f"embed takes a sequence of token ids (input L, e.g. input 50), "
                              f"not {fmt_shape(x)}")
        return (layer.opts["dim"], x[0])

    def params(self, layer, x):
        return layer.opts["vocab"] * layer.opts["dim"]

    def tensors(self, layer, x):
        return {"weight": (layer.opts["vocab"], layer.opts["dim"])}

    def forward(self, layer, x, arrays, count=None):
        from ..errors import CnnCalcError

        ids = x.astype("int64")
        if (ids != x).any() or ids.min() < 0 or ids.max() >= layer.opts["vocab"]:
            raise CnnCalcError(f"embed: token ids must be whole numbers in 0..."
                               f"{layer.opts['vocab'] - 1}", layer.span)
        return arrays["weight"][ids].swapaxes(1, 2)  # (N, L, DIM) -> channels first

    def probe(self, layer, x, arrays):
        # x marks the positions whose token changed: every embedding value there changes
        return x[:, None, :].repeat(layer.opts["dim"], axis=1)

    def receptive_field(self, layer, x, rf, ctx):
        # A new axis starts here: each position sees its own token.
        return (AxisRF(1, 1, 0, x[0]),)


@register
class EuclideanRBF(LayerKind):
    """LeNet-5's output layer (LeCun et al. 1998, §II-B): output i = Σ_j (x_j − w_ij)², the
    squared distance of the input from a prototype set by hand (the paper draws them as
    7x12 bitmaps of the characters) and not learned: the prototypes are kept arrays, buffers,
    as batch norm's statistics are."""

    name = "rbf"
    summary = "Euclidean RBF units (LeNet-5's output): Σ (x − w)² with fixed weights"
    positional = (Option("out", COUNT, doc="output units"),)
    width_option = "out"
    buffer_names = ("weight",)

    def output_shape(self, layer, x, ctx):
        return (layer.opts["out"],)

    def buffers(self, layer, x):
        return product(x) * layer.opts["out"]  # LeNet-5: 84 x 10 = 840

    def macs(self, layer, x, y):
        # one multiply-accumulate per weight: the difference squared and added
        return product(x) * layer.opts["out"]

    def connections(self, layer, x, y):
        return f.connections(product(x), layer.opts["out"], bias=False)

    def receptive_field(self, layer, x, rf, ctx):
        return combined(rf)

    def note(self, layer, x, y, ctx):
        return Linear.note(self, layer, x, y, ctx)

    def tensors(self, layer, x):
        return {"weight": (layer.opts["out"], product(x))}

    def forward(self, layer, x, arrays, count=None):
        flat = x.reshape(x.shape[0], -1)
        w = arrays["weight"]
        # Σ (x − w)² = |x|² − 2 x·w + |w|²: one matmul, no (N, OUT, IN) temporary
        y = (flat * flat).sum(axis=1, keepdims=True) - 2 * (flat @ w.T) + (w * w).sum(axis=1)
        if count is not None:
            count.append(flat.shape[0] * flat.shape[1] * w.shape[0])
        return y

    def probe(self, layer, x, arrays):
        # a change at any input moves every distance: the probe's ones reach all outputs
        flat = x.reshape(x.shape[0], -1)
        return flat @ arrays["weight"].T
