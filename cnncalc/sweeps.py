"""The resolution sweep (`analyze SPEC --sweep H=224..640/32`): the spec at each value of one
of its names — or of several names stepped together — one row per value with the output
shape, parameters, MACs, memory, whether every stride tiles (no `tiling` warning: no row or
column dropped) and, where the value is invalid, the located reason.

Each value is analysed on its own, the name bound as `-D` binds it. Analysing the symbolic
net once and substituting into its closed forms is no faster for ResNet-50 at 224..640/32
(`benchmarks/sweep.py`: about 0.2 s either way, on a shared machine), and it would still have
to decide each layer's tiling and validity condition per value; analysed on its own, an
invalid value fails with the same located error a concrete analysis gives, and the sweep
goes on.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from .errors import CnnCalcError, Source, did_you_mean
from .sizes import WHOLE

MAX_VALUES = 1000  # a sweep is read by a person: more rows than this is a mistyped range

_RANGE = re.compile(rf"\s*({WHOLE})\s*\.\.\s*({WHOLE})\s*(?:/\s*({WHOLE})\s*)?\Z")
_LIST = re.compile(rf"\s*{WHOLE}\s*(,\s*{WHOLE}\s*)*\Z")
MAX_DIGITS = 18  # far beyond any size, and short of what Python refuses to read as an int
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def parse_sweep(text: str) -> tuple[str, list[int]]:
    """`H=224..640/32` -> ("H", [224, 256, …, 640]): LO..HI with HI included when the step
    lands on it, step 1 unless `/STEP` says; or a list, `H=224,320,512`."""
    name, sep, values = text.partition("=")
    name = name.strip()
    if not sep or not _NAME.match(name):
        raise CnnCalcError(f"'{text}' is not NAME=LO..HI/STEP (e.g. --sweep H=224..640/32)",
                           where="--sweep")
    if max(map(len, re.findall(r"[0-9_]+", values)), default=0) > MAX_DIGITS:
        raise CnnCalcError(f"'{text[:40]}': a value has more than {MAX_DIGITS} digits",
                           where="--sweep")
    m = _RANGE.match(values)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        step = 1 if m.group(3) is None else int(m.group(3))
        if step == 0:
            raise CnnCalcError(f"'{text}': the step must be at least 1", where="--sweep")
        if lo > hi:
            raise CnnCalcError(f"'{text}': the range is empty ({lo} > {hi}); the low end "
                               f"comes first", where="--sweep")
        count = (hi - lo) // step + 1
        chosen = None if count > MAX_VALUES else list(range(lo, hi + 1, step))
    elif _LIST.match(values):
        chosen = [int(v) for v in values.split(",")]
        count = len(chosen)
    else:
        raise CnnCalcError(f"'{text}' is not NAME=LO..HI/STEP with whole numbers (e.g. "
                           f"--sweep H=224..640/32, or H=224,320,512)", where="--sweep")
    if count > MAX_VALUES:
        raise CnnCalcError(f"'{text}' gives {count:,} values, more than {MAX_VALUES:,}: take a "
                           f"larger step", where="--sweep")
    return name, chosen


class SweepRow(NamedTuple):
    values: dict                # {name: value} of this row
    output_shape: list | None   # as the report shows it (the input's layout); None: invalid
    params: Any = None
    macs: Any = None
    memory_bytes: Any = None    # "Estimated total size", or the training total
    untiled: tuple = ()         # (path, line) of each row a stride leaves rows unused in
    error: CnnCalcError | None = None
    warnings: tuple = ()        # the other warnings (layout, product), for standard error

    @property
    def tiles(self) -> bool | None:
        """Every stride tiles (None when the value is invalid)."""
        return None if self.error is not None else not self.untiled

    def reason(self) -> str:
        """Why the value is invalid (`1:37: conv: kernel 5 is larger …`), or which rows do
        not tile (`conv1 (line 1)`); '' when neither."""
        if self.error is not None:
            span = self.error.span
            where = [".".join(getattr(self.error, "path", ()))] + \
                ([f"line {span.line}"] if span else [])
            return f"fails at {', '.join(w for w in where if w)}: {self.error.message}"
        if self.untiled:
            path, line = self.untiled[0]
            more = f" +{len(self.untiled) - 1}" if len(self.untiled) > 1 else ""
            return f"{path} (line {line}){more}"
        return ""


class Sweep(NamedTuple):
    names: tuple
    rows: list
    memory: str          # inference or training
    optimizer: str
    dtype: str

    def to_dict(self) -> dict:
        return {"names": list(self.names), "memory": self.memory,
                "optimizer": self.optimizer if self.memory == "training" else None,
                "dtype": self.dtype, "rows": [_row_dict(r) for r in self.rows]}


def _row_dict(r: SweepRow) -> dict:
    e = r.error
    return {"values": r.values, "output_shape": r.output_shape, "params": r.params,
            "macs": r.macs, "memory_bytes": r.memory_bytes, "tiles": r.tiles,
            "untiled": [{"path": path, "line": line} for path, line in r.untiled],
            "error": None if e is None else {
                "message": e.message, "path": ".".join(getattr(e, "path", ())) or None,
                "line": e.span.line if e.span else None,
                "col": e.span.col if e.span else None}}


def run_sweep(spec, swept: dict, *, input, dtype, bindings, memory, optimizer, max_layers,
              stdin) -> Sweep:
    from . import api
    from .loading import load
    from .training import memory_total

    source = spec if isinstance(spec, Source) else load(spec, stdin=stdin)
    _check_names(source, swept, input, bindings, max_layers)
    names = tuple(swept)
    rows = []
    for step in zip(*swept.values()):
        values = dict(zip(names, step))
        try:
            report = api.analyze(source, input=input, dtype=dtype, max_layers=max_layers,
                                 bindings={**bindings, **values}, memory=memory,
                                 optimizer=optimizer)
        except CnnCalcError as e:  # this value is invalid: say where, and go on
            rows.append(SweepRow(values, None, error=e,
                                 warnings=tuple(getattr(e, "warnings", ()))))
            continue
        untiled = tuple((".".join(w.path), w.span.line if w.span else None)
                        for w in report.warnings if w.name == "tiling")
        rows.append(SweepRow(values, report.display_shape(report.totals.output_shape),
                             report.totals.params, report.totals.macs, memory_total(report), untiled,
                             warnings=tuple(w for w in report.warnings
                                            if w.name != "tiling")))
    return Sweep(names, rows, memory, optimizer, dtype)


def other_warnings(sweep: Sweep) -> list:
    """The warnings other than tiling (which the rows' `tiles` stands for), each once over
    the whole sweep: `input HxHx3` is read channels first at every size."""
    seen, out = set(), []
    for row in sweep.rows:
        for w in row.warnings:
            key = (w.name, w.message, w.span.start if w.span else None)
            if key not in seen:
                seen.add(key)
                out.append(w)
    return out


def _check_names(source, swept: dict, input, bindings: dict, max_layers) -> None:
    """Every swept name is one of the spec's, none is also given by -D, every other name has
    a value, and names swept together have as many values each."""
    from .api import _net

    for name in swept:
        if name in bindings:
            raise CnnCalcError(f"'{name}' is both swept and given a value with -D: give one",
                               where="--sweep")
    net, _ = _net(source, input, max_layers, None, bindings)
    names = [s.name for s, _ in net.symbols]
    for name in swept:
        if name not in names:
            have = f"its names are {', '.join(names)}" if names else \
                "it has none (write one, e.g. --input 3xHxH)"
            raise CnnCalcError(f"the spec has no name '{name}' to sweep"
                               f"{did_you_mean(name, names)}; {have}", where="--sweep")
    rest = [n for n in names if n not in swept]
    if rest:
        raise CnnCalcError(f"the sweep needs a value for every other name: give "
                           f"{' '.join(f'-D {n}=…' for n in rest)}", where="--sweep")
    counts = {len(v) for v in swept.values()}
    if len(counts) > 1:
        raise CnnCalcError("names swept together need as many values each ("
                           + ", ".join(f"{n}: {len(v)}" for n, v in swept.items()) + ")",
                           where="--sweep")
