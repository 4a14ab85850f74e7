"""One number domain: the arithmetic every formula and rule does, on Python ints and on sympy
expressions alike.

A formula may use `+`, `-` and `*` directly; division, rounding, comparison and choice go
through the functions here, which stay in plain Python for concrete values and hand symbolic
ones to `symbolic` (only a value that already is a sympy object makes this module import
sympy). Checks go through `Conditions.require`: decided true, nothing happens; decided false,
the located error; undecided (a symbol is involved), a condition is kept for the report.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, NamedTuple

from .errors import CnnCalcError, Span
from .trace import Traced, apply as _traced_apply, value_of

# A larger tensor axis is a typo, and would make every sum crawl.
MAX_DIM = 2 ** 48

# What a spec may write or compute (a number literal, -D, a value computed from them, a
# def's argument) and what the analysis may produce (parameters, MACs, bytes, receptive
# fields): beyond these a number is a typo or a runaway (a def squaring its argument at
# every call), and would make the arithmetic, and printing it, crawl. Names make a value a
# formula: its size (nodes, a shared part counted each time it occurs), its terms once
# multiplied out and its degree are bounded too, since sympy's expansion, sign and
# simplification rules grow steeply with each.
MAX_DIGITS = 300
MAX_FIGURE_DIGITS = 1000
MAX_NODES = 100
MAX_TERMS = 100
MAX_DEGREE = 8
# A tensor size with names: real networks give a few parts (⌈H/32⌉ is 6, AlexNet's 8, two
# ceil-mode pools of stride S 85); one that grows from layer to layer (a stride that is a
# name, under pools with ceil) makes sympy crawl long before it is unreadable.
MAX_SIZE_NODES = 100
# A receptive field with names: where branches meet, a field that a name decides is the
# largest of each branch's, and those maxima nest from block to block (EfficientNet with its
# kernel and stride as names: 417 parts after its second stage, 1,748 after its third, and
# minutes to print; a field of 300 parts takes explain about 3 s); fields of real networks
# with names in their sizes hold a few parts.
MAX_FIGURE_NODES = 300
_LIMITS = {digits: 10 ** digits for digits in (MAX_DIGITS, MAX_FIGURE_DIGITS)}


def is_concrete(value: Any) -> bool:
    """An int or Fraction, or a sympy number (`sympy.Integer(7)` counts); a traced value
    (`explain`) is concrete when what it holds is."""
    if type(value) is Traced:
        value = value.value
    return isinstance(value, (int, Fraction)) or getattr(value, "is_Number", False)


def _traced(a, b=None) -> bool:
    return type(a) is Traced or type(b) is Traced


def plain(value: Any) -> Any:
    """A concrete value as a Python int (or a Fraction when not whole); anything symbolic is
    returned unchanged. Reports and errors only ever see these."""
    if isinstance(value, int):
        return value
    if type(value) is Traced:
        return plain(value.value)
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else value
    if getattr(value, "is_Integer", False):
        return int(value)
    if getattr(value, "is_Rational", False):
        return plain(Fraction(int(value.p), int(value.q)))
    return value



def _sym():
    from .symbolic import normal  # imports sympy: only ever reached with a symbolic value

    return normal


# --- arithmetic ---------------------------------------------------------------------------

def floor_div(a, b):
    """floor(a/b) for integer-valued a and positive b (sympy: in the normal form)."""
    if isinstance(a, int) and isinstance(b, int):
        return a // b
    if _traced(a, b):
        return _traced_apply("floor/", floor_div, a, b)
    if is_concrete(a) and is_concrete(b):
        return plain(Fraction(plain(a)) // Fraction(plain(b)))
    return plain(_sym().floor_div(a, b))


def ceil_div(a, b):
    """ceiling(a/b) for integer-valued a and positive b."""
    if isinstance(a, int) and isinstance(b, int):
        return -(-a // b)
    if _traced(a, b):
        return _traced_apply("ceil/", ceil_div, a, b)
    if is_concrete(a) and is_concrete(b):
        return plain(-(Fraction(-plain(a)) // Fraction(plain(b))))
    return plain(_sym().ceil_div(a, b))


def mod(a, b):
    """a mod b, in [0, b): a - b·floor(a/b)."""
    if isinstance(a, int) and isinstance(b, int):
        return a % b
    if _traced(a, b):
        return _traced_apply("mod", mod, a, b)
    return plain(a - b * floor_div(a, b))


def exact_div(a, b):
    """a/b exactly: a Fraction (an int when whole) or a sympy quotient."""
    if _traced(a, b):
        return _traced_apply("/", exact_div, a, b)
    if is_concrete(a) and is_concrete(b):
        return plain(Fraction(plain(a)) / Fraction(plain(b)))
    return plain(_sym().to_sympy(a) / _sym().to_sympy(b))


def common_divisor(a, b):
    """gcd(a, b) of whole numbers. Where a symbol makes it unknown it is taken as 1, which is
    exact whenever either is 1 (a dilation or stride of 1, the usual case)."""
    a, b = value_of(a), value_of(b)
    if is_concrete(a) and is_concrete(b):
        import math

        return math.gcd(int(a), int(b))
    return 1


def half(value):
    """value/2 exactly (the centre of a window)."""
    return exact_div(value, 2)


def maximum(a, b):
    return _extremum(a, b, largest=True)


def minimum(a, b):
    return _extremum(a, b, largest=False)


def _extremum(a, b, largest: bool):
    """max(a, b) (or min): one of them where it is decided which, else a flat Max."""
    if _traced(a, b):
        return _traced_apply("max" if largest else "min",
                             lambda x, y: _extremum(x, y, largest), a, b)
    if decide(at_least(a, b)) is True:
        return a if largest else b
    if decide(at_least(b, a)) is True:
        return b if largest else a
    return plain(_sym().extremum(a, b, largest))


def total(values):
    """The sum of many values: ints added in Python, symbolic terms handed to sympy at once
    (adding them one by one would rebuild the sum each time)."""
    concrete, symbolic = 0, []
    for v in values:
        if is_concrete(v):
            concrete += plain(v)
        else:
            symbolic.append(v)
    if not symbolic:
        return concrete
    import sympy

    return plain(sympy.Add(concrete, *symbolic))


def product(values, start=1):
    """start·v1·v2·…; without a start, the first value begins the product, so a traced
    product reads F·F, not 1·F·F."""
    result = None
    for v in values:
        result = v if result is None else result * v
    if result is None:
        return start
    return result if start == 1 else start * result


# --- predicates -----------------------------------------------------------------------------

def equal(a, b):
    """a = b as a predicate (sympy's `==` compares structure, not value)."""
    a, b = value_of(a), value_of(b)
    if is_concrete(a) and is_concrete(b):
        return plain(a) == plain(b)
    return _sym().equal(a, b)


def at_least(a, b):
    a, b = value_of(a), value_of(b)
    if is_concrete(a) and is_concrete(b):
        return plain(a) >= plain(b)
    return _sym().to_sympy(a) >= _sym().to_sympy(b)


def greater(a, b):
    a, b = value_of(a), value_of(b)
    if is_concrete(a) and is_concrete(b):
        return plain(a) > plain(b)
    return _sym().to_sympy(a) > _sym().to_sympy(b)


def either(p, q):
    """p or q, as a predicate."""
    if isinstance(p, bool) and isinstance(q, bool):
        return p or q
    import sympy

    return sympy.Or(p, q)


def divides(m, a):
    """m divides a (m positive)."""
    m, a = value_of(m), value_of(a)
    if is_concrete(a) and is_concrete(m):
        return plain(a) % plain(m) == 0
    if not is_concrete(m):  # a symbolic divisor: kept as `a mod m = 0`, as people write it
        import sympy

        return equal(sympy.Mod(_sym().to_sympy(a), m), 0)
    return equal(mod(a, m), 0)


def decide(pred) -> bool | None:
    """True, False, or None when it depends on values the spec left as symbols."""
    if isinstance(pred, bool):
        return pred
    from .symbolic.decide import decide as decide_symbolic

    return decide_symbolic(pred)


def where(pred, a, b):
    """a where pred holds, else b; undecided, a piecewise value."""
    if _traced(a, b):  # a choice has no formula to show: the traced value is what it chose
        return Traced(where(value_of(pred), value_of(a), value_of(b)))
    verdict = decide(pred)
    if verdict is True:
        return a
    if verdict is False:
        return b
    return _sym().piecewise(pred, a, b)


def symbol(name: str, nonnegative: bool = False):
    """A spec's unbound name: an integer unknown, positive unless it was first used as a
    padding (where 0 is allowed)."""
    import sympy

    if nonnegative:
        return sympy.Symbol(name, integer=True, nonnegative=True)
    return sympy.Symbol(name, integer=True, positive=True)


def show(value, order=()) -> str:
    """A value as a person reads it: 7, 3/2, ⌈H/32⌉."""
    value = value_of(value)
    if is_concrete(value):
        return str(plain(value))
    from .symbolic.printer import to_text

    return to_text(value, order)


def show_shape(shape, order=()) -> str:
    """3x224x224; a size that is a formula in parentheses: 64x(⌊(H − F + 2P)/S⌋ + 1)."""
    parts = []
    for d in shape:
        text = show(d, order)
        parts.append(f"({text})" if _compound(text) else text)
    return "x".join(parts)


def _compound(text: str) -> bool:
    """A sum or product outside every bracket: ⌈H/2⌉ − 1 is, ⌊(H − 31)/32⌋ is not."""
    depth = 0
    for i, c in enumerate(text):
        if c in "(⌊⌈":
            depth += 1
        elif c in ")⌋⌉":
            depth -= 1
        elif depth == 0 and (c == "·" or (c in "+−" and i > 0)):
            return True
    return False


def too_large(value, limit) -> bool:
    """A concrete value beyond `limit`; a symbol has no size to exceed."""
    return is_concrete(value) and abs(plain(value)) > limit


def literal(text: str, span: Span | None = None, where: str = "") -> Fraction | int:
    """A number as written (`224`, `0.5`): an int, or a Fraction; more than MAX_DIGITS
    digits is an error (Python would refuse to read 4,300)."""
    digits = sum(c.isdigit() for c in text)
    if digits > MAX_DIGITS:
        raise CnnCalcError(f"a number of {digits:,} digits is too long (at most "
                           f"{MAX_DIGITS})", span, where)
    return Fraction(text) if "." in text else int(text)


def bounded(value, span: Span | None, what: str | Callable[[], str] = "this value", *,
            figure: bool = False, where: str = ""):
    """`value`, or the error for one too large to work with: more than MAX_DIGITS digits
    for a value written or computed in a spec (MAX_FIGURE_DIGITS for a figure of the
    analysis); a written formula also has at most MAX_NODES parts, MAX_TERMS terms once
    multiplied out and degree MAX_DEGREE (the analysis's own formulas are larger)."""
    digits = MAX_FIGURE_DIGITS if figure else MAX_DIGITS
    limit = _LIMITS[digits]
    v = value.value if type(value) is Traced else value
    if isinstance(v, int):
        if -limit < v < limit:
            return value
        problem = f"has more than {digits:,} digits"
    elif isinstance(v, Fraction):
        if -limit < v.numerator < limit and v.denominator < limit:
            return value
        problem = f"has more than {digits:,} digits"
    elif isinstance(v, tuple):
        for item in v:
            bounded(item, span, what, figure=figure, where=where)
        return value
    elif not hasattr(v, "args"):  # bool, str, None: nothing to bound
        return value
    else:
        problem = _formula_problem(v, limit, digits, nodes=not figure)
        if problem is None:
            return value
    what = what() if callable(what) else what
    raise CnnCalcError(f"{what} {problem} (the limit of what cnncalc computes with)", span,
                       where)


def bounded_figures(values, span: Span | None, what: str | Callable[[], str]) -> None:
    """`bounded(v, span, what, figure=True)` for each value, with a quick path for the ints
    that nearly every figure is (it runs for every row); a figure with names has at most
    MAX_FIGURE_NODES parts."""
    limit = _LIMITS[MAX_FIGURE_DIGITS]
    for v in values:
        if type(v) is not int or not -limit < v < limit:
            bounded(v, span, what, figure=True)
            bounded_size(v, span, what if callable(what) else lambda: what, MAX_FIGURE_NODES)


def bounded_size(value, span: Span | None, what: Callable[[], str],
                 most: int = MAX_SIZE_NODES) -> None:
    """A tensor size that is a formula has at most `most` parts (shared parts counted each
    time they occur), or the located error."""
    if is_concrete(value) or not hasattr(value, "args"):
        return
    sizes: dict = {}
    stack = [(value, False)]
    while stack:
        e, ready = stack.pop()
        if e in sizes:
            continue
        if not ready and e.args:
            stack.append((e, True))
            stack.extend((a, False) for a in e.args if a not in sizes)
            continue
        sizes[e] = 1 + sum(sizes[a] for a in e.args)
        if sizes[e] > most:
            raise CnnCalcError(f"{what()} is a formula of more than {most} parts (the "
                               f"limit of what cnncalc computes with): give its names values "
                               f"with -D", span)


def _formula_problem(expr, limit: int, digits: int, nodes: bool) -> str | None:
    """Why a sympy expression is too large (see `bounded`), or None; iterative, and each
    shared part measured once, so a formula far beyond the limits costs little to refuse."""
    measured: dict = {}  # part -> (nodes, degree, terms once multiplied out)
    stack = [(expr, False)]
    while stack:
        e, ready = stack.pop()
        if e in measured:
            continue
        if e.is_Number:
            if e.is_Rational and not (-limit < e.p < limit and e.q < limit):
                return f"has a number of more than {digits:,} digits"
            measured[e] = (1, 0, 1)
            continue
        if e.is_Symbol or not e.args:
            measured[e] = (1, 1 if e.is_Symbol else 0, 1)
            continue
        if not nodes:  # a figure's numbers only: its parts are not bounded
            measured[e] = None
            stack.extend((a, False) for a in e.args if a not in measured)
            continue
        if not ready:
            stack.append((e, True))
            stack.extend((a, False) for a in e.args if a not in measured)
            continue
        parts = [measured[a] for a in e.args]
        size = 1 + sum(p[0] for p in parts)
        if e.is_Add:
            degree, terms = max(p[1] for p in parts), sum(p[2] for p in parts)
        elif e.is_Mul:
            degree, terms = sum(p[1] for p in parts), product(p[2] for p in parts)
        elif e.is_Pow and e.args[1].is_Integer:
            n = min(abs(int(e.args[1])), MAX_NODES * MAX_DEGREE)  # both bounds are met first
            degree, terms = parts[0][1] * n, parts[0][2] ** n
        else:  # floor, Mod, Max, a symbolic power: one term, of its arguments' degree
            degree, terms = max(p[1] for p in parts), 1
        measured[e] = (size, degree, terms)
        if size > MAX_NODES:
            return f"is a formula of more than {MAX_NODES} parts"
        if degree > MAX_DEGREE:
            return f"is a formula of degree {degree}, above {MAX_DEGREE}"
        if terms > MAX_TERMS:
            return f"is a formula of more than {MAX_TERMS} terms once multiplied out"
    return None


def settled(value):
    """A formula that is a number once multiplied out ((H + 1)(H − 1) − H² + 1 is 0) as
    that number, so that the checks on it decide; any other value as it is. Bounded
    formulas (`bounded`) multiply out to at most MAX_TERMS terms."""
    if is_concrete(value) or type(value) is Traced or not hasattr(value, "expand"):
        return value
    expanded = value.expand()
    return plain(expanded) if expanded.is_Number else value


def decimal_text(value, spec: str) -> str:
    """`format(float(value), spec)`, as a number is shown rounded (`4.09 G`, `0.60 MB`,
    `2.33`); a value beyond 2**53, where a float would print digits it does not have (or
    overflow), is formatted from its exact value."""
    value = value_of(value)
    if -2 ** 53 < value < 2 ** 53:
        return format(float(value), spec)
    else:
        from decimal import Decimal, localcontext

        exact = Fraction(plain(value))
        with localcontext() as context:
            context.prec = exact.numerator.bit_length() // 3 + 30  # every digit, and more
            if spec.endswith("g") and "." not in spec:
                spec = spec[:-1] + ".6g"  # a float's default precision
            return format(Decimal(exact.numerator) / Decimal(exact.denominator), spec)


def exact_float(value) -> float | None:
    """The float equal to `value`, or None when no float is (too large, or not a binary
    fraction that fits 53 bits)."""
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if Fraction(f) == value else None


# --- conditions -----------------------------------------------------------------------------

class Condition(NamedTuple):
    """What must hold for the spec to be valid, when it depends on symbols: `pred`, with the
    error that a value breaking it would give, where it was written and in which layer."""

    pred: Any
    message: str
    span: Span | None
    path: tuple


class Conditions:
    """The conditions gathered by the builder and the analysis, in the order they arose."""

    def __init__(self, items=()):
        self.items: list[Condition] = list(items)
        self.path: tuple = ()   # of the layer being looked at, set by the walk
        self._seen: set = set()

    def require(self, pred, message: str | Callable[[], str], span: Span | None) -> None:
        verdict = decide(pred)
        if verdict is True:
            return
        text = message() if callable(message) else message
        if verdict is False:
            raise CnnCalcError(text, span)
        key = (pred, self.path)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(Condition(pred, text, span, self.path))
