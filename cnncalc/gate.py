"""Budgets judged on a report: what `cnncalc check` enforces and a spec's `assert` states.

A `Budget` is one comparison of a quantity of the net with a value: `--max-params 25M` is
`params <= 25000000`, `assert layer4.output == 2048x7x7` is the output shape of the block
`layer4` compared with (2048, 7, 7). `judge` reads each quantity from the report and gives
an `Outcome`: it holds, it fails (with the actual value and how far it is off), or it cannot
be decided because the value still has names in it (a symbolic spec not bound by `-D` or
`--input`).

Quantities: `params`, `macs`, `flops` (as the report counts them: the papers' count, or a
peer's after `conventions.under`), `memory` (the report's "Estimated total size",
`totals.total_bytes`, or under `--memory training` a training step's), `output` (the final
shape), `rf` (the final receptive field), and
`PATH.params`, `PATH.macs`, `PATH.flops`, `PATH.output`, `PATH.rf` of a labelled block or
row (a path as the table prints it). A count compares with a count; `output` compares with a
shape (`1000`, `2048x7x7`) by `==` or `!=` only. The receptive field has one size per
spatial axis: an ordering (`rf >= 224`) must hold on every axis, `==` and `!=` compare the
whole field, a single number standing for the same size on every axis (`rf == 7` is 7x7).
"""

from __future__ import annotations

import operator
import re
from fractions import Fraction
from typing import Any, NamedTuple

from .errors import CnnCalcError, Span, did_you_mean
from .ir import in_layout
from .numbers import decimal_text, is_concrete, plain, total
from .report import Report
from .sizes import parse_count
from .training import memory_total

COMPARISONS = {"<": operator.lt, "<=": operator.le, "==": operator.eq, ">=": operator.ge,
               ">": operator.gt, "!=": operator.ne}
COUNTS = ("params", "macs", "flops")
QUANTITIES = COUNTS + ("memory", "output", "rf")
SHAPES = ("output",)            # compared by == and != only
BLOCK_QUANTITIES = COUNTS + ("output", "rf")  # what a PATH. may ask for


class Budget(NamedTuple):
    """`what op value`: what = a quantity, or PATH.quantity; value = an int, or a tuple of
    ints for a shape or a field given axis by axis."""

    what: str
    op: str
    value: Any
    text: str                   # as written: `--max-params 25M`, `assert params <= 25M`
    span: Span | None = None    # an assert's place in the spec

    @property
    def quantity(self) -> str:
        return self.what.rpartition(".")[2]

    @property
    def path(self) -> str:
        return self.what.rpartition(".")[0]


class Outcome(NamedTuple):
    budget: Budget
    actual: Any                 # int, tuple (a shape, a field) or a symbolic value
    ok: bool | None             # None: it depends on names that have no value

    @property
    def failed(self) -> bool:
        return self.ok is False


def check_budget(budget: Budget) -> Budget:
    """A budget that can be judged at all, or a located error saying why not."""
    quantity, path = budget.quantity, budget.path
    known = BLOCK_QUANTITIES if path else QUANTITIES
    if quantity not in known:
        hint = did_you_mean(quantity, known) or f" (one of {', '.join(known)})"
        raise error(f"'{quantity}' is not a quantity a budget can name{hint}", budget)
    if quantity in SHAPES and budget.op not in ("==", "!="):
        raise error(f"a shape has no order: compare '{budget.what}' with == or !=", budget)
    if quantity not in SHAPES + ("rf",) and isinstance(budget.value, tuple):
        raise error(f"'{budget.what}' is a count; compare it with a number such as 25M, "
                    f"not a shape", budget)
    return budget


OPTIONS = {"params": "--max-params", "macs": "--max-macs", "flops": "--max-flops",
           "memory": "--max-memory", "output": "--output"}


def max_budget(what: str, value: int, written: str | None = None) -> Budget:
    """`--max-params 25M` as a budget: params <= 25000000."""
    return Budget(what, "<=", value, f"{OPTIONS[what]} {value if written is None else written}")


def output_budget(shape: tuple, written: str) -> Budget:
    """`--output 1000` as a budget: output == (1000,)."""
    return Budget("output", "==", tuple(shape), f"--output {written}")


_SHAPE = re.compile(r"[0-9]+(?:[x×][0-9]+)+\Z")
_COUNT = re.compile(r"[0-9]+\Z")


def parse_shape(text: str, span: Span | None, option: str = "") -> tuple:
    """`2048x7x7` -> (2048, 7, 7); `1000` -> (1000,). Every size a whole number."""
    text = text.strip()
    if _SHAPE.match(text) or _COUNT.match(text):
        return tuple(int(part) for part in re.split("[x×]", text))
    raise CnnCalcError(f"'{text}' is not a shape: write e.g. 1000 or 2048x7x7", span,
                       where=option)


def parse_value(text: str, span: Span) -> Any:
    """An assert's value: a count (`25M`, `4.2G`, `1e9`, `25_557_032`) or a shape."""
    if _SHAPE.match(text):
        return parse_shape(text, span)
    try:
        return parse_count(text, "")
    except CnnCalcError as e:
        raise CnnCalcError(e.message, span) from None


