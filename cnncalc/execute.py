"""The NumPy executor: the net run forward (inference), one more pass over the same walk as
the analysis. Each layer kind allocates its tensors under PyTorch's names and layouts and
computes its `forward`; weights are keyed by the row's path, `<path>.weight`, so a PyTorch
`state_dict` saved with `numpy.savez` loads into a spec whose paths spell its module names.
"""

from __future__ import annotations

import weakref
from typing import Any

from . import ir
from .errors import CnnCalcError
from .walk import Visitor, walk

DTYPES = ("float32", "float64")
IGNORED = ("num_batches_tracked",)  # PyTorch's BatchNorm counter: no part of the function


def peak_bytes(report, dtype: str) -> int:
    """What a run will hold at most: every tensor, and at the busiest layer its input, its
    output and, for a convolution, the windows it multiplies (N·C·prod(k)·positions), with
    the block's input and every branch's output alive at a merge. An estimate on the side of
    too much; activations are freed as soon as the next layer has its input."""
    from .layers.merge import MERGES
    from .numbers import product

    merges = {m.row_kind for m in MERGES.values()}
    elem = 8 if dtype == "float64" else 4
    batch = report.input.batch
    tensors = (report.totals.params + report.totals.buffers) * elem
    busiest = 0
    for row in report.rows:
        live = (product(row.input_shape) + product(row.output_shape)) * batch
        if row.kind in ("conv", "dwconv", "deconv") and row.macs:
            live += row.macs // max(row.output_shape[0], 1)  # the windows: MACs / filters
        if row.kind in merges:
            live *= 3  # the block's input and its branches' outputs
        busiest = max(busiest, live * elem)
    return tensors + busiest


def run_net(net: ir.Net, x=None, *, seed: int = 0, weights: dict | None = None,
            dtype: str = "float32", runner: type | None = None):
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
            raise CnnCalcError(f"the input array is {'x'.join(map(str, x.shape))}; the spec "
                               f"takes N x {'x'.join(map(str, shape))}", net.input.span)
        if x.dtype.kind in "fiu":
            x = x.astype(dtype, copy=False)
    runner = (runner or _Run)(weights, rng, np.dtype(dtype))
    y = walk(net.body, runner, x)
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
