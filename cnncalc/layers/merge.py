"""Merge kinds: how the branches of a block are fed and joined (add, concat, mul, split).

Like layer kinds they are registered definitions with rules; the walk (`walk.py`) asks them,
so no pass keeps its own `if op == ...` chain.
"""

from __future__ import annotations

from functools import reduce

from ..errors import CnnCalcError, Span
from ..numbers import decide, divides, equal, exact_div, half, maximum, minimum, plain
from .base import AxisRF, Context, Shape, from_grid
from .grid import Grid, union

MERGES: dict[str, "MergeKind"] = {}


def register_merge(cls):
    MERGES[cls.name] = cls()
    return cls


class MergeKind:
    name = ""
    row_kind = ""       # the kind its row shows (split shows as the concat it ends with)
    summary = ""

    def branch_input(self, x: Shape, n: int, span: Span, ctx: Context) -> Shape:
        """The shape every one of the n branches takes."""
        return x

    def output_shape(self, outs: list, span: Span, ctx: Context) -> Shape:
        raise NotImplementedError

    # --- the executor ----------------------------------------------------------------------

    def split_value(self, x, n: int) -> list:
        """The array each branch starts from."""
        return [x] * n

    # forward also takes inplace: one flag per branch output that it may overwrite (nothing
    # else holds it); the executor gives it to a kind that says so
    overwrites = False

    def forward(self, outs: list):
        raise NotImplementedError

    def probe(self, outs: list):
        """What a change reaches (see `LayerKind.probe`)."""
        return self.forward(outs)

    def receptive_field(self, fields: list, outs: list, y: Shape) -> tuple:
        """The union of the branches' windows with their offsets (dsl.md §5): the first
        window of each spans start ± (size - 1)/2; the merged field spans them all. The grid
        (jump) is that of a branch whose output already has the merged size — a
        squeeze-excite branch sees everything, but its 1x1 output is broadcast onto the main
        branch's grid, where each position's field is then no longer start + i·jump wide
        (`exact` False: only the largest field is known)."""
        if any(len(f) != len(fields[0]) for f in fields):
            return fields[0]
        on_grid = [f for f, o in zip(fields, outs) if _same(o[1:], y[1:])]
        broadcast = len(on_grid) < len(fields)
        on_grid = on_grid or fields
        merged = []
        for i in range(len(fields[0])):
            axis = [f[i] for f in fields]
            begin = reduce(minimum, (a.start - half(a.size - 1) for a in axis))
            end = reduce(maximum, (a.start + half(a.size - 1) for a in axis))
            grid = on_grid[0][i]
            exact = not broadcast and all(a.exact for a in axis) and \
                all(decide(equal(a.jump, grid.jump)) is True for a in axis)
            closed = AxisRF(plain(end - begin + 1), grid.jump, plain(half(begin + end)),
                            grid.positions, exact=exact)
            merged.append(_union(axis, closed) if exact else closed)
        return tuple(merged)


def _union(axis: list, closed: AxisRF) -> AxisRF:
    """Position by position, where a branch's fields differ from one position to the next."""
    if all(a.grid is None for a in axis):
        return closed  # fields start + i·jump wide in every branch, and so their union
    grids = [a.grid or Grid.uniform(a.size, a.jump, a.start) for a in axis]
    joined = union(grids) if all(g is not None for g in grids) else None
    return closed._replace(exact=False) if joined is None else from_grid(joined, closed)


def _same(a, b) -> bool:
    return len(a) == len(b) and all(decide(equal(p, q)) is True for p, q in zip(a, b))


def _shown(outs, ctx: Context) -> str:
    return " and ".join(ctx.show(o) for o in dict.fromkeys(outs))


def _check_axes(outs, span, ctx) -> None:
    if any(len(o) != len(outs[0]) for o in outs):
        raise CnnCalcError(f"branch outputs {_shown(outs, ctx)} have different numbers of "
                           f"axes", span)


def _require_equal(outs, axes, span, ctx, what: str) -> None:
    """Sizes compared by value: equal for every input the spec allows, or a condition."""
    first = outs[0]
    for o in outs[1:]:
        for i in axes:
            ctx.require(equal(o[i], first[i]),
                        lambda: f"branch outputs {_shown(outs, ctx)} {what}", span)


@register_merge
class Add(MergeKind):
    name = row_kind = "add"
    summary = "element-wise sum of the branches (shapes must be equal)"

    def output_shape(self, outs, span, ctx):
        _check_axes(outs, span, ctx)
        _require_equal(outs, range(len(outs[0])), span, ctx, "cannot be added (shapes differ)")
        return outs[0]

    overwrites = True

    def forward(self, outs, inplace=()):
        # into a branch's output that may be overwritten (a residual block's main branch:
        # out += identity, as torchvision), else into a new array; the first two added
        # either way round give the same bits
        flags = list(inplace) or [False] * len(outs)
        if len(outs) == 2 and flags[1] and not flags[0]:
            outs, flags = outs[::-1], flags[::-1]
        total = outs[0]
        for o in outs[1:]:
            if total is outs[0] and not flags[0]:
                total = total + o
            else:
                total += o
        return total


@register_merge
class Concat(MergeKind):
    name = row_kind = "concat"
    summary = "the branches joined along the channels (other sizes must be equal)"

    def output_shape(self, outs, span, ctx):
        _check_axes(outs, span, ctx)
        _require_equal(outs, range(1, len(outs[0])), span, ctx,
                       "cannot be concatenated: sizes other than the channels differ")
        channels = outs[0][0]
        for o in outs[1:]:
            channels = channels + o[0]
        return (channels,) + tuple(outs[0][1:])

    def forward(self, outs):
        import numpy as np

        return np.concatenate(outs, axis=1)


@register_merge
class Split(Concat):
    name = "split"
    row_kind = "concat"
    summary = "the channels shared evenly among the branches, their outputs concatenated"

    def branch_input(self, x, n, span, ctx):
        ctx.require(divides(n, x[0]), lambda: f"split: {ctx.show_value(x[0])} channels "
                                              f"cannot be shared evenly among {n} branches",
                    span)
        return (exact_div(x[0], n),) + tuple(x[1:])

    def split_value(self, x, n):
        import numpy as np

        return np.split(x, n, axis=1)


@register_merge
class Mul(MergeKind):
    name = row_kind = "mul"
    summary = "element-wise product, broadcasting axes of size 1 (squeeze-excite)"

    def output_shape(self, outs, span, ctx):
        _check_axes(outs, span, ctx)
        result = []
        for sizes in zip(*outs):
            # NumPy broadcasting: an axis of size 1 takes the other's size
            big = [s for s in sizes if decide(equal(s, 1)) is not True]
            for s in big[1:]:
                ctx.require(equal(s, big[0]), lambda: f"branch outputs {_shown(outs, ctx)} "
                                                      f"cannot be multiplied: each axis must "
                                                      f"match or be 1", span)
            result.append(big[0] if big else sizes[0])
        return tuple(result)

    overwrites = True

    def forward(self, outs, inplace=()):
        import numpy as np

        mine = bool(inplace) and inplace[0]
        product = outs[0]
        for o in outs[1:]:
            # NumPy broadcasts an axis of 1, as the shape rule says; in place when the
            # product may be overwritten and keeps its shape (x · a squeeze-excite's scale)
            if (product is not outs[0] or mine) and \
                    np.broadcast_shapes(product.shape, o.shape) == product.shape:
                product *= o
            else:
                product = product * o
        return product

    def probe(self, outs):
        # On a positive background, a product changes wherever any factor does.
        return Add.forward(self, outs)
