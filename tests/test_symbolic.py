"""Symbolic specs: unbound names are sympy symbols, and the report holds closed forms,
conditions, exact-tiling congruences and the smallest input.

Every expected value is built here independently of cnncalc: the textbook formulas written
with sympy, PyTorch's documented output-size formulas computed with plain Python ints, or the
concrete engine used as a brute-force oracle (a spec with numbers either analyses or raises
CnnCalcError; that is what a condition must predict). Symbolic values are compared by exact
evaluation at many integer points (`.subs`), never by their printed text, except where the
printed form itself is the point. The examples (examples/*.cnn) are in
test_symbolic_examples.py.
"""

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import cnncalc
from cnncalc import CnnCalcError
from cnncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent


# --- helpers --------------------------------------------------------------------------------


def syms(report):
    """The report's symbols by name (their assumptions as cnncalc made them)."""
    return {s.name: s for s in report.symbols}


def at(value, env):
    """A report value (int or sympy expression) at integer values of its symbols, exactly:
    an int, or a Fraction when not whole."""
    if isinstance(value, (int, Fraction)):
        return value
    v = sympy.sympify(value).subs({k: sympy.Integer(x) for k, x in env.items()})
    assert v.is_Rational, f"{value} at {env} is {v}, not a number"
    return int(v) if v.is_Integer else Fraction(int(v.p), int(v.q))


def truth(expr_text, report, env):
    """A Stated `expr` parsed with sympify (the report's symbols) and evaluated at env."""
    expr = sympy.S(sympy.sympify(expr_text, locals=syms(report)))  # "False" parses to a bool
    v = expr.subs({syms(report)[k]: sympy.Integer(x) for k, x in env.items()})
    assert v in (sympy.true, sympy.false), f"{expr_text} at {env} is {v}"
    return bool(v)


def valid(spec, **kw):
    """The oracle: does the concrete engine accept the spec?"""
    try:
        cnncalc.analyze(spec, **kw)
        return True
    except CnnCalcError:
        return False


