"""The NumPy executor: the net run forward (inference), one more pass over the same walk as
the analysis. Each layer kind allocates its tensors under PyTorch's names and layouts and
computes its `forward`; weights are keyed by the row's path, `<path>.weight`, so a PyTorch
`state_dict` saved with `numpy.savez` loads into a spec whose paths spell its module names.
"""

from __future__ import annotations

import weakref
from typing import Any

from . import ir
from .analysis import DTYPE_BYTES, _Analysis, run_analysis
from .errors import CnnCalcError
from .numbers import product
from .report import Report
from .walk import Visitor, walk

DTYPES = ("float32", "float64")
IGNORED = ("num_batches_tracked",)  # PyTorch's BatchNorm counter: no part of the function
# the memory estimate counts arrays exactly where it can (dilated_context: within 3 KB of
# what tracemalloc measures); Python's and NumPy's own objects come on top of that
SLACK_BYTES = 64 * 2 ** 10


def estimate_peak(net: ir.Net, dtype: str) -> tuple[Report, int]:
    """The net's analysis, and the bytes a run will hold at most: every tensor, and at the
    busiest layer its input, its output and what its forward holds beside them (its kind's
    `workspace`: a convolution's padded input and band of windows), with the input of every
    merge block around it kept until its merge, where the branches' outputs are alive too.
    An estimate on the side of too much; activations are freed as soon as the next layer
    has its input (`benchmarks/memory.py` compares it with what runs really hold)."""
    report, peak = run_analysis(net, dtype, _Peak)
    elem = DTYPE_BYTES[dtype]
    held = peak.bytes(net.input.shape)  # the caller's input array, alive for the whole run
    tensors = (report.totals.params + report.totals.buffers) * elem
    arrays = tensors + held + peak.busiest
    return report, arrays + arrays // 32 + SLACK_BYTES


class _Peak(_Analysis):
    def __init__(self, net, elem_bytes):
        super().__init__(net, elem_bytes)
        self.held = 0      # block inputs kept for the merges around the row
        self.busiest = 0

    def bytes(self, shape) -> int:
        return self.batch * product(shape) * self.elem_bytes

    def layer(self, layer, path, value):
        y, rf = super().layer(layer, path, value)
        x = value[0]
        if not self.symbols_in(x, y):
            live = self.bytes(x) + self.bytes(y) + \
                layer.kind.workspace(layer, x, y, self.batch, self.elem_bytes)
            self.busiest = max(self.busiest, self.held + live)
        return y, rf

    def branch_inputs(self, m, path, value):
        values = super().branch_inputs(m, path, value)
        if not self.symbols_in(value[0]):
            self.held += self.bytes(value[0])
        return values

    def join(self, m, path, value, outs):
        y, rf = super().join(m, path, value, outs)
        if not self.symbols_in(value[0]):
            self.held -= self.bytes(value[0])
        shapes = [value[0], y] + [o for o, _ in outs]
        if not self.symbols_in(*shapes):
            self.busiest = max(self.busiest, self.held + sum(self.bytes(s) for s in shapes))
        return y, rf

    @staticmethod
    def symbols_in(*shapes) -> bool:
        return not all(type(d) is int for s in shapes for d in s)


def run_net(net: ir.Net, x=None, *, seed: int = 0, weights: dict | None = None,
            dtype: str = "float32", runner: type | None = None, x_from: str = ""):
    """The output array (N, *output shape) for the input `x` (N, *input shape), random
    (seeded) where not given; the weights from `weights` or seeded random."""
    import numpy as np

    if net.symbols:
        sym, span = net.symbols[0]
        raise CnnCalcError(f"running the net needs sizes: '{sym.name}' has no value (give it "
                           f"one with -D {sym.name}=…, or --input)", span)
    if dtype not in DTYPES:
        raise CnnCalcError(f"run computes in {' or '.join(DTYPES)}, not {dtype}")
    rng = np.random.default_rng(seed)
    shape = tuple(net.input.shape)
    if x is None:
        x = _random_input(net, rng, dtype)
    else:
        x = np.asarray(x)
        if x.shape[1:] != shape:
            takes = f"N x {'x'.join(map(str, shape))}"
            if x_from:  # the file is what is wrong, as far as anyone can tell
                line = net.input.span.line if net.input.span is not None else None
                raise CnnCalcError(f"the array is {'x'.join(map(str, x.shape))}; the spec's "
                                   f"input{f' (line {line})' if line else ''} takes {takes}",
                                   where=x_from)
            raise CnnCalcError(f"the input array is {'x'.join(map(str, x.shape))}; the spec "
                               f"takes {takes}", net.input.span)
        if x.dtype.kind in "fiu":
            x = x.astype(dtype, copy=False)
    runner = (runner or _Run)(weights, rng, np.dtype(dtype))
    with np.errstate(all="ignore"):  # overflow to inf and NaN are results, as in PyTorch,
        y = walk(net.body, runner, x)  # not Python warnings on standard error
    if weights is not None:
        unused = [k for k in weights if k not in runner.used and
                  not k.endswith(tuple("." + i for i in IGNORED))]
        if unused:
            raise CnnCalcError(f"the weights have {len(unused)} array(s) no layer uses, e.g. "
                               f"'{unused[0]}' (names are <row path>.<tensor>, e.g. "
                               f"layer1.0.conv1.weight)", where="--weights")
    return y


