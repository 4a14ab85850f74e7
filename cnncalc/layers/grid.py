"""Receptive fields that differ from position to position, exactly.

Through convolutions and pooling on a whole-number grid every output position's field has the
same size and the fields lie `jump` apart, so three numbers (size, jump, start) describe them
all and the closed forms of `formulas.py` compute them. A transposed convolution, an
upsampling or an uneven adaptive pool breaks that: after `upsample 3` the jump is 1/3, and a
2-wide window then sees one input pixel or two depending on where it stands. The fields still
repeat: a period further on they are the same, shifted. A `Grid` is that period written out —
the first and last input position each output position of one period sees — and a layer maps
it through `Reads`, which input positions each of its output positions reads. The largest
field, the mean jump and the first field's centre come from the grid, exactly; `verify`
compares them, position by position, with what a run measures.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import Callable, Iterable, NamedTuple

# Past this many positions in one period (or this much work to compute one), the fields are
# left to the closed forms, which then give the largest field only approximately.
MOST_POSITIONS = 4096
MOST_WORK = 1_000_000


class Reads(NamedTuple):
    """The input positions output position i reads along one axis; a layer is periodic:
    reads(i + out_period) is reads(i) shifted by in_period."""

    indices: Callable[[int], Iterable[int]]
    out_period: int
    in_period: int


def window_reads(k: int, s: int, left: int, d: int) -> Reads:
    """A window of k taps, d apart, stride s, `left` positions of padding before."""
    return Reads(lambda i: range(s * i - left, s * i - left + d * (k - 1) + 1, d), 1, s)


class Grid(NamedTuple):
    period: int
    shift: int       # a period further on, every field lies `shift` input positions further
    lo: tuple        # the first input position each position of one period sees (None: none)
    hi: tuple        # the last one

    @classmethod
    def uniform(cls, size, jump, start) -> "Grid | None":
        """The grid of fields that are all `size` wide and `jump` apart (whole numbers)."""
        if not (all(type(v) is int for v in (size, jump)) and isinstance(start, (int, Fraction))):
            return None
        first = start - Fraction(size - 1, 2)
        if first.denominator != 1:
            return None
        return cls(1, jump, (int(first),), (int(first) + size - 1,))

    def at(self, i: int):
        """(first, last) input position of output position i's field, or None."""
        q, r = divmod(i, self.period)
        if self.lo[r] is None:
            return None
        return self.lo[r] + q * self.shift, self.hi[r] + q * self.shift

    @property
    def jump(self):
        j = Fraction(self.shift, self.period)
        return j.numerator if j.denominator == 1 else j

    @property
    def uniform_fields(self) -> bool:
        return self.period == 1 and self.lo[0] is not None

    def largest(self):
        sizes = [h - lo + 1 for lo, h in zip(self.lo, self.hi) if lo is not None]
        return max(sizes) if sizes else 0

    def centre(self, i: int = 0):
        field = self.at(i)
        if field is None:
            return None
        c = Fraction(field[0] + field[1], 2)
        return c.numerator if c.denominator == 1 else c

    def through(self, reads: Reads) -> "Grid | None":
        """The fields after a layer that reads as `reads` says; None when too large to
        write out."""
        m = self.period // gcd(self.period, reads.in_period)
        period = reads.out_period * m
        if period > MOST_POSITIONS:
            return None
        shift = m * reads.in_period // self.period * self.shift
        lo, hi, work = [], [], 0
        for i in range(period):
            first = last = None
            for j in reads.indices(i):
                work += 1
                field = self.at(j)
                if field is not None:
                    first = field[0] if first is None else min(first, field[0])
                    last = field[1] if last is None else max(last, field[1])
            if work > MOST_WORK:
                return None
            lo.append(first)
            hi.append(last)
        return Grid(period, shift, tuple(lo), tuple(hi)).reduced()

    def reduced(self) -> "Grid":
        """The same fields over the shortest period that repeats them."""
        p = self.period
        for q in range(1, p):
            if p % q or (self.shift * q) % p:
                continue
            step = self.shift * q // p
            if all(_moved(self.lo[i], step) == self.lo[i + q] and
                   _moved(self.hi[i], step) == self.hi[i + q] for i in range(p - q)):
                return Grid(q, step, self.lo[:q], self.hi[:q])
        return self


def union(grids: list[Grid]) -> "Grid | None":
    """Each position's field over several branches: from the first position any of them sees
    to the last. The branches must move by the same jump."""
    if len({g.jump for g in grids}) != 1:
        return None
    period = 1
    for g in grids:
        period = period * g.period // gcd(period, g.period)
    if period > MOST_POSITIONS:
        return None
    lo, hi = [], []
    for i in range(period):
        fields = [f for f in (g.at(i) for g in grids) if f is not None]
        lo.append(min(f[0] for f in fields) if fields else None)
        hi.append(max(f[1] for f in fields) if fields else None)
    shift = grids[0].jump * period
    return Grid(period, int(shift), tuple(lo), tuple(hi)).reduced()


def _moved(v, step):
    return None if v is None else v + step
