"""`solve`: every value of a spec's unknowns, within stated bounds, that meets the constraints.

Two kinds of unknown. A name that is part of the input and also of `--output` (`input
64xHxW … --output 64xHxW`: "keeps the size") is universal: an answer must hold for every H,
which the symbolic analysis proves (`numbers.decide` of the closed forms' equality is exact,
never a sample of sizes). Every other name is enumerated over its range, and each binding
runs the real analysis, so every check of every layer applies: a candidate the analysis
refuses is no answer.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

from . import build as _build
from .analysis import analyze_net
from .errors import CnnCalcError, Source
from .loading import load
from .numbers import at_least, decide, equal, product
from .syntax import parse
from .syntax import tree as t
from .syntax.parser import parse_input_override

# Default ranges by what first took the name; printed with every answer.
DEFAULT_RANGES = {
    "p": (0, 10), "op": (0, 10), "k": (1, 11), "s": (1, 8), "d": (1, 8), "g": (1, 64),
    "out": (1, 1024), "mult": (1, 8), "factor": (1, 8), "groups": (1, 64),
    "repeat": (1, 32), "input": (1, 512), "batch": (1, 64),
}
OTHER_RANGE = (1, 64)
MAX_CANDIDATES = 200_000


class Answer(NamedTuple):
    unknowns: tuple[str, ...]                 # enumerated, in the order the spec uses them
    universal: tuple[str, ...]                # must hold for every value
    bounds: dict[str, tuple[int, int]]
    solutions: list[dict[str, int]]
    candidates: int                           # bindings tried
    # what the spec as written warns about (layout, product); a stride's tiling depends on
    # the candidate, and is no warning here
    warnings: list = []

    def to_dict(self) -> dict:
        return {"solutions": self.solutions,
                "bounds": {n: list(b) for n, b in self.bounds.items()},
                "universal": list(self.universal), "candidates": self.candidates,
                "warnings": [w.to_dict() for w in self.warnings]}


def solve(spec, *, output: str | None = None, max_params: int | None = None,
          max_macs: int | None = None, rf: int | None = None,
          ranges: dict[str, tuple[int, int]] | None = None, bindings: dict | None = None,
          input: str | None = None, max_layers: int = _build.DEFAULT_MAX_LAYERS,
          stdin=None) -> Answer:
    """The values of the spec's unknown names that meet every constraint given.

    >>> solve("input 1x7x7 | conv 1 k3 p=P", output="1x7x7").solutions
    [{'P': 1}]
    """
    if output is None and max_params is None and max_macs is None and rf is None:
        raise CnnCalcError("solve needs at least one constraint: --output, --max-params, "
                           "--max-macs or --rf", where="cnncalc solve")
    source = spec if isinstance(spec, Source) else load(spec, stdin=stdin)
    tree = parse(source)
    override = parse_input_override(Source("--input", input)) if input else None
    bindings = dict(bindings or {})
    # learn the names (a repeat count may be one) and what first took each
    net = _build.build(tree, input_override=override, max_layers=max_layers,
                       bindings=bindings, repeat_once=True, unknowns=ranges or {})
    symbols = {s.name: s for s, _ in net.symbols}
    target = _target(output, symbols, net.input.layout) if output else None
    universal = tuple(n for n in symbols if target is not None and net.roles.get(n) == "input"
                      and any(symbols[n] in getattr(d, "free_symbols", ()) for d in target))
    unknowns = tuple(n for n in symbols if n not in universal)
    bounds = {}
    for name in unknowns:
        bounds[name] = (ranges or {}).get(name) or DEFAULT_RANGES.get(net.roles.get(name, ""),
                                                                       OTHER_RANGE)
    for name in ranges or {}:
        if name not in symbols:
            raise CnnCalcError(f"--range {name}: the spec has no unknown '{name}'",
                               where="cnncalc solve")
        if name in universal:
            raise CnnCalcError(f"--range {name}: '{name}' is in the input and the output, so "
                               f"the answer must hold for every {name}", where="cnncalc solve")
    candidates = product(hi - lo + 1 for lo, hi in bounds.values())
    if candidates > MAX_CANDIDATES:
        raise CnnCalcError(f"{candidates:,} candidates ({bounds_text(bounds)}) is more than "
                           f"{MAX_CANDIDATES:,}: narrow the ranges with --range NAME=LO..HI",
                           where="cnncalc solve")
    solutions = []
    warnings = None
    names = list(bounds)
    for values in itertools.product(*(range(lo, hi + 1) for lo, hi in bounds.values())):
        binding = dict(zip(names, values))
        try:
            candidate = _build.build(tree, input_override=override, max_layers=max_layers,
                                     bindings={**bindings, **binding})
            report = analyze_net(candidate)
        except CnnCalcError:
            continue  # the analysis refuses this binding: a layer's own check failed
        if warnings is None:
            warnings = [w for w in report.warnings if w.name != "tiling"]
        if _meets(report, target, max_params, max_macs, rf):
            solutions.append(binding)
    return Answer(unknowns, universal, bounds, solutions, candidates, warnings or [])


def _target(output: str, symbols: dict, layout: str) -> tuple:
    """--output's shape, channels first, its names the spec's own symbols."""
    shape = parse_input_override(Source("--output", output))
    dims = []
    for d in shape.dims:
        if isinstance(d, t.Num) and isinstance(d.value, int):
            dims.append(d.value)
        elif isinstance(d, t.Name) and d.name in symbols:
            dims.append(symbols[d.name])
        else:
            raise CnnCalcError("--output takes whole numbers and the spec's own names",
                               d.span)
    if layout == "hwc" and len(dims) > 1:
        dims = [dims[-1]] + dims[:-1]
    return tuple(dims)


def _meets(report, target, max_params, max_macs, rf) -> bool:
    totals = report.totals
    if target is not None:
        y = totals.output_shape
        if len(y) != len(target) or not all(decide(equal(a, b)) is True
                                            for a, b in zip(y, target)):
            return False
    if max_params is not None and decide(at_least(max_params, totals.params)) is not True:
        return False
    if max_macs is not None and decide(at_least(max_macs, totals.macs)) is not True:
        return False
    if rf is not None and not (totals.rf and all(decide(equal(r, rf)) is True
                                                 for r in totals.rf)):
        return False
    return True


def bounds_text(bounds: dict) -> str:
    return ", ".join(f"{n} {lo}..{hi}" for n, (lo, hi) in bounds.items())