def error(message: str, budget: Budget) -> CnnCalcError:
    """An error about a budget: at an assert's place, or naming the option it came from."""
    return CnnCalcError(message, budget.span,
                        where="" if budget.span else budget.text.split()[0])


def judge(report: Report, budgets) -> list[Outcome]:
    """Each budget's outcome on the report, in the order given."""
    return [_outcome(report, b) for b in budgets]


def report_macs(report: Report, rows=None):
    """The MACs a budget reads: the report's own count — the papers' (conv, deconv and fc
    weights × positions, dsl.md §5), or a peer's where the report was recounted under
    `--convention` (`conventions.under`)."""
    return report.totals.macs if rows is None else total(r.macs for r in rows)


def _outcome(report: Report, b: Budget) -> Outcome:
    actual = _actual(report, b)
    quantity = b.quantity
    if quantity in SHAPES:
        value = b.value if isinstance(b.value, tuple) else (b.value,)
    elif quantity == "rf" and not isinstance(b.value, tuple):
        value = (b.value,) * len(actual)
    else:
        value = b.value
    parts = actual if isinstance(actual, tuple) else (actual,)
    if not all(is_concrete(plain(p)) for p in parts):
        return Outcome(b, actual, None)
    actual = tuple(plain(p) for p in actual) if isinstance(actual, tuple) else plain(actual)
    compare = COMPARISONS[b.op]
    if isinstance(actual, tuple) and b.op not in ("==", "!="):  # a field: every axis
        if len(value) != len(actual):
            raise _axes_error(b, actual)
        return Outcome(b, actual, all(compare(a, v) for a, v in zip(actual, value)))
    if isinstance(actual, tuple) and quantity == "rf" and len(value) != len(actual):
        raise _axes_error(b, actual)
    return Outcome(b, actual, compare(actual, value))


def _axes_error(b: Budget, actual: tuple) -> CnnCalcError:
    return error(f"the receptive field has {len(actual)} axes; give one size for every "
                 f"axis or one per axis", b)


def _actual(report: Report, b: Budget):
    t, quantity = report.totals, b.quantity
    if not b.path:
        return {"params": lambda: t.params, "macs": lambda: report_macs(report),
                "flops": lambda: t.flops, "memory": lambda: memory_total(report),
                "output": lambda: tuple(in_layout(t.output_shape, report.input.layout)),
                "rf": lambda: tuple(t.rf)}[quantity]()
    rows = [r for r in report.rows
            if ".".join(r.path) == b.path or ".".join(r.path).startswith(b.path + ".")]
    if not rows:
        known = sorted({".".join(r.path[:i]) for r in report.rows
                        for i in range(1, len(r.path) + 1)})
        raise error(f"no layer or block '{b.path}'{did_you_mean(b.path, known)}", b)
    last = rows[-1]  # rows are in execution order: the block's output is its last row's
    return {"params": lambda: total(r.params for r in rows),
            "macs": lambda: report_macs(report, rows),
            "flops": lambda: total(r.flops for r in rows),
            "output": lambda: tuple(in_layout(last.output_shape, report.input.layout)),
            "rf": lambda: tuple(last.rf)}[quantity]()


def by_how_much(outcome: Outcome) -> str:
    """How far a failed count is from its budget: `557,032 over (2.2%)`; '' for a shape."""
    actual, value = outcome.actual, outcome.budget.value
    if not isinstance(actual, int) or not isinstance(value, int):
        return ""
    gap = abs(actual - value)
    side = "over" if actual > value else "under" if actual < value else "at the limit"
    if not gap:
        return side
    share = f" ({decimal_text(Fraction(gap * 100, value), '.1f')}%)" if value else ""
    return f"{gap:,} {side}{share}"


class Judged(NamedTuple):
    """One spec's verdict: its report and the outcome of every budget (the command line's,
    then its own asserts), or the error that made it invalid."""

    spec: str
    report: Report | None
    outcomes: list[Outcome]
    error: CnnCalcError | None = None

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.failed]

    @property
    def verdict(self) -> str:
        return "invalid" if self.error else "failed" if self.failures else "passed"


def enforce(spec: str, report: Report, budgets) -> Judged:
    """What `check` holds a spec to: the budgets given and the spec's own asserts; one that
    cannot be decided (a value with names in it) makes the spec invalid."""
    outcomes = judge(report, list(budgets) + list(report.asserts))
    for o in outcomes:
        if o.ok is None:
            b = o.budget
            parts = o.actual if isinstance(o.actual, tuple) else (o.actual,)
            used = set().union(*(getattr(p, "free_symbols", set()) for p in parts))
            names = ", ".join(s.name for s in report.symbols if s in used)
            raise error(f"'{b.text}' cannot be decided: {b.what} depends on {names} (give "
                        f"values with -D NAME=VALUE or --input)", b)
    return Judged(spec, report, outcomes)


def exit_status(judged) -> int:
    """2 if any spec is invalid, else 1 if any budget fails, else 0 (cli.md)."""
    verdicts = {j.verdict for j in judged}
    return 2 if "invalid" in verdicts else 1 if "failed" in verdicts else 0