def _random_input(net: ir.Net, rng, dtype):
    shape = (net.input.batch,) + tuple(net.input.shape)
    first = net.body.items[0] if net.body.items else None
    if isinstance(first, ir.Layer) and first.kind.name == "embed":  # token ids
        return rng.integers(0, first.opts["vocab"], size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


class _Run(Visitor):
    def __init__(self, weights: dict | None, rng, dtype):
        self.weights = weights
        self.rng = rng
        self.dtype = dtype
        self.used: set[str] = set()
        self.mine: dict[int, weakref.ref] = {}  # arrays this run made that nothing else holds

    def owned(self, a) -> bool:
        """Nothing but the walk holds `a`, so the next layer may overwrite it."""
        ref = self.mine.get(id(a))
        return ref is not None and ref() is a and a.flags.writeable

    def made(self, y, x, tensors, x_owned: bool) -> None:
        """Note `y` as owned if a forward made it anew (it shares no memory with its input
        or its tensors), or it is its owned input, or a view of it."""
        import numpy as np

        if not isinstance(y, np.ndarray):
            return
        if np.may_share_memory(y, x):
            if not x_owned:
                return
        elif any(np.may_share_memory(y, t) for t in tensors):
            return
        self.mine[id(y)] = weakref.ref(y)

    def arrays(self, layer: ir.Layer, path: tuple, x) -> dict:
        """The layer's tensors: loaded under `<path>.<name>`, or seeded random."""
        out = {}
        prefix = ".".join(path)
        fills = layer.kind.fills
        for name, shape in layer.kind.tensors(layer, x.shape[1:]).items():
            key = f"{prefix}.{name}"
            if self.weights is None:
                out[name] = self.initial(name, shape, fills)
                continue
            if key not in self.weights:
                raise CnnCalcError(f"the weights have no '{key}' ({'x'.join(map(str, shape))} "
                                   f"expected)", layer.span)
            array = self.weights[key]
            if tuple(array.shape) != tuple(shape):
                raise CnnCalcError(f"'{key}' is {'x'.join(map(str, array.shape))}, this layer "
                                   f"needs {'x'.join(map(str, shape))}", layer.span)
            self.used.add(key)
            out[name] = array.astype(self.dtype, copy=False)
        return out

    def initial(self, name: str, shape: tuple, fills: dict):
        """PyTorch's default initialisation in spirit: constants where a kind fixes them
        (batch norm's 1, 0, 0, 1), else uniform within ±1/sqrt(fan in)."""
        import numpy as np

        if name in fills:
            return np.full(shape, fills[name], dtype=self.dtype)
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
        bound = 1 / max(fan_in, 1) ** 0.5
        # drawn in the run's own dtype and scaled in place: VGG-16's first fc weight is
        # 411 MB in float32, and a float64 draw to convert would double it
        values = self.rng.random(shape, dtype=self.dtype)
        values *= 2 * bound
        values -= bound
        return values

    def layer(self, layer: ir.Layer, path: tuple, x) -> Any:
        arrays = self.arrays(layer, path, x)
        owned = self.owned(x)
        if owned and layer.kind.overwrites:  # BN, ReLU: in place, no new array
            y = layer.kind.forward(layer, x, arrays, inplace=True)
        else:
            y = layer.kind.forward(layer, x, arrays)
        self.made(y, x, arrays.values(), owned)
        return y

    def branch_inputs(self, merge: ir.Merge, path: tuple, x) -> list:
        self.mine.pop(id(x), None)  # every branch starts from x, and the block keeps it
        return merge.kind.split_value(x, len(merge.branches))

    def join(self, merge: ir.Merge, path: tuple, x, outs: list) -> Any:
        import numpy as np

        if not merge.kind.overwrites:
            y = merge.kind.forward(outs)
        else:  # a residual block adds into its main branch's output
            y = merge.kind.forward(outs, [self.owned(o) for o in outs])
        # owned if made anew, or if it is (a view of) branch outputs that were owned
        if not np.may_share_memory(y, x) and \
                all(self.owned(o) for o in outs if np.may_share_memory(y, o)):
            self.mine[id(y)] = weakref.ref(y)
        return y
