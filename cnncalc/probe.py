"""Receptive fields by experiment, for `verify`: what a change at one input position reaches.

The probe runs a linearised copy of the net — every weight 1, every bias 0, activations and
normalisation as the identity (`Pointwise.probe`), a product as a sum (on a positive
background a product changes wherever any factor does) — on inputs that hold 1 at the
changed position and 0 elsewhere. Every operation is then a sum of non-negative terms, so a
value is above 0 exactly where the change reaches it: no cancellation and no rounding can hide
one. After each layer the values are set back to 0 or 1 (what reached), so nothing grows or
underflows along a deep net; max pooling of 0s and 1s is already "did any reach".

One batch item per input position along one axis, the whole slice through that position
changed at once (so a position that a strided 1x1 convolution skips on the centre line cannot
hide the others); for each row and each output position along the axis, the first and last
input position that reached it is its field intersected with the input.

Channels do not move anything in space, so the copy is narrowed: every width divided by the
factor that keeps every rule of groups, split, shuffle and merges (checked by the analysis
of the narrowed copy) and leaves the least work.
"""

from __future__ import annotations

from typing import Iterator

from . import ir
from .analysis import analyze_net
from .errors import CnnCalcError
from .execute import _Run, estimate_peak
from .walk import walk

CHUNK_BYTES = 256 * 2 ** 20  # a pass at a time holds about this much
TRIED = 8                     # narrowing factors analysed, of those that narrow the most


def measure_fields(net: ir.Net, memory_limit: int | None = None) -> dict[tuple, list]:
    """path -> per probed axis, (first, last): int arrays over the row's output positions
    along that axis (one position for a vector output), last < 0 where nothing reached."""
    import numpy as np

    narrow = narrowed(net)
    shape = tuple(narrow.input.shape)
    embedded = _starts_with_embed(net)
    sizes = shape if embedded else shape[1:]   # token positions, or the spatial axes
    per_item = max(estimate_peak(narrow, "float32")[1], 1)
    budget = CHUNK_BYTES if memory_limit is None else min(CHUNK_BYTES, memory_limit)
    chunk = max(1, budget // per_item)
    fields: dict[tuple, list] = {}
    for a, n in enumerate(sizes):
        for begin in range(0, n, chunk):
            count = min(chunk, n - begin)
            x = np.zeros((count,) + shape, dtype=np.float32)
            changed = np.moveaxis(x, 1 if embedded else 2 + a, 1)  # a view: (B, n, …)
            changed[np.arange(count), begin + np.arange(count)] = 1
            walk(narrow.body, _Probe(fields, a, len(sizes), begin), x)
    return fields


class _Probe(_Run):
    def __init__(self, fields: dict, axis: int, axes: int, begin: int):
        import numpy as np

        super().__init__(None, None, np.dtype("float32"))
        self.fields, self.axis, self.axes, self.begin = fields, axis, axes, begin

    def arrays(self, layer, path, x):
        import numpy as np

        return {name: (np.zeros if name == "bias" else np.ones)(shape, dtype=self.dtype)
                for name, shape in layer.kind.tensors(layer, x.shape[1:]).items()}

    def layer(self, layer, path, x):
        return self.record(path, layer.kind.probe(layer, x, self.arrays(layer, path, x)))

    def join(self, merge, path, x, outs):
        return self.record(path, merge.kind.probe(outs))

    def record(self, path: tuple, y):
        import numpy as np

        reached = y > 0
        if reached.ndim - 2 == self.axes:  # spatial: along the probed axis, anywhere else
            others = tuple(i for i in range(1, reached.ndim) if i != 2 + self.axis)
            hit = reached.any(axis=others)                              # (B, positions)
        else:                                                           # a vector: one
            hit = reached.reshape(len(reached), -1).any(axis=1)[:, None]
        axes = self.fields.setdefault(path, [None] * self.axes)
        if axes[self.axis] is None:
            axes[self.axis] = (np.full(hit.shape[1], np.iinfo(np.int64).max),
                               np.full(hit.shape[1], -1))
        first, last = axes[self.axis]
        some = hit.any(axis=0)
        items = len(hit)
        np.minimum(first, np.where(some, self.begin + hit.argmax(axis=0), first), out=first)
        np.maximum(last, np.where(some, self.begin + items - 1 - hit[::-1].argmax(axis=0),
                                  last), out=last)
        return reached.astype(self.dtype)


# --- the narrowed copy --------------------------------------------------------------------

def narrowed(net: ir.Net) -> ir.Net:
    """The net with its widths (and the input's channels) divided by a common factor where it
    divides them, keeping every rule and every spatial size: of the factors that narrow the
    most (summed widths), the one that leaves the fewest MACs. The net itself where none
    fits."""
    original = analyze_net(net)
    sizes = {r.path: r.output_shape[1:] for r in original.rows if len(r.output_shape) > 1}
    widths = [layer.opts[layer.kind.width_option] for layer in _layers(net.body)
              if layer.kind.width_option]
    widths = [w for w in widths if type(w) is int]
    factors = {d for w in set(widths) for d in _divisors(w)} - {1}
    channels = None if _starts_with_embed(net) else net.input.shape[0]
    best, least = net, original.totals.macs
    tried = sorted(factors, key=lambda f: sum(w // f if w % f == 0 else w for w in widths))
    for f in tried[:TRIED]:
        for c in dict.fromkeys([channels // f if channels and channels % f == 0 else 1,
                                channels]):
            candidate = _narrow(net, f, c)
            try:
                report = analyze_net(candidate)
            except CnnCalcError:
                continue
            if all(sizes.get(r.path) == r.output_shape[1:]
                   for r in report.rows if len(r.output_shape) > 1):
                if report.totals.macs < least:
                    best, least = candidate, report.totals.macs
                break
    return _single(best)


def _single(net: ir.Net) -> ir.Net:
    return net._replace(input=net.input._replace(batch=1))


def _narrow(net: ir.Net, f: int, channels) -> ir.Net:
    memo: dict[int, ir.Node] = {}

    def node(n):
        if id(n) not in memo:
            if isinstance(n, ir.Layer):
                name = n.kind.width_option
                w = n.opts.get(name) if name else None
                memo[id(n)] = n._replace(opts={**n.opts, name: w // f}) \
                    if type(w) is int and w % f == 0 else n
            elif isinstance(n, ir.Seq):
                memo[id(n)] = n._replace(items=tuple(map(node, n.items)))
            else:
                memo[id(n)] = n._replace(branches=tuple(map(node, n.branches)))
        return memo[id(n)]

    shape = net.input.shape if channels is None else (channels,) + tuple(net.input.shape[1:])
    return net._replace(body=node(net.body), input=net.input._replace(shape=shape))


def _layers(n) -> Iterator[ir.Layer]:
    if isinstance(n, ir.Layer):
        yield n
    elif isinstance(n, ir.Seq):
        for item in n.items:
            yield from _layers(item)
    else:
        for branch in n.branches:
            yield from _layers(branch)


def _divisors(n: int) -> set[int]:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return set(small) | {n // d for d in small}


def _starts_with_embed(net: ir.Net) -> bool:
    first = net.body.items[0] if net.body.items else None
    return isinstance(first, ir.Layer) and first.kind.name == "embed"

