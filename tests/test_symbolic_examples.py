"""The examples (examples/*.cnn) with a symbolic input, `--input 3xHxW`.

* the closed forms equal the concrete engine at many sizes (hypothesis);
* the last feature map of each classic net has one rounding, the one the textbooks give;
* the smallest valid input, derived by hand and found by brute force;
* exact tiling as a congruence, with the concrete engine's stride warnings as the oracle.

Each example is analysed symbolically once (module-scope cache). Expected values are hand
arithmetic in comments or computed in the test with plain Python ints; the concrete engine
(numbers, no sympy) is the oracle for validity and warnings.
"""

import functools
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc import CnnCalcError

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"

# every example with a spatial input, and the input shape that keeps its channel count
EXAMPLES = {
    "resnet18": "3xHxW", "resnet50": "3xHxW", "vgg16": "3xHxW", "alexnet": "3xHxW",
    "googlenet": "3xHxW", "mobilenet_v2": "3xHxW", "efficientnet_b0": "3xHxW",
    "shufflenet_v2": "3xHxW", "lenet5": "1xHxW", "zfnet": "3xHxW", "cifar_course": "3xHxW",
    "textcnn": "300xH", "dilated_context": "21xHxW", "dcgan_generator": "100xHxW",
}
MAX_SIZE = 600


def path(name):
    return str(EXAMPLES_DIR / f"{name}.cnn")


@functools.lru_cache(maxsize=None)
def symbolic(name):
    return cnncalc.analyze(path(name), input=EXAMPLES[name])


def concrete_input(name, sizes):
    channels = EXAMPLES[name].split("x")[0]
    return "x".join([channels, *map(str, sizes)])


def concrete(name, sizes):
    return cnncalc.analyze(path(name), input=concrete_input(name, sizes))


def valid(name, sizes):
    try:
        concrete(name, sizes)
        return True
    except CnnCalcError:
        return False


def axes(report):
    """The input's symbolic axes (H, W), in order."""
    dims = report.input.shape[1:]
    assert all(isinstance(d, sympy.Symbol) for d in dims)
    return dims


class Evaluator:
    """Report values at one point, exactly; each distinct expression evaluated once."""

    def __init__(self, env):
        self.env = {k: sympy.Integer(v) for k, v in env.items()}
        self.memo = {}

    def __call__(self, value):
        if isinstance(value, (int, Fraction)):
            return value
        if value not in self.memo:
            v = value.subs(self.env)
            assert v.is_Rational, f"{value} is {v} at {self.env}"
            self.memo[value] = int(v) if v.is_Integer else Fraction(int(v.p), int(v.q))
        return self.memo[value]


def uneven_adaptive(row) -> bool:
    """An adaptive pool whose windows differ in size here (n not a multiple of out): from it
    on the concrete engine writes each position's field out exactly, and the closed forms
    give the largest field only as an upper bound (window k ≥ n/o: r + (k − 1)j + (o − 1)(n/o)j
    ≥ r + (n − 1)j, the hull of all n inputs, which is what an fc after it combines)."""
    if "out=" not in row.source:
        return False
    return any(n % o for n, o in zip(row.input_shape[1:], row.output_shape[1:]))


def assert_same(sym, conc, env):
    ev = Evaluator(env)
    assert len(sym.rows) == len(conc.rows)
    bound = False
    for rs, rc in zip(sym.rows, conc.rows):
        bound = bound or uneven_adaptive(rc)
        where = (rs.index, ".".join(rs.path), env)
        assert (rs.path, rs.kind) == (rc.path, rc.kind), where
        assert tuple(map(ev, rs.input_shape)) == rc.input_shape, where
        assert tuple(map(ev, rs.output_shape)) == rc.output_shape, where
        assert ev(rs.params) == rc.params, where
        assert ev(rs.buffers) == rc.buffers, where
        assert ev(rs.macs) == rc.macs, where
        if bound:
            assert all(a >= b for a, b in zip(map(ev, rs.rf), rc.rf)), where
        else:
            assert tuple(map(ev, rs.rf)) == rc.rf, where
    ts, tc = sym.totals, conc.totals
    assert ev(ts.params) == tc.params
    assert ev(ts.buffers) == tc.buffers
    assert ev(ts.macs) == tc.macs
    assert tuple(map(ev, ts.output_shape)) == tc.output_shape
    if bound:
        assert all(a >= b for a, b in zip(map(ev, ts.rf), tc.rf))
    else:
        assert tuple(map(ev, ts.rf)) == tc.rf
    assert ev(ts.total_bytes) == tc.total_bytes