def conv_out(n, k, s=1, p=0, d=1):
    """PyTorch Conv2d/MaxPool2d (ceil_mode=False), documented:
    floor((n + 2p - d(k - 1) - 1)/s) + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out_ceil(n, k, s, p=0, d=1):
    """PyTorch's pooling_output_shape with ceil_mode=True: round up, then drop a last window
    that would start in the right padding ((out - 1)·s >= n + p)."""
    out = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def deconv_out(n, k, s=1, p=0, op=0, d=1):
    """PyTorch ConvTranspose2d, documented: (n - 1)s - 2p + d(k - 1) + op + 1."""
    return (n - 1) * s - 2 * p + d * (k - 1) + op + 1


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- 1. textbook formulas ---------------------------------------------------------------------


def test_conv_textbook_formulas():
    r = cnncalc.analyze("input CxHxW | conv K k=F s=S p=P")
    s = syms(r)
    C, H, W, K, F, S, P = (s[n] for n in "CHWKFSP")
    assert P.is_nonnegative and not P.is_positive  # first used as a padding: 0 allowed
    assert all(x.is_positive and x.is_integer for x in (C, H, W, K, F, S))
    (row,) = r.rows
    # params: C·F² weights per filter, K filters, K biases
    assert sympy.simplify(row.params - (C * F**2 * K + K)) == 0
    assert sympy.simplify(r.totals.params - (C * F**2 * K + K)) == 0
    # output: floor((H − F + 2P)/S) + 1, built here; compared exactly on a grid
    out_h = sympy.floor((H - F + 2 * P) / S) + 1
    out_w = sympy.floor((W - F + 2 * P) / S) + 1
    assert row.output_shape[0] == K
    # MACs: weights × output positions (no bias), C·F²·K·H_out·W_out
    macs = C * F**2 * K * out_h * out_w
    n = 0
    for h in (1, 2, 5, 7, 12, 31):
        for f in (1, 2, 3, 5, 7):
            for st_ in (1, 2, 3, 4):
                for p in (0, 1, 2, 3):
                    if h - f + 2 * p < 0:
                        continue
                    env = {C: 3, H: h, W: h + 1, K: 4, F: f, S: st_, P: p}
                    assert at(row.output_shape[1], env) == at(out_h, env) == conv_out(h, f, st_, p)
                    assert at(row.output_shape[2], env) == conv_out(h + 1, f, st_, p)
                    assert at(row.macs, env) == at(macs, env)
                    n += 1
    assert n > 300


def test_conv_conditions_predict_validity():
    # the only requirement is an output of at least 1: floor((H − F + 2P)/S) + 1 >= 1, i.e.
    # H − F + 2P >= 0 (S positive); the concrete engine is the oracle, on a grid
    r = cnncalc.analyze("input CxHxW | conv K k=F s=S p=P")
    assert r.summary.min_input is None  # the bounds tie H to F and P
    for h in range(1, 8):
        for f in range(1, 8):
            for p in range(0, 3):
                for st_ in (1, 3):
                    env = {"C": 1, "H": h, "W": 7, "K": 1, "F": f, "S": st_, "P": p}
                    said = all(truth(c.expr, r, env) for c in r.summary.conditions)
                    oracle = valid(f"input 1x{h}x7 | conv 1 k{f} s{st_} p{p}")
                    assert said == oracle == (h - f + 2 * p >= 0), (h, f, p, st_)


def test_conv_exact_when_is_the_tiling():
    # a stride tiles exactly when (H − F + 2P) mod S = 0; the oracle is the concrete
    # engine's stride warning
    r = cnncalc.analyze("input CxHxW | conv K k=F s=S p=P")
    assert len(r.summary.exact_when) == 2
    for h in range(3, 12):
        for f in (1, 2, 3):
            for st_ in (1, 2, 3, 4):
                for p in (0, 1):
                    env = {"C": 1, "H": h, "W": h, "K": 1, "F": f, "S": st_, "P": p}
                    said = all(truth(c.expr, r, env) for c in r.summary.exact_when)
                    rep = cnncalc.analyze(f"input 1x{h}x{h} | conv 1 k{f} s{st_} p{p}")
                    assert said == (not rep.warnings) == ((h - f + 2 * p) % st_ == 0)


def test_same_padding_by_formula_needs_odd_kernel():
    r = cnncalc.analyze("input CxHxW | conv C k=K p=(K-1)/2")
    s = syms(r)
    C, H, W, K = (s[n] for n in "CHWK")
    (row,) = r.rows
    # s = 1: floor((H − K + 2(K − 1)/2)/1) + 1 = H − 1 + 1 = H
    assert sympy.simplify(row.output_shape[1] - H) == 0
    assert sympy.simplify(row.output_shape[2] - W) == 0
    assert sympy.simplify(row.output_shape[0] - C) == 0
    assert sympy.simplify(row.params - (C * K**2 * C + C)) == 0
    # (K − 1)/2 is a whole padding exactly when K is odd: one condition says so
    odd = [c for c in r.summary.conditions if c.expr and sympy.sympify(c.expr, locals=s).free_symbols == {K}]
    assert len(odd) == 1, r.summary.conditions
    for k in range(1, 21):
        assert truth(odd[0].expr, r, {"K": k}) == (k % 2 == 1), k
        # the concrete engine agrees: binding K to an even number is refused
        assert valid("input CxHxW | conv C k=K p=(K-1)/2",
                     bindings={"K": k, "C": 2, "H": 9, "W": 9}) == (k % 2 == 1)


def test_groups_need_divisible_channels():
    r = cnncalc.analyze("input CxHxW | conv 8 k3 g4")
    s = syms(r)
    C, H = s["C"], s["H"]
    (row,) = r.rows
    # (C/g)·F²·K + K = (C/4)·9·8 + 8
    assert sympy.simplify(row.params - (C / 4 * 9 * 8 + 8)) == 0
    # output H − 3 + 1
    assert sympy.simplify(row.output_shape[1] - (H - 2)) == 0
    on_c = [c for c in r.summary.conditions
            if sympy.sympify(c.expr, locals=s).free_symbols == {C}]
    assert len(on_c) == 1, r.summary.conditions
    for c in range(1, 17):
        assert truth(on_c[0].expr, r, {"C": c}) == (c % 4 == 0), c
        assert valid(f"input {c}x8x8 | conv 8 k3 g4") == (c % 4 == 0)
    # 8 output channels are divisible by 4: no condition on anything else but the sizes
    # (H − 2 >= 1, W − 2 >= 1)
    others = [c for c in r.summary.conditions if c is not on_c[0]]
    for h in range(1, 8):
        said = all(truth(c.expr, r, {"H": h, "W": h}) for c in others)
        assert said == (h >= 3)


# --- 6. merges compare by value -----------------------------------------------------------------


def test_merge_same_padding_equals_explicit_padding():
    # SAME with s2 gives ceil(H/2); k3 s2 p1 gives floor((H + 2 − 3)/2) + 1 = floor((H + 1)/2)
    # = ceil(H/2): equal for every H, so no condition
    r = cnncalc.analyze("input 4xHxW | add { conv 4 k3 p=same s2 } { conv 4 k3 s2 p1 }")
    assert r.summary.conditions == ()
    H, W = syms(r)["H"], syms(r)["W"]
    add = r.rows[-1]
    assert add.kind == "add"
    for h in range(1, 80):
        assert at(add.output_shape[1], {H: h, W: h}) == -(-h // 2) == conv_out(h, 3, 2, 1)
        assert valid(f"input 4x{h}x{h} | add {{ conv 4 k3 p=same s2 }} {{ conv 4 k3 s2 p1 }}")


def test_merge_pool_branch_needs_even_size():
    # branch 1: ceil(H/2); branch 2: avgpool k2 gives floor(H/2). Equal exactly for even H
    spec = "input 4xHxW | add { conv 4 k3 s2 p1 } { avgpool k2 | conv 4 k1 }"
    r = cnncalc.analyze(spec)
    s = syms(r)
    merge = [c for c in r.summary.conditions if c.path == ("add1",)]
    by_sym = {next(iter(sympy.sympify(c.expr, locals=s).free_symbols)).name: c for c in merge}
    assert set(by_sym) == {"H", "W"} and len(merge) == 2, r.summary.conditions
    for n in range(1, 60):
        assert truth(by_sym["H"].expr, r, {"H": n}) == (n % 2 == 0)
        assert truth(by_sym["W"].expr, r, {"W": n}) == (n % 2 == 0)
    # all conditions together predict the concrete engine (which also needs H >= 2 for the
    # pool): valid exactly for even sizes
    for h in range(1, 30):
        said = all(truth(c.expr, r, {"H": h, "W": h}) for c in r.summary.conditions)
        assert said == valid(spec.replace("HxW", f"{h}x{h}")) == (h % 2 == 0), h
    assert r.summary.min_input == (4, 2, 2)


def test_concat_of_strided_and_unstrided_branch():
    # concat needs equal spatial sizes: ceil(H/2) = H only at H = 1 (H >= 2 gives
    # ceil(H/2) <= (H + 1)/2 < H). cnncalc keeps it as the condition H <= 1, which is right
    # for a positive H: the concrete engine accepts 1x1 and refuses every larger size.
    spec = "input 4xHxW | concat { conv 4 k3 s2 p1 } { conv 4 k1 }"
    try:
        r = cnncalc.analyze(spec)
    except CnnCalcError:
        pytest.fail("refusing would be wrong: the spec is valid at H = W = 1")
    assert r.summary.conditions, "ceil(H/2) = H does not hold for every H"
    for h in range(1, 40):
        said = all(truth(c.expr, r, {"H": h, "W": h}) for c in r.summary.conditions)
        assert said == valid(spec.replace("HxW", f"{h}x{h}")) == (h == 1), h
        # and on each axis alone
        assert all(truth(c.expr, r, {"H": h, "W": 1}) for c in r.summary.conditions) == (h == 1)
    assert r.summary.min_input == (4, 1, 1)


# --- 7. regressions: each of these used to raise TypeError ------------------------------------


def test_ceil_mode_maxpool():
    r = cnncalc.analyze("input 3xHxW | maxpool k3 s2 ceil")
    H, W = syms(r)["H"], syms(r)["W"]
    (row,) = r.rows
    for h in range(1, 400):
        torch = pool_out_ceil(h, 3, 2)
        if torch >= 1:
            assert at(row.output_shape[1], {H: h, W: h}) == torch, h
        said = all(truth(c.expr, r, {"H": h, "W": h}) for c in r.summary.conditions)
        assert said == (torch >= 1) == valid(f"input 3x{h}x{h} | maxpool k3 s2 ceil"), h
    # ceil((H − 3)/2) + 1 = ceil((H − 1)/2) = floor(H/2); one rounding
    expr = row.output_shape[1]
    assert expr.count(sympy.floor) + expr.count(sympy.ceiling) == 1
    assert r.summary.min_input == (3, 2, 2)


def test_ceil_mode_pool_with_padding_and_stride_3():
    # the "last window starts in the padding" rule of PyTorch matters here
    r = cnncalc.analyze("input 3xHxW | maxpool k3 s3 p1 ceil")
    H, W = syms(r)["H"], syms(r)["W"]
    (row,) = r.rows
    for h in range(1, 300):
        torch = pool_out_ceil(h, 3, 3, 1)
        assert at(row.output_shape[1], {H: h, W: h}) == torch, h
        assert at(row.output_shape[2], {H: h, W: h + 1}) == pool_out_ceil(h + 1, 3, 3, 1)


def test_fc_on_symbolic_input():
    r = cnncalc.analyze("input 3xHxW | fc 10")
    H, W = syms(r)["H"], syms(r)["W"]
    (row,) = r.rows
    assert row.output_shape == (10,)
    # flattened 3·H·W inputs, 10 outputs: 3HW·10 weights + 10 biases; MACs 3HW·10
    assert sympy.simplify(row.params - (3 * H * W * 10 + 10)) == 0
    assert sympy.simplify(row.macs - 30 * H * W) == 0
    assert sympy.simplify(r.totals.params - (30 * H * W + 10)) == 0


def test_global_avgpool_on_symbolic_input():
    r = cnncalc.analyze("input 3xHxW | avgpool global")
    H, W = syms(r)["H"], syms(r)["W"]
    (row,) = r.rows
    assert tuple(row.output_shape) == (3, 1, 1)
    assert row.params == 0
    assert r.totals.output_shape == (3, 1, 1)
    # one window over the whole input: the field is H × W
    assert sympy.simplify(row.rf[0] - H) == 0 and sympy.simplify(row.rf[1] - W) == 0
    assert r.summary.conditions == ()


def test_conv_symbolic_stride_then_upsample():
    spec = "input 3xHxW | conv 8 k3 s=S | upsample 2"
    r = cnncalc.analyze(spec)
    s = syms(r)
    H, W, S = s["H"], s["W"], s["S"]
    conv, up = r.rows
    # conv: floor((H − 3)/S) + 1; upsample ×2
    want = 2 * (sympy.floor((H - 3) / S) + 1)
    for h in range(3, 40):
        for st_ in range(1, 8):
            env = {H: h, W: h + 2, S: st_}
            assert at(conv.output_shape[1], env) == conv_out(h, 3, st_)
            assert at(up.output_shape[1], env) == at(want, env) == 2 * conv_out(h, 3, st_)
            assert at(up.output_shape[2], env) == 2 * conv_out(h + 2, 3, st_)
    # the conditions predict the concrete engine (valid exactly for H, W >= 3)
    for h in range(1, 8):
        for st_ in (1, 2, 5):
            said = all(truth(c.expr, r, {"H": h, "W": h, "S": st_})
                       for c in r.summary.conditions)
            oracle = valid(f"input 3x{h}x{h} | conv 8 k3 s{st_} | upsample 2")
            assert said == oracle == (h >= 3), (h, st_)


def test_deconv_symbolic_kernel():
    r = cnncalc.analyze("input 3x8x8 | deconv 8 k=K s2")
    K = syms(r)["K"]
    (row,) = r.rows
    # PyTorch's ConvTranspose2d: (8 − 1)·2 − 0 + (K − 1) + 0 + 1 = K + 14
    assert sympy.simplify(row.output_shape[1] - (K + 14)) == 0
    assert sympy.simplify(row.output_shape[2] - (K + 14)) == 0
    # weights (C_in, C_out, K, K) + C_out biases; MACs: each of the 8·8 input pixels
    # scatters one full kernel, C_in·C_out·K² multiplies
    assert sympy.simplify(row.params - (3 * 8 * K**2 + 8)) == 0
    assert sympy.simplify(row.macs - 3 * 8 * K**2 * 64) == 0
    for k in range(1, 12):
        assert at(row.output_shape[1], {K: k}) == deconv_out(8, k, 2)
        # and every figure equals the concrete engine's with K = k
        c = cnncalc.analyze(f"input 3x8x8 | deconv 8 k{k} s2").rows[0]
        for field in ("output_shape", "params", "macs", "rf", "jump"):
            got, want = getattr(row, field), getattr(c, field)
            if isinstance(want, tuple):
                assert tuple(at(v, {K: k}) for v in got) == want, (k, field)
            else:
                assert at(got, {K: k}) == want, (k, field)


# --- 8. -D and bindings -------------------------------------------------------------------------


def _figures(d):
    """The JSON object without the source text of each layer (which keeps the names)."""
    d = json.loads(json.dumps(d))
    for layer in d["layers"]:
        layer.pop("source")
    return d


def test_define_gives_the_concrete_figures():
    bound = run("analyze", "input CxHxW | conv K k3", "-D", "C=3", "-D", "H=32", "-D", "W=32",
                "-D", "K=10", "--json")
    plain = run("analyze", "input 3x32x32 | conv 10 k3", "--json")
    assert bound.exit_code == 0 and plain.exit_code == 0, bound.output
    got, want = _figures(json.loads(bound.stdout)), _figures(json.loads(plain.stdout))
    assert got == want
    # hand arithmetic: 3·9·10 + 10 = 280 params; 30×30 output; 270·900 = 243,000 MACs
    assert got["totals"]["params"] == 280 and got["totals"]["macs"] == 243_000
    assert got["layers"][0]["output_shape"] == [10, 30, 30]


def test_bindings_in_the_api():
    r = cnncalc.analyze("input CxHxW | conv K k3", bindings={"C": 3, "H": 32, "W": 32, "K": 10})
    c = cnncalc.analyze("input 3x32x32 | conv 10 k3")
    assert r.summary is None and not r.symbols
    assert r.to_dict()["totals"] == c.to_dict()["totals"]
    # a partial binding leaves the others as symbols
    p = cnncalc.analyze("input CxHxW | conv K k3", bindings={"C": 3, "K": 10})
    H, W = syms(p)["H"], syms(p)["W"]
    assert set(syms(p)) == {"H", "W"}
    assert sympy.simplify(p.totals.macs - 270 * (H - 2) * (W - 2)) == 0


def test_repeat_count_must_be_bound():
    spec = "input 3x32x32 | { conv 8 k3 p1 } * N"
    r = run("analyze", spec)
    assert r.exit_code == 2
    assert "'N'" in r.output and "repeat" in r.output
    with pytest.raises(CnnCalcError):
        cnncalc.analyze(spec)
    bound = run("analyze", spec, "-D", "N=2", "--json")
    assert bound.exit_code == 0, bound.output
    want = run("analyze", "input 3x32x32 | { conv 8 k3 p1 } * 2", "--json")
    assert _figures(json.loads(bound.stdout)) == _figures(json.loads(want.stdout))
    # two convolutions: 3·9·8 + 8 = 224 and 8·9·8 + 8 = 584 params
    assert json.loads(bound.stdout)["totals"]["params"] == 224 + 584


def test_define_unknown_name_is_an_error():
    r = run("analyze", "input 3xHxW | conv 8 k3", "-D", "Q=3")
    assert r.exit_code == 2
    assert "Q" in r.output


@pytest.mark.parametrize("item", ["X", "=3", "H=", "H=abc", "3=4"])
def test_define_malformed(item):
    r = run("analyze", "input 3xHxW | conv 8 k3", "-D", item)
    assert r.exit_code == 2
    assert "NAME=" in r.output or "-D" in r.output


# --- 9. JSON strings parse back -------------------------------------------------------------------

ROW_FIELDS = ("input_shape", "output_shape", "params", "buffers", "macs", "flops", "rf", "jump",
              "start", "output_bytes")
TOTAL_FIELDS = ("params", "trainable_params", "buffers", "macs", "flops", "output_shape", "rf",
                "jump", "input_bytes", "activation_bytes", "param_bytes", "total_bytes")
POINTS = [(1, 1), (2, 3), (31, 33), (224, 224), (225, 301), (97, 600)]


def _pairs(json_value, value):
    if isinstance(json_value, list):
        assert len(json_value) == len(value)
        for j, v in zip(json_value, value):
            yield from _pairs(j, v)
    else:
        yield json_value, value


def test_json_strings_parse_back():
    r = cnncalc.analyze(str(ROOT / "examples" / "resnet50.cnn"), input="3xHxW")
    H, W = syms(r)["H"], syms(r)["W"]
    d = r.to_dict()
    pairs = []
    assert len(r.rows) == len(d["layers"])
    for row, jrow in zip(r.rows, d["layers"]):
        for f in ROW_FIELDS:
            value = row.flops if f == "flops" else getattr(row, f)
            pairs += _pairs(jrow[f], value)
    for f in TOTAL_FIELDS:
        pairs += _pairs(d["totals"][f], getattr(r.totals, f))
    n_symbolic = 0
    for text, value in pairs:
        if isinstance(text, str):
            n_symbolic += 1
            parsed = sympy.sympify(text, locals={"H": H, "W": W})
            for h, w in POINTS:
                assert at(parsed, {H: h, W: w}) == at(value, {H: h, W: w}), text
        else:
            assert isinstance(value, (int, Fraction)) or value.is_Number, (text, value)
            for h, w in POINTS[:2]:
                assert text == at(value, {H: h, W: w})
    assert n_symbolic > 400  # shapes, MACs and bytes of 170-odd rows are symbolic
    # the closed forms also match hand values at 224: totals as torchvision measures them
    # (params do not depend on H: 25,557,032)
    assert d["totals"]["params"] == 25_557_032


# --- 10. the concrete path does not import sympy -------------------------------------------------


def test_concrete_path_never_imports_sympy():
    code = ("import cnncalc, sys; cnncalc.analyze('examples/resnet50.cnn'); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"
    # and a symbolic spec does (a check that the probe can fail)
    code = ("import cnncalc, sys; cnncalc.analyze('input 3xHxW | conv 8 k3'); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "True"


# --- random chains: closed forms, conditions and exact_when against the concrete engine ------


def _layer_text(kind, k, s, p):
    p = min(p, k // 2)  # PyTorch pools allow at most half the kernel as padding
    return {
        "conv": f"conv 4 k{k} s{s} p{p}",
        "dilated": f"conv 4 k{k} s{s} p{p} d2",
        "same": f"conv 4 k{k} s{s} p=same",
        "dwconv": f"dwconv k{k} s{s} p{p}",
        "maxpool": f"maxpool k{k} s{s} p{p}",
        "avgpool": f"avgpool k{k} s{s} p{p}",
        # ceil mode only where the last window never starts in the padding (k >= s + p):
        # the other case is the subject of the tests below
        "ceilpool": f"maxpool k{max(k, s + p)} s{s} p{min(p, max(k, s + p) // 2)} ceil",
        "deconv": f"deconv 4 k{k} s{s} p{min(p, k - 1)}",
        "upsample": f"upsample {s}",
        "pad": f"pad {p}",
        "residual": "residual { conv 4 k3 p1 }",
        "concat": f"concat {{ conv 2 k{k} s{s} p=same }} {{ conv 2 k1 s{s} }}",
        "add": f"add {{ conv 4 k3 s{s} p=same }} {{ maxpool k{s} s{s} ceil }}",
    }[kind]


LAYER = st.builds(_layer_text, st.sampled_from(["conv", "dilated", "same", "dwconv", "maxpool",
                                                "avgpool", "ceilpool", "deconv", "upsample",
                                                "pad", "residual", "concat", "add"]),
                  st.integers(1, 5), st.integers(1, 3), st.integers(0, 2))


def _exact(value, env):
    """Like `at`, but tolerating a floor of a constant (see the test below)."""
    if isinstance(value, (int, Fraction)):
        return value
    v = value.subs(env).doit()
    assert v.is_Rational, f"{value} at {env} is {v}"
    return int(v) if v.is_Integer else Fraction(int(v.p), int(v.q))


@settings(max_examples=20, deadline=None)
@given(st.lists(LAYER, min_size=1, max_size=4))
def test_random_chains_agree_with_the_concrete_engine(layers):
    spec = "input 4xHxW | " + " | ".join(layers)
    try:
        r = cnncalc.analyze(spec)
    except CnnCalcError:  # refused for every size: then no concrete size may pass
        assert not any(valid(spec.replace("HxW", f"{h}x{h + 3}")) for h in range(1, 17))
        return
    H, W = syms(r)["H"], syms(r)["W"]
    for h in range(1, 17):
        w = h + 3
        env = {H: h, W: w}
        text = spec.replace("HxW", f"{h}x{w}")
        said = all(truth(c.expr, r, {"H": h, "W": w}) for c in r.summary.conditions)
        try:
            c = cnncalc.analyze(text)
        except CnnCalcError:
            assert not said, (text, [x.text for x in r.summary.conditions])
            continue
        assert said, (text, [x.text for x in r.summary.conditions])
        assert len(r.rows) == len(c.rows), text
        finer = False
        for rs, rc in zip(r.rows, c.rows):
            # From a transposed convolution or an upsampling on (stride above 1), fields
            # differ from position to position: the concrete engine writes them out (and
            # verify's probe checks it, test_receptive_field.py); a symbolic spec can too
            # where the layers' sizes are numbers, and falls back to the closed forms where a
            # symbol decides them (p=same on H): compared where it wrote them out.
            finer = finer or rs.kind in ("deconv", "upsample")
            for field in ("output_shape", "params", "macs", "rf", "jump", "start"):
                got, want = getattr(rs, field), getattr(rc, field)
                if finer and field in ("rf", "jump", "start") and not all(
                        isinstance(v, (int, Fraction)) for v in rs.rf + rs.jump + rs.start):
                    continue
                if isinstance(want, tuple):
                    got = tuple(_exact(v, env) for v in got)
                else:
                    got = _exact(got, env)
                assert got == want, (text, rs.index, field)
        # a concrete warning comes from a stride that does not tile; symbolically it is
        # either a condition in exact_when or, once a size is a number, a warning already
        exact = all(truth(x.expr, r, {"H": h, "W": w}) for x in r.summary.exact_when)
        assert (exact and not r.warnings) == (not c.warnings), text
    m = r.summary.min_input
    if m is not None:
        assert valid(spec.replace("HxW", f"{m[1]}x{m[2]}"))
        if m[1] > 1:
            assert not valid(spec.replace("HxW", f"{m[1] - 1}x{m[2]}"))


# --- found while testing: ceil-mode pools whose last-window rule depends on the size -----------
#
# PyTorch drops the last ceil-mode window when it would start in the right padding,
# (out − 1)·s >= n + p. For k >= s + p that never happens and the output is one rounding
# (GoogLeNet's pools, above). For `maxpool k2 s2 p1 ceil` it happens exactly for odd n:
#   ceil((n + 2 − 2)/2) + 1 = ceil(n/2) + 1, dropped to ceil(n/2) when n is odd;
#   so n even: n/2 + 1, n odd: (n + 1)/2 = floor(n/2) + 1. Always floor(n/2) + 1 >= 1.

POOL_K2_P1_CEIL = "input 3xHxW | maxpool k2 s2 p1 ceil"


def test_ceil_pool_with_a_dropped_window_has_the_right_values():
    r = cnncalc.analyze(POOL_K2_P1_CEIL)
    H, W = syms(r)["H"], syms(r)["W"]
    (row,) = r.rows
    for h in range(1, 300):
        assert at(row.output_shape[1], {H: h, W: h}) == pool_out_ceil(h, 2, 2, 1) == h // 2 + 1
        assert valid(f"input 3x{h}x{h} | maxpool k2 s2 p1 ceil")
    assert r.summary.min_input == (3, 1, 1)


def test_ceil_pool_with_a_dropped_window_has_one_rounding():
    r = cnncalc.analyze(POOL_K2_P1_CEIL)
    expr = r.rows[0].output_shape[1]
    assert not expr.has(sympy.Piecewise)
    assert expr.count(sympy.floor) + expr.count(sympy.ceiling) == 1


def test_ceil_pool_with_a_dropped_window_has_no_condition():
    # valid for every H >= 1 (floor(H/2) + 1 >= 1; the concrete engine agrees, above)
    r = cnncalc.analyze(POOL_K2_P1_CEIL)
    assert r.summary.conditions == ()


def test_two_ceil_pools_with_dropped_windows():
    spec = "input 1xH | maxpool k2 s2 p1 ceil | maxpool k2 s2 p1 ceil"
    r = cnncalc.analyze(spec)
    H = syms(r)["H"]
    last = r.rows[-1].output_shape[1]
    for h in range(1, 200):
        assert at(last, {H: h}) == pool_out_ceil(pool_out_ceil(h, 2, 2, 1), 2, 2, 1)


def test_nested_ceil_pools_with_symbolic_stride_print_parseable_text():
    spec = "input 2xH | maxpool k2 s=S ceil | maxpool k2 s=S ceil"
    r = cnncalc.analyze(spec)
    s = syms(r)
    H, S = s["H"], s["S"]
    d = r.to_dict()
    texts = [d["layers"][-1]["output_shape"][1]]
    texts += [c["expr"] for c in d["conditions"] + d["exact_when"]]
    for text in texts:
        parsed = sympy.S(sympy.sympify(text, locals=s))
        assert parsed.free_symbols <= {H, S}, text
    parsed = sympy.sympify(texts[0], locals=s)
    for h in range(1, 30):
        for st_ in range(1, 5):
            first = pool_out_ceil(h, 2, st_)
            if first < 1 or pool_out_ceil(first, 2, st_) < 1:
                continue
            assert at(parsed, {H: h, S: st_}) == pool_out_ceil(first, 2, st_)


# --- found while testing: the normal form keeps a floor of a constant ---------------------------


def test_floor_of_a_constant_is_evaluated():
    # upsample 2 gives 2H; conv k3 s2: floor((2H − 3)/2) + 1 = H − 2 + 1 = H − 1
    r = cnncalc.analyze("input 1xHxW | upsample 2 | conv 1 k3 s2")
    H = syms(r)["H"]
    out = r.rows[-1].output_shape[1]
    assert not any(not a.free_symbols for a in out.atoms(sympy.floor)), out
    assert out.subs(H, 10).is_Integer  # .subs leaves floor(1/2) + 9 otherwise
    assert r.to_dict()["layers"][-1]["output_shape"][1] == "H - 1"


def test_never_tiling_stride_is_stated():
    # (2H − 3) is odd: the s2 conv never tiles; exact_when says so for every H
    r = cnncalc.analyze("input 1xHxW | upsample 2 | conv 1 k3 s2")
    assert r.summary.exact_when
    for h in range(2, 20):  # 2H >= 3
        said = all(truth(c.expr, r, {"H": h, "W": h}) for c in r.summary.exact_when)
        assert said is False
        assert cnncalc.analyze(f"input 1x{h}x{h} | upsample 2 | conv 1 k3 s2").warnings


# --- found while testing: JSON text and sympy's own names ----------------------------------------


@pytest.mark.parametrize("spec", ["input CxHxW | conv K k=F s=S p=P",
                                  "input CxHxW | conv 8 k=I"])
def test_json_lists_the_symbols_to_read_its_strings_back(spec):
    # sympify alone takes S for sympy.S and I for the imaginary unit; the JSON names every
    # symbol and its domain, so a reader passes them as locals
    r = cnncalc.analyze(spec)
    d = r.to_dict()
    names = {s["name"]: s["domain"] for s in d["symbols"]}
    assert set(names) == {str(x) for x in r.symbols}
    local = {n: sympy.Symbol(n, integer=True, positive=True) if dom == "positive integer"
             else sympy.Symbol(n, integer=True, nonnegative=True) for n, dom in names.items()}
    values = [(d["totals"]["params"], r.totals.params)]
    values += list(zip(d["layers"][0]["output_shape"], r.rows[0].output_shape))
    env = {x: 3 for x in r.symbols}
    for text, value in values:
        if not isinstance(text, str):
            continue
        parsed = sympy.sympify(text, locals=local)
        assert parsed.free_symbols <= set(r.symbols), text
        assert at(parsed, env) == at(value, env), text

def test_a_maximum_drops_the_arguments_another_always_reaches():
    import sympy

    from cnncalc.symbolic.normal import extremum

    K = sympy.Symbol("K", integer=True, positive=True)
    # 3K + 447 − (K + 449) = 2K − 2 ≥ 0 for K ≥ 1: K + 449 can never be the largest
    got = extremum(sympy.Max(K + 449, 8 * K + 425, evaluate=False), 3 * K + 447, True)
    assert set(got.args) == {3 * K + 447, 8 * K + 425}
    # at K = 1, 8K + 425 = 433 > 10K + 421 = 431; from K = 3 on the other way round: both stay
    got = extremum(sympy.Max(449, 8 * K + 425, evaluate=False), 10 * K + 421, True)
    assert set(got.args) == {449, 8 * K + 425, 10 * K + 421}
    # a minimum, the same way: K + 1 ≤ 2K + 1 ≤ 3K + 5 for every K ≥ 1
    got = extremum(sympy.Min(3 * K + 5, 2 * K + 1, evaluate=False), K + 1, False)
    assert got == K + 1
