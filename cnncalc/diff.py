"""Two reports side by side: what changed between them, in the totals and layer by layer.

Pure: it reads two `Report`s and says nothing about how they were made (two specs, or one
spec at two input shapes). Rows are aligned by their path, which spells the module names a
PyTorch model would have (`layer2.0.conv1`), so the same layer is found in both however the
others moved; a path in one report only is a row added or removed.

Every figure stays exact: a change is `b − a` (an int, a Fraction, or a formula where a spec
has names), a ratio is an exact Fraction and only the renderers round it. A row or figure
missing from one side counts as 0 there, so the changes of the layers add up to the change
of the total.

>>> from cnncalc import analyze
>>> d = compare(analyze("input 64x32x32 | conv 64 k3 p1 nobias * 2"),
...             analyze("input 64x32x32 | conv 64 k5 p2 nobias"))
>>> [(f.what, f.a, f.b, f.change) for f in d.totals[:2]]
[('params', 73728, 102400, 28672), ('macs', 75497472, 104857600, 29360128)]
>>> [(layer.path, layer.status) for layer in d.layers]
[(('conv1',), 'changed'), (('conv2',), 'removed')]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, NamedTuple

from .numbers import decide, equal, exact_div, is_concrete, plain, total
from .report import Report, Row

# (key, what it is): the totals compared, in the order the table shows them
TOTALS = (("params", "Total params"), ("macs", "MACs"), ("layers", "Layers"),
          ("output_shape", "Output"), ("rf", "Receptive field"),
          ("input_bytes", "Input size"), ("activation_bytes", "Forward/backward pass size"),
          ("param_bytes", "Params size"), ("total_bytes", "Estimated total size"))
# the facts of a row compared
ROW_FIGURES = (("source", "source"), ("output_shape", "output"), ("params", "params"),
               ("macs", "MACs"), ("rf", "RF"))
NUMERIC = {"params", "macs", "layers", "input_bytes", "activation_bytes", "param_bytes",
           "total_bytes"}


class Figure(NamedTuple):
    """One figure of A against B. `a` or `b` is None where a row is missing from that side.
    For a number, `change` is b − a (a missing side counts as 0) and `ratio` is change / a,
    exactly, when a ≠ 0 and the quotient is a number (None otherwise: a new figure, or a
    formula, such as MACs with ⌊H/2⌋ against MACs with H);
    text, shapes and receptive fields have no change, only whether they are the same."""

    what: str
    a: Any
    b: Any
    change: Any
    ratio: Fraction | None
    same: bool

    @property
    def numeric(self) -> bool:
        return self.what in NUMERIC

    @property
    def new(self) -> bool:
        """From nothing to something: a per cent of 0 has no value, the figure is new."""
        return self.numeric and _is_zero(0 if self.a is None else self.a) and not self.same


class LayerDiff(NamedTuple):
    path: tuple[str, ...]
    status: str              # "changed", "added" (only in B) or "removed" (only in A)
    a: Row | None
    b: Row | None
    figures: list[Figure]    # a changed row: what differs; added or removed: what it has


class Diff(NamedTuple):
    a: Report
    b: Report
    totals: list[Figure]
    layers: list[LayerDiff]  # the rows that differ, in the order of B (A's own among them)
    alike: int               # rows found in both with every figure the same
    names: tuple[str, str] = ("A", "B")  # what each side is, for the reader

    @property
    def same(self) -> bool:
        return not self.layers and all(f.same for f in self.totals)

    def count(self, status: str) -> int:
        return sum(layer.status == status for layer in self.layers)


def compare(a: Report, b: Report, names: tuple[str, str] = ("A", "B")) -> Diff:
    """What changes from report `a` to report `b` (`names` say what each is)."""
    totals = [figure(key, _total(a, key), _total(b, key)) for key, _ in TOTALS]
    layers, alike = [], 0
    for row_a, row_b in align(a.rows, b.rows):
        figures = [figure(key, _fact(row_a, key), _fact(row_b, key))
                   for key, _ in ROW_FIGURES]
        if row_a is None or row_b is None:
            present = [f for f in figures if not (f.numeric and f.same)]  # no "0 -> 0"
            status = "added" if row_a is None else "removed"
            layers.append(LayerDiff((row_a or row_b).path, status, row_a, row_b, present))
        elif all(f.same for f in figures):
            alike += 1
        else:
            layers.append(LayerDiff(row_b.path, "changed", row_a, row_b,
                                    [f for f in figures if not f.same]))
    return Diff(a, b, totals, layers, alike, names)


def align(rows_a: list[Row], rows_b: list[Row]) -> list[tuple[Row | None, Row | None]]:
    """Pairs of rows with the same path, in B's order; a row of A that B lacks comes where it
    stood in A (after the rows it followed, before rows added there), paired with None, and
    so does a row that A lacks. A path is unique in a report; a repeated one (never made by the
    builder) would pair by its occurrence."""
    keys_a, keys_b = _keys(rows_a), _keys(rows_b)
    where_in_a = {key: i for i, key in enumerate(keys_a)}
    in_b = set(keys_b)
    pairs, next_a = [], 0

    def removed_before(stop: int) -> None:
        nonlocal next_a
        for i in range(next_a, stop):
            if keys_a[i] not in in_b:
                pairs.append((rows_a[i], None))
        next_a = max(next_a, stop)

    for key, row_b in zip(keys_b, rows_b):
        i = where_in_a.get(key)
        if i is None:  # rows removed at this place go first, as a diff of lines shows them
            stop = next_a
            while stop < len(keys_a) and keys_a[stop] not in in_b:
                stop += 1
            removed_before(stop)
            pairs.append((None, row_b))
            continue
        removed_before(i)
        next_a = max(next_a, i + 1)
        pairs.append((rows_a[i], row_b))
    removed_before(len(rows_a))
    return pairs


def figure(what: str, a: Any, b: Any) -> Figure:
    if what not in NUMERIC:
        return Figure(what, a, b, None, None, _alike(a, b))
    before, after = (0 if a is None else a), (0 if b is None else b)
    change = total((after, -before))
    ratio = None
    if not _is_zero(before):  # of formulas, a ratio that is a number: 22·C² / 27·C²
        quotient = exact_div(change, before)
        ratio = Fraction(plain(quotient)) if is_concrete(quotient) else None
    return Figure(what, a, b, change, ratio, _is_zero(change))


def _total(report: Report, key: str):
    if key == "layers":
        return len(report.rows)
    value = getattr(report.totals, key)
    return tuple(value) if key in ("output_shape", "rf") else value


def _fact(row: Row | None, key: str):
    return None if row is None else getattr(row, key)


def _keys(rows: list[Row]) -> list[tuple]:
    seen: dict[tuple, int] = {}
    keys = []
    for row in rows:
        seen[row.path] = seen.get(row.path, 0) + 1
        keys.append((row.path, seen[row.path]))
    return keys


def _is_zero(value) -> bool:
    return is_concrete(value) and plain(value) == 0


def _alike(a, b) -> bool:
    """Equal text, or equal values axis by axis (a formula equal only when proved so)."""
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
                and all(_alike(x, y) for x, y in zip(a, b)))
    return decide(equal(a, b)) is True