# --- 2. closed forms equal the concrete engine -----------------------------------------------


@pytest.mark.parametrize("name", EXAMPLES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_closed_forms_equal_concrete(name, data):
    sym = symbolic(name)
    dims = axes(sym)
    lows = sym.summary.min_input[1:]
    sizes = [data.draw(st.integers(lo, MAX_SIZE), label=d.name) for d, lo in zip(dims, lows)]
    assert_same(sym, concrete(name, sizes), dict(zip(dims, sizes)))


# sizes where no stride tiles (224 for the ImageNet nets, odd sizes for VGG, non-squares)
FIXED = [224, 227, 299, 333, 511, 600]


@pytest.mark.parametrize("name", EXAMPLES)
def test_closed_forms_equal_concrete_at_fixed_sizes(name):
    sym = symbolic(name)
    dims = axes(sym)
    lows = sym.summary.min_input[1:]
    cases = [list(lows)] + [[FIXED[i], FIXED[-1 - i]][: len(dims)] for i in range(len(FIXED))]
    for sizes in cases:
        assert_same(sym, concrete(name, sizes), dict(zip(dims, sizes)))


@pytest.mark.parametrize("name", EXAMPLES)
def test_min_input_is_the_boundary(name):
    sym = symbolic(name)
    m = sym.summary.min_input
    assert m is not None and m[0] == int(EXAMPLES[name].split("x")[0])
    lows = list(m[1:])
    concrete(name, lows)  # at min_input: runs
    for i, lo in enumerate(lows):
        if lo > 1:  # one axis just below, the other at its minimum: refused
            below = lows.copy()
            below[i] = lo - 1
            with pytest.raises(CnnCalcError):
                concrete(name, below)


# --- 3. each example's last feature map has one rounding --------------------------------------

H_ = sympy.Symbol("H", integer=True, positive=True)

# Hand derivations, with PyTorch's floor((n + 2p − k)/s) + 1 layer by layer, and the identity
# floor((floor(x) + a)/m) = floor((x + a)/m) for integer a, positive integer m:
# * ResNet-18/50: conv 7/2 p3: floor((H − 1)/2) + 1 = ceil(H/2); maxpool 3/2 p1 and every
#   3x3/2 p1 (1x1/2 shortcut alike): n -> floor((n − 1)/2) + 1 = ceil(n/2); five halvings,
#   ceil(ceil(n/2)/2) = ceil(n/4), ...: ceil(H/32).
# * MobileNetV2: conv 3/2 p1 and four depthwise 3x3/2 p1: ceil(n/2) five times: ceil(H/32).
# * VGG-16: five maxpool 2/2: floor(n/2) five times: floor(H/32).
# * AlexNet: conv 11/4 p2: floor((H − 7)/4) + 1 = floor((H − 3)/4); maxpool 3/2:
#   floor((n − 3)/2) + 1 = floor((n − 1)/2), so floor((H − 3 − 4)/8) = floor((H − 7)/8);
#   conv 5 p2 keeps it; maxpool: floor((H − 15)/16); three conv 3 p1 keep it; maxpool:
#   floor((H − 15 − 16)/32) = floor((H − 31)/32).
# * GoogLeNet: conv 7/2 p3: ceil(H/2) = floor((H + 1)/2); maxpool 3/2 ceil: ceil((n − 3)/2)
#   + 1 = ceil((n − 1)/2) = floor(n/2), and the last window never starts past the input
#   (2·ceil((n − 3)/2) <= n − 2), so floor((H + 1)/4); conv 1 and 3 p1 keep it; maxpool2:
#   floor((H + 1)/8); the inception pool 3/1 p1 ceil keeps the size; maxpool3: floor((H + 1)/16);
#   maxpool4 2/2 ceil: ceil(n/2) = floor((n + 1)/2) = floor((H + 1 + 16)/32) = floor((H + 17)/32).
LAST = {
    "resnet18": (sympy.ceiling(H_ / 32), "ceiling(H/32)"),
    "resnet50": (sympy.ceiling(H_ / 32), "ceiling(H/32)"),
    "mobilenet_v2": (sympy.ceiling(H_ / 32), "ceiling(H/32)"),
    "vgg16": (sympy.floor(H_ / 32), "floor(H/32)"),
    "alexnet": (sympy.floor((H_ - 31) / 32), "floor((H - 31)/32)"),
    "googlenet": (sympy.floor((H_ + 17) / 32), "floor((H + 17)/32)"),
}


def last_feature_map(report):
    """The row before the first average pool (global or adaptive): the last spatial output."""
    i = next(i for i, r in enumerate(report.rows) if r.kind == "avgpool") - 1
    assert len(report.rows[i].output_shape) == 3
    return i


@pytest.mark.parametrize("name", LAST)
def test_last_feature_map_closed_form(name):
    r = symbolic(name)
    H, W = axes(r)
    want, _ = LAST[name]
    row = r.rows[last_feature_map(r)]
    for axis, sym in ((1, H), (2, W)):
        expr = row.output_shape[axis]
        assert expr.free_symbols == {sym}
        assert expr.count(sympy.floor) + expr.count(sympy.ceiling) == 1, expr
        w = want.subs(H_, sym)
        for h in range(1, 700):
            assert expr.subs(sym, h) == w.subs(sym, h), (h, expr, w)


@pytest.mark.parametrize("name", LAST)
def test_last_feature_map_printed_form(name):
    r = symbolic(name)
    i = last_feature_map(r)
    _, text = LAST[name]
    shape = r.to_dict()["layers"][i]["output_shape"]
    assert shape[1] == text
    assert shape[2] == text.replace("H", "W")


# --- 4. smallest valid input -------------------------------------------------------------------


def smallest_square(name, limit=200):
    """Brute force: the least h with a valid 3 x h x h input."""
    return next(h for h in range(1, limit) if valid(name, [h, h]))


def test_alexnet_min_input():
    # Every layer's output must be at least 1, from the last backwards (PyTorch's
    # floor((n + 2p − k)/s) + 1 >= 1 means n + 2p >= k):
    #   maxpool3 3/2 needs 3 inputs; the three conv 3 p1 keep the size: maxpool2 gives >= 3,
    #   so its input n has floor((n − 3)/2) + 1 >= 3: n >= 7; conv 5 p2 keeps it: maxpool1
    #   gives >= 7, so its input n >= 2·6 + 3 = 15; conv1 11/4 p2 gives >= 15:
    #   floor((H + 4 − 11)/4) + 1 >= 15, H − 7 >= 56, H >= 63.
    #   Equivalently floor((H − 31)/32) >= 1 (section 3), H >= 63.
    r = symbolic("alexnet")
    assert r.summary.min_input == (3, 63, 63)
    assert smallest_square("alexnet") == 63
    assert not valid("alexnet", [62, 62]) and valid("alexnet", [63, 63])
    assert not valid("alexnet", [62, 63]) and not valid("alexnet", [63, 62])
    assert all(valid("alexnet", [h, h]) for h in range(63, 130))


def test_vgg16_min_input():
    # five 2x2/2 max pools, each floor(n/2) >= 1, i.e. n >= 2 at the last: floor(H/32) >= 1,
    # H >= 32 (the 3x3 p1 convolutions keep every size >= 1).
    r = symbolic("vgg16")
    assert r.summary.min_input == (3, 32, 32)
    assert smallest_square("vgg16") == 32
    assert not valid("vgg16", [31, 32]) and not valid("vgg16", [32, 31])
    assert all(valid("vgg16", [h, h]) for h in range(32, 100))


def test_googlenet_min_input():
    # with ceil_mode every pool gives ceil((n − k)/s) + 1 (section 3's forms):
    #   maxpool1 3/2: floor(n/2) >= 1 needs n >= 2 with n = floor((H + 1)/2): H >= 3;
    #   maxpool2: floor((H + 1)/8) >= 1: H >= 7; maxpool3: floor((H + 1)/16) >= 1: H >= 15;
    #   maxpool4 2/2: ceil(n/2) >= 1 for any n >= 1. So H >= 15: floor((15 + 17)/32) = 1.
    r = symbolic("googlenet")
    assert r.summary.min_input == (3, 15, 15)
    assert smallest_square("googlenet") == 15
    assert not valid("googlenet", [14, 15]) and not valid("googlenet", [15, 14])
    assert all(valid("googlenet", [h, h]) for h in range(15, 60))


# --- 5. exact tiling as a congruence -----------------------------------------------------------


def tiles(name, h):
    """The oracle: the concrete h x h analysis gives no (stride) warning."""
    return not concrete(name, [h, h]).warnings


def check_exact_when(name, limit=200):
    r = symbolic(name)
    H, W = axes(r)
    stated = r.summary.exact_when
    assert stated
    parsed = [sympy.S(sympy.sympify(s.expr, locals={"H": H, "W": W})) for s in stated]
    per_axis = {}
    for s, e in zip(stated, parsed):
        assert len(e.free_symbols) == 1, s
        per_axis.setdefault(next(iter(e.free_symbols)), []).append(e)
    assert set(per_axis) == {H, W}
    lo = r.summary.min_input[1]
    found = []
    for h in range(lo, limit + 1):
        oracle = tiles(name, h)
        if oracle:
            found.append(h)
        for sym, es in per_axis.items():
            said = all(bool(e.subs(sym, h)) for e in es)
            assert said == oracle, (name, h, [s.text for s in stated])
    return r, found


def test_resnet50_exact_when():
    # conv1 7/2 p3 tiles when (H + 6 − 7) mod 2 = 0: H odd, n1 = (H + 1)/2. The stem max
    # pool 3/2 p1 needs (n1 + 2 − 3) even: n1 odd, H ≡ 1 (mod 4), n2 = (n1 + 1)/2 = (H + 3)/4.
    # Each later stage's 3x3/2 p1 ((n + 2 − 3) mod 2) and 1x1/2 shortcut ((n − 1) mod 2) need
    # n odd and give (n + 1)/2. With H = 32m + 1: n1 = 16m + 1, n2 = 8m + 1, n3 = 4m + 1,
    # n4 = 2m + 1 are all odd; conversely each step forces one more bit: H ≡ 1 (mod 32).
    r, found = check_exact_when("resnet50")
    assert [s.text for s in r.summary.exact_when] == ["H ≡ 1 (mod 32)", "W ≡ 1 (mod 32)"]
    assert found == [h for h in range(1, 201) if h % 32 == 1]


def test_vgg16_exact_when():
    # each 2x2/2 pool tiles an even input: H ≡ 0 (mod 32)
    r, found = check_exact_when("vgg16")
    assert found == [h for h in range(32, 201) if h % 32 == 0]


def test_alexnet_exact_when():
    # conv1 11/4 p2: (H + 4 − 11) mod 4 = 0, H ≡ 3 (mod 4), n1 = (H − 3)/4; each maxpool 3/2:
    # (n − 3) even, n odd, giving (n − 1)/2: n1 odd -> H ≡ 7 (mod 8), n2 = (H − 7)/8 odd ->
    # H ≡ 15 (mod 16), n3 = (H − 15)/16 odd -> H ≡ 31 (mod 32)
    r, found = check_exact_when("alexnet")
    assert found == [h for h in range(63, 201) if h % 32 == 31]


def test_googlenet_exact_when():
    # ceil-mode pools use every input row; only conv1 7/2 p3 can leave one: H odd
    r, found = check_exact_when("googlenet", limit=120)
    assert found == [h for h in range(15, 121) if h % 2 == 1]


@pytest.mark.parametrize("name", ["zfnet", "lenet5", "cifar_course", "resnet18",
                                  "mobilenet_v2", "shufflenet_v2", "efficientnet_b0"])
def test_other_examples_exact_when(name):
    # no hand derivation: the brute force is the oracle
    check_exact_when(name, limit=100)
