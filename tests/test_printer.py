"""The symbolic printer: course notation for the terminal, sympify-able text for JSON.

Every expected string is written out by hand. The property test at the end builds random
expressions (sums, products, floors over numeric and symbolic divisors, ceilings, Mod, Max)
and checks that the ASCII text parses back to an expression equal at many integer points.
"""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational as R

from cnncalc.symbolic.printer import congruence_text, to_text

POS = dict(integer=True, positive=True)
C, H, W, K, F, S, P = sympy.symbols("C H W K F S P", **POS)
a, b = sympy.symbols("a b", **POS)
# `input CxHxW | conv K k=F s=S p=P`
ORDER = ("C", "H", "W", "K", "F", "S", "P")
floor, ceiling, Mod, Max = sympy.floor, sympy.ceiling, sympy.Mod, sympy.Max


def both(expr, order=ORDER):
    return to_text(expr, order), to_text(expr, order, unicode=False)


def back(text, expr):
    return sympy.sympify(text, locals={s.name: s for s in expr.free_symbols})


# --- the examples of the brief -----------------------------------------------------------------

@pytest.mark.parametrize("expr, order, unicode, ascii_", [
    # the conv size, spec order: H, then −F, then +2P (the course's (W − K + 2P)/S + 1)
    ((H - F + 2 * P) // S + 1, ORDER, "⌊(H − F + 2P)/S⌋ + 1", "floor((H - F + 2*P)/S) + 1"),
    # sympy may hold the argument expanded: H/S - F/S + 2P/S
    (floor(H / S - F / S + 2 * P / S) + 1, ORDER,
     "⌊(H − F + 2P)/S⌋ + 1", "floor((H - F + 2*P)/S) + 1"),
    # a multiple of S in the numerator leaves the floor
    (floor((H - F + 2 * P + S) / S), ORDER, "⌊(H − F + 2P)/S⌋ + 1", "floor((H - F + 2*P)/S) + 1"),
    (ceiling(H / 32), ORDER, "⌈H/32⌉", "ceiling(H/32)"),
    # no order: alphabetical
    (C * F**2 * K + K, (), "C·F²·K + K", "C*F**2*K + K"),
    (C * F**2 * K + K, ORDER, "C·K·F² + K", "C*K*F**2 + K"),
    # rule 1: 31 + 1 is a multiple of 32, a ceiling
    (floor(H / 32 + R(31, 32)), ORDER, "⌈H/32⌉", "ceiling(H/32)"),
    (floor(H / 2 + R(3, 2)), ORDER, "⌈H/2⌉ + 1", "ceiling(H/2) + 1"),
    # rule 2: the constant is a multiple of the divisor
    (floor(H / 2), ORDER, "⌊H/2⌋", "floor(H/2)"),
    (floor(H / 2 + 2, evaluate=False), ORDER, "⌊H/2⌋ + 2", "floor(H/2) + 2"),  # sympy would pull 2
    # rule 3: |B| < M stays inside
    (floor(H / 32 + R(17, 32)), ORDER, "⌊(H + 17)/32⌋", "floor((H + 17)/32)"),
    (floor(H / 32 - R(31, 32)), ORDER, "⌊(H − 31)/32⌋", "floor((H - 31)/32)"),
    # rule 4: whole multiples out, the constant inside in [0, M)
    (floor(H / 3 + R(4, 3)), ORDER, "⌊(H + 1)/3⌋ + 1", "floor((H + 1)/3) + 1"),
    (floor(H / 3 - R(40, 3)), ORDER, "⌈H/3⌉ − 14", "ceiling(H/3) - 14"),   # -40 + 1 = -13·3
    (floor(H / 32 - R(40, 32)), ORDER, "⌊(H + 24)/32⌋ − 2", "floor((H + 24)/32) - 2"),
    # the integer beside the floor joins the one pulled out: 1 + 2
    (floor(H / 2 + R(3, 2)) + 2, ORDER, "⌈H/2⌉ + 3", "ceiling(H/2) + 3"),
    (9408 * floor(H / 2 + R(1, 2)) * floor(W / 2 + R(1, 2)), ORDER,
     "9408·⌈H/2⌉·⌈W/2⌉", "9408*ceiling(H/2)*ceiling(W/2)"),
    # a product with floors: plain factors first, by the spec order
    (C * K * F**2 * ((H - F + 2 * P) // S + 1) * ((W - F + 2 * P) // S + 1), ORDER,
     "C·K·F²·(⌊(H − F + 2P)/S⌋ + 1)·(⌊(W − F + 2P)/S⌋ + 1)",
     "C*K*F**2*(floor((H - F + 2*P)/S) + 1)*(floor((W - F + 2*P)/S) + 1)"),
    # a sum of such products, term by term
    (K * F**2 * C * ((H - F + 2 * P) // S + 1) + K, ORDER,
     "C·K·F²·(⌊(H − F + 2P)/S⌋ + 1) + K", "C*K*F**2*(floor((H - F + 2*P)/S) + 1) + K"),
    # the normal form's ceiling with a symbolic stride: floor((H - 1)/S) + 1, which is also
    # what sympy makes of floor((H + S - 1)/S); a ceil_mode pool's ⌈(H − K)/S⌉ + 1
    (floor((H - 1) / S) + 1, ORDER, "⌈H/S⌉", "ceiling(H/S)"),
    (floor((H + S - 1) / S), ORDER, "⌈H/S⌉", "ceiling(H/S)"),
    (floor(H / S - K / S - 1 / S) + 2, ORDER, "⌈(H − K)/S⌉ + 1", "ceiling((H - K)/S) + 1"),
    (floor((H - 2) / S) + 1, ORDER, "⌊(H − 2)/S⌋ + 1", "floor((H - 2)/S) + 1"),
    (H - F, (), "−F + H", "-F + H"),
    (H - F, ORDER, "H − F", "H - F"),
    (2 * P, ORDER, "2P", "2*P"),
    (3 * H**2, ORDER, "3H²", "3*H**2"),
    (H**3 * W**4, ORDER, "H³·W⁴", "H**3*W**4"),
    (2 * H * W, ORDER, "2·H·W", "2*H*W"),
    (R(3, 2) * H, ORDER, "3H/2", "3*H/2"),
    (H / (2 * S), ORDER, "H/(2S)", "H/(2*S)"),
    (Mod(H, 2), ORDER, "H mod 2", "Mod(H, 2)"),
    (Mod(H + 1, 32), ORDER, "(H + 1) mod 32", "Mod(H + 1, 32)"),
    (Mod(H, 2) + 1, ORDER, "(H mod 2) + 1", "Mod(H, 2) + 1"),
    (Max(a, b), ORDER, "max(a, b)", "Max(a, b)"),
    (sympy.Min(a, b), ORDER, "min(a, b)", "Min(a, b)"),
    (Max(H - 3, 2), ORDER, "max(H − 3, 2)", "Max(H - 3, 2)"),
    (sympy.Ge(H, 63), ORDER, "H ≥ 63", "H >= 63"),
    (sympy.Le(H, 63), ORDER, "H ≤ 63", "H <= 63"),
    (sympy.Gt(H, 63), ORDER, "H > 63", "H > 63"),
    (sympy.Lt(H, 63), ORDER, "H < 63", "H < 63"),
    (sympy.Eq(H, W), ORDER, "H = W", "Eq(H, W)"),
    (sympy.Ne(H, W), ORDER, "H ≠ W", "Ne(H, W)"),
    (sympy.Eq(Mod(H, 32), 1), ORDER, "H mod 32 = 1", "Eq(Mod(H, 32), 1)"),
    (sympy.Ge(floor(H / 32 + R(31, 32)), 2), ORDER, "⌈H/32⌉ ≥ 2", "ceiling(H/32) >= 2"),
    (sympy.And(sympy.Ge(H, 63), sympy.Ge(W, 63)), ORDER,
     "H ≥ 63 and W ≥ 63", "And(H >= 63, W >= 63)"),
    (sympy.Or(sympy.Ge(H, 63), sympy.Lt(W, 3)), ORDER,
     "H ≥ 63 or W < 3", "Or(H >= 63, W < 3)"),
    (R(3, 2), ORDER, "3/2", "3/2"),
    (R(-3, 2), ORDER, "−3/2", "-3/2"),
    (sympy.Integer(7), ORDER, "7", "7"),
    (7, ORDER, "7", "7"),
    (-7, ORDER, "−7", "-7"),
    (Fraction(3, 2), ORDER, "3/2", "3/2"),
])
def test_examples(expr, order, unicode, ascii_):
    assert both(expr, order) == (unicode, ascii_)


def test_a_single_symbol_numerator_has_no_parentheses():
    assert to_text(floor(H / 2)) == "⌊H/2⌋"
    assert to_text(floor((H + W) / 2 + R(1, 2))) == "⌈(H + W)/2⌉"


def test_terms_not_in_the_order_come_after_it_alphabetically_and_numbers_last():
    assert to_text(7 + b + a + W + H, ("W", "H")) == "W + H + a + b + 7"


def test_a_floor_term_sorts_by_its_first_symbol():
    expr = K + floor(H / 2 + R(1, 2)) + C
    assert to_text(expr, ORDER) == "C + ⌈H/2⌉ + K"


def test_nested_floors_are_printed_from_the_inside_out():
    # floor((ceil(H/2) + 1)/2): the outer one is itself a ceiling of the inner
    expr = floor(floor(H / 2 + R(1, 2)) / 2 + R(1, 2))
    assert both(expr) == ("⌈⌈H/2⌉/2⌉", "ceiling(ceiling(H/2)/2)")


def test_the_minus_is_u2212_with_spaces_when_binary():
    text = to_text(H - F - 1, ORDER)
    assert text == "H − F − 1"
    assert "-" not in text


def test_strings_are_refused_rather_than_parsed():
    with pytest.raises(TypeError):
        to_text("H + 1")


def test_the_rules_over_every_small_divisor_and_constant():
    # floor((H + B)/M) + 5 for every M <= 12 and |B| <= 30, against its own text over two
    # periods of H (both sides repeat with period M, up to a whole step)
    for m in range(1, 13):
        for b in range(-30, 31):
            expr = floor(H / m + R(b, m)) + 5
            parsed = back(to_text(expr, unicode=False), expr)
            assert all(parsed.xreplace({H: n}) == expr.xreplace({H: n})
                       for n in range(1, 2 * m + 2)), (m, b)


def test_multiples_of_a_symbolic_divisor_leave_the_floor():
    for k in range(0, 4):
        for c in (-2, -1, 0, 1):
            expr = floor((H + k * S + c) / S)
            parsed = back(to_text(expr, unicode=False), expr)
            for h in range(1, 12):
                for s in range(1, 6):
                    at = {H: h, S: s}
                    assert parsed.xreplace(at) == expr.xreplace(at), (k, c, at)
    assert to_text(floor((H + 2 * S + K * S - 1) / S), ORDER) == "⌈H/S⌉ + K + 1"


def test_a_ceiling_needs_an_integer_numerator():
    # x real: floor((x + 1)/2) is not ceiling(x/2) (x = 1/2 gives 0 and 1)
    x = sympy.Symbol("x", positive=True)
    expr = floor(x / 2 + R(1, 2))
    assert both(expr) == ("⌊(x + 1)/2⌋", "floor((x + 1)/2)")
    parsed = back(to_text(expr, unicode=False), expr)
    for n in range(1, 20):
        assert parsed.subs(x, R(n, 4)) == expr.subs(x, R(n, 4))


@pytest.mark.parametrize("name, modulus, residues, unicode, ascii_", [
    ("H", 2, [0], "H even", "Eq(Mod(H, 2), 0)"),
    ("H", 2, [1], "H odd", "Eq(Mod(H, 2), 1)"),
    ("H", 32, [1], "H ≡ 1 (mod 32)", "Eq(Mod(H, 32), 1)"),
    ("H", 4, [1, 2], "H ≡ 1 or 2 (mod 4)", "Or(Eq(Mod(H, 4), 1), Eq(Mod(H, 4), 2))"),
    ("H", 8, [1, 3, 6], "H ≡ 1, 3 or 6 (mod 8)",
     "Or(Eq(Mod(H, 8), 1), Eq(Mod(H, 8), 3), Eq(Mod(H, 8), 6))"),
    # reduced to the smallest modulus: {0, 2} mod 4 is every even number, {1, 3} every odd one
    ("H", 4, [0, 2], "H even", "Eq(Mod(H, 2), 0)"),
    ("H", 4, [1, 3], "H odd", "Eq(Mod(H, 2), 1)"),
    ("H", 32, [1, 17], "H ≡ 1 (mod 16)", "Eq(Mod(H, 16), 1)"),
    ("H", 12, [1, 4, 7, 10], "H ≡ 1 (mod 3)", "Eq(Mod(H, 3), 1)"),
    ("H", 32, [33, -31], "H ≡ 1 (mod 32)", "Eq(Mod(H, 32), 1)"),   # residues taken mod 32
    ("H", 4, [0, 1, 2, 3], "true", "True"),
    ("H", 4, [], "false", "False"),
])
def test_congruences(name, modulus, residues, unicode, ascii_):
    assert congruence_text(name, modulus, residues) == unicode
    assert congruence_text(name, modulus, residues, unicode=False) == ascii_


def test_congruence_ascii_parses_to_the_same_condition():
    h = sympy.Symbol("H", **POS)
    for modulus, residues in [(2, [0]), (32, [1]), (4, [1, 2]), (12, [1, 4, 7, 10])]:
        condition = sympy.sympify(congruence_text("H", modulus, residues, unicode=False),
                                  locals={"H": h})
        for n in range(1, 50):
            assert bool(condition.subs(h, n)) == (n % modulus in residues)


# --- round trip ----------------------------------------------------------------------------------

X = sympy.Symbol("X", **POS)
Y = sympy.Symbol("Y", **POS)
Z = sympy.Symbol("Z", integer=True, nonnegative=True)
D = sympy.Symbol("D", **POS)                     # a divisor: positive, never zero
SYMBOLS = (X, Y, Z, D)

small_int = st.integers(-6, 6).map(sympy.Integer)
rational = st.builds(lambda p, q: R(p, q), st.integers(-9, 9), st.integers(1, 6))
leaf = st.one_of(st.sampled_from(SYMBOLS), small_int, rational)


def _floor_over(terms, coeffs, constant, divisor, expanded):
    """floor((sum of integer multiples of terms + constant)/divisor), in the forms sympy and
    the engine produce: Mul(Add, 1/divisor), or expanded into one Add."""
    numerator = sum((c * t for c, t in zip(coeffs, terms)), sympy.Integer(constant))
    arg = numerator / divisor
    return floor(sympy.expand(arg) if expanded else arg)


def _extend(children):
    # The engine floors sums of integer-valued terms: mostly symbols, sometimes anything.
    term = st.one_of(st.sampled_from(SYMBOLS), st.sampled_from(SYMBOLS), children)
    terms = st.lists(term, min_size=1, max_size=3)
    coeffs = st.lists(st.integers(-4, 4), min_size=3, max_size=3)
    numeric = st.integers(1, 33).map(sympy.Integer)
    symbolic = st.sampled_from([D, 2 * D, 3 * D, D * X])
    return st.one_of(
        st.builds(lambda x, y: x + y, children, children),
        st.builds(lambda x, y: x - y, children, children),
        st.builds(lambda x, y: x * y, children, children),
        # floors over a numeric divisor (the rules 1-4), twice as likely as the rest
        st.builds(_floor_over, terms, coeffs, st.integers(-70, 70), numeric, st.booleans()),
        st.builds(_floor_over, terms, coeffs, st.integers(-70, 70), numeric, st.booleans()),
        st.builds(_floor_over, terms, coeffs, st.integers(-70, 70), symbolic, st.booleans()),
        # whole multiples of a symbolic divisor, and the normal form's ceiling with one:
        # floor((x + D·k - 1)/D)
        st.builds(lambda x, k, c: floor((x + k * D + c) / D), term, st.integers(0, 3),
                  st.sampled_from([-1, -1, 0, 2])),
        st.builds(lambda x, m: ceiling(x / m), children, st.integers(1, 9)),
        st.builds(lambda x, m: Mod(x, m), children,
                  st.one_of(st.integers(1, 9).map(sympy.Integer), st.just(D))),
        st.builds(Max, children, children),
    )


expressions = st.recursive(leaf, _extend, max_leaves=8)
points = st.lists(st.tuples(*[st.integers(1, 60)] * len(SYMBOLS)), min_size=8, max_size=8)


@settings(max_examples=200, deadline=None)
@given(expressions, points)
def test_ascii_text_parses_back_to_an_equal_expression(expr, values):
    text = to_text(expr, ("Y", "X"), unicode=False)
    assert "Dummy" not in text and "_" not in text
    parsed = sympy.sympify(text, locals={s.name: s for s in SYMBOLS})
    for point in values:
        at = {s: sympy.Integer(v) for s, v in zip(SYMBOLS, point)}
        # xreplace is subs for plain symbols, several times faster; both sides evaluate to
        # exact numbers
        expected = expr.xreplace(at)
        assert expected.is_Number and parsed.xreplace(at) == expected, (text, at)
    # the terminal flavour is written from the same choices; it must at least not fail
    pretty = to_text(expr, ("Y", "X"))
    assert "Dummy" not in pretty and "**" not in pretty


def test_an_even_max_over_six_stays_inside_its_floor():
    # sympy 1.14 takes Max(4, 2H)/6 for an integer (an even atom, one factor 2 below); at
    # H = 1 it is 4/6, so ⌊max(2H, 4)/6⌋ + 1 = 1 and the floor must stay
    expr = floor(Max(4, 2 * H) / 6, evaluate=False) + 1
    assert both(expr) == ("⌊max(2H, 4)/6⌋ + 1", "floor(Max(2*H, 4)/6) + 1")
