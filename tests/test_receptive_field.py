"""Receptive fields: the rule (dsl.md §5, docs/receptive-field.md) against hand arithmetic and
PyTorch's impulse responses, and `verify`'s probe holding every rule to account — a rule
patched wrong is caught, and random nets of every spatial kind agree with the experiment."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import cnncalc
from cnncalc import formulas
from cnncalc.errors import CnnCalcError
from cnncalc.layers.merge import MERGES


def rows(spec):
    return {".".join(r.path): r for r in cnncalc.analyze(spec).rows}


# --- the rule, by hand -------------------------------------------------------------------


def test_dilated_strided_deconv_counts_the_taps_that_meet():
    # deconv k6 s2 d3: output o takes tap t from input (o - 3t)/2, so only taps with t ≡ o
    # (mod 2) meet at one output: 3 of them (t = 0, 2, 4 or 1, 3, 5), inputs 3 apart:
    # a field of (3 - 1)·3 + 1 = 7 inputs (PyTorch's impulse response spans 7; it was 8)
    r = rows("input 1x40 | deconv 1 k6 s2 d3")["deconv1"]
    assert r.rf == (7,) and r.jump == (Fraction(1, 2),)


def test_a_window_after_upsampling_sees_whole_pixels():
    # upsample 3 repeats each pixel 3 times; two neighbours of the result come from one
    # pixel or from two (positions 2 and 3 are pixels 0 and 1): the largest field is 2
    # (it was 1 + 1·(1/3) = 4/3)
    r = rows("input 1x20 | upsample 3 | conv 1 k2")["conv1"]
    assert r.rf == (2,) and r.jump == (Fraction(1, 3),)


def test_branches_take_the_union_of_their_windows():
    # two 2-wide 'same' convs: output i sees i .. i + 2 (same pads 0 before, 1 after);
    # the 3-wide conv with p1 sees i - 1 .. i + 1: together i - 1 .. i + 2, 4 wide
    r = rows("input 1x16 | add { conv 1 k2 p=same | conv 1 k2 p=same } { conv 1 k3 p1 }")
    assert r["add1"].rf == (4,)


def test_the_largest_adaptive_window_in_closed_form():
    # 100002 into 100001 windows [floor(i·n/o), ceil((i+1)·n/o)): never more than 2 wide
    assert rows("input 1x100002 | maxpool out=100001")["maxpool1"].rf == (2,)
    # 10 into 7: windows [0,2) [1,3) [2,5) …: the largest is 3; jump 10/7 exactly
    r = rows("input 1x10 | avgpool out=7")["avgpool1"]
    assert r.rf == (3,) and r.jump == (Fraction(10, 7),)


def test_fc_and_global_pool_combine_their_positions_like_a_window():
    # 3 stacked 3x3 convs (7) with jump 1 on 9 positions: r + (n - 1)·j = 7 + 8 = 15
    r = rows("input 1x9x9 | conv 1 k3 p1 | conv 1 k3 p1 | conv 1 k3 p1 | avgpool global | fc 2")
    assert r["avgpool1"].rf == (15, 15) and r["fc1"].rf == (15, 15)


# --- PyTorch's impulse responses --------------------------------------------------------


def impulse_support(module, n, at):
    """Which outputs of a torch module change when input position `at` does (all weights 1)."""
    torch = pytest.importorskip("torch")
    x = torch.zeros(1, 1, n)
    x[0, 0, at] = 1
    with torch.no_grad():
        for p in module.parameters():
            p.fill_(1)
        return set(torch.nonzero(module(x)[0, 0]).flatten().tolist())


def test_deconv_field_equals_pytorchs_impulse_response():
    torch = pytest.importorskip("torch")
    n = 40
    m = torch.nn.ConvTranspose1d(1, 1, 6, stride=2, dilation=3, bias=False)
    reached = {at: impulse_support(m, n, at) for at in range(n)}
    outputs = max(max(s) for s in reached.values()) + 1
    fields = [[at for at in range(n) if o in reached[at]] for o in range(outputs)]
    widest = max(f[-1] - f[0] + 1 for f in fields if f)
    assert rows(f"input 1x{n} | deconv 1 k6 s2 d3")["deconv1"].rf == (widest,) == (7,)


def test_upsample_then_conv_field_equals_pytorchs():
    torch = pytest.importorskip("torch")
    n = 20
    m = torch.nn.Sequential(torch.nn.Upsample(scale_factor=3), torch.nn.Conv1d(1, 1, 2,
                                                                               bias=False))
    reached = {at: impulse_support(m, n, at) for at in range(n)}
    fields = [[at for at in range(n) if o in reached[at]] for o in range(3 * n - 1)]
    widest = max(f[-1] - f[0] + 1 for f in fields)
    assert rows(f"input 1x{n} | upsample 3 | conv 1 k2")["conv1"].rf == (widest,) == (2,)


# --- verify holds the rules to account ------------------------------------------------------


def rf_differences(spec):
    return [d for d in cnncalc.verify(spec).differences if d.what.startswith("RF")]


def test_the_old_deconv_rule_is_caught(monkeypatch):
    # floor(d(k - 1)/s)·j: 1 + floor(15/2) = 8 instead of 7 — from the last deconv on, the
    # closed forms stand; with the grid written out too, patch both to the old rule
    monkeypatch.setattr(formulas, "deconv_rf_size",
                        lambda r, j, k, s=1, d=1: r + (d * (k - 1)) // s * j)
    monkeypatch.setattr("cnncalc.layers.conv.concrete", lambda *v: False)
    (d,) = rf_differences("input 1x40 | deconv 1 k6 s2 d3")
    assert d.what == "RF" and d.path == ("deconv1",)


def test_a_field_that_ignores_dilation_is_caught(monkeypatch):
    # r + (k - 1)·j instead of r + d(k - 1)·j: a 3-tap conv with d = 2 reads 5 positions
    monkeypatch.setattr(formulas, "rf_size", lambda r, j, k, d=1: r + (k - 1) * j)
    (d,) = rf_differences("input 1x20 | conv 1 k3 d2")
    assert d.what == "RF" and d.axis == "positions"
    # output 0 reads 0, 2 and 4 (centre 2); the patched size 3 around that centre is 1 .. 3
    assert (d.at, d.analysis, d.measured) == (0, (1, 3), (0, 4))


def test_a_field_too_large_is_caught(monkeypatch):
    # r + d·k·j: one tap too many; no output reads 6 positions: 5 is what is measured
    monkeypatch.setattr(formulas, "rf_size", lambda r, j, k, d=1: r + d * k * j)
    (d,) = rf_differences("input 1x20 | conv 1 k3 d2")
    assert (d.what, d.analysis, d.measured) == ("RF size", 7, 5)


def test_a_wrong_start_is_caught(monkeypatch):
    # a centre that forgets the padding: output i sees i - 1 .. i + 1, not i .. i + 2; at
    # output 0 what is seen (0 .. 1) still lies in the wrong field, at output 1 it does not
    monkeypatch.setattr(formulas, "rf_start",
                        lambda start, j, k, pad_left, d=1: start + Fraction(d * (k - 1), 2) * j)
    (d,) = rf_differences("input 1x20 | conv 1 k3 p1")
    assert (d.at, d.analysis, d.measured) == (1, (1, 3), (0, 2))


def test_a_wrong_union_of_branches_is_caught(monkeypatch):
    # the largest branch's field instead of the union (the old rule: 3, where it spans 4)
    def largest(fields, outs, y):
        return max(fields, key=lambda f: f[0].size)

    monkeypatch.setattr(MERGES["add"], "receptive_field", largest)
    (d,) = rf_differences("input 1x16 | add { conv 1 k2 p=same | conv 1 k2 p=same } "
                          "{ conv 1 k3 p1 }")
    assert d.path == ("add1",)


def test_squeeze_excite_fields_are_checked_by_their_largest():
    spec = ("input 4x12x12 | conv 8 k3 p1 | mul { } { avgpool global | conv 2 k1 | relu | "
            "conv 8 k1 | sigmoid } | conv 8 k3 p1")
    assert rf_differences(spec) == []


# --- random nets against the experiment ---------------------------------------------------


def _layer(draw, n):
    """One spatial layer that is valid on n positions (or None)."""
    kind = draw(st.sampled_from(["conv", "conv", "pool", "deconv", "upsample", "insert", "pad",
                                 "adaptive", "add", "concat", "mul"]))
    k = draw(st.integers(1, 5))
    s = draw(st.integers(1, 3))
    d = draw(st.integers(1, 3))
    if kind == "conv":
        p = draw(st.integers(0, 3))
        return f"conv 2 k{k} s{s} d{d} p{p}"
    if kind == "pool":
        p = draw(st.integers(0, k // 2))
        ceil = draw(st.sampled_from(["", " ceil"]))
        return f"{draw(st.sampled_from(['maxpool', 'avgpool']))} k{k} s{s} p{p}{ceil}"
    if kind == "deconv":
        p = draw(st.integers(0, 2))
        op = draw(st.integers(0, max(s, d) - 1))
        return f"deconv 2 k{k} s{s} d{d} p{p} op{op}"
    if kind == "upsample":
        return f"upsample {draw(st.integers(2, 3))}"
    if kind == "insert":  # zero insertion: fields only at every s-th position
        return f"insert {draw(st.integers(2, 3))}"
    if kind == "pad":
        return f"pad {draw(st.integers(1, 2))}"
    if kind == "adaptive":
        return f"avgpool out={draw(st.integers(1, max(1, n + 3)))}"
    if kind == "add":
        return f"add {{ conv 2 k{k} p=same d{d} }} {{ conv 2 k3 p1 | conv 2 k{k} p=same }}"
    if kind == "concat":
        return f"concat {{ }} {{ conv 2 k{k} p=same d{d} | upsample {s} | avgpool k{s} }}"
    return "mul { } { avgpool global | conv 2 k1 }"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_nets_agree_with_the_probe(data):
    two_d = data.draw(st.booleans())
    n = data.draw(st.integers(6, 30))
    shape = f"2x{n}x{n - 1}" if two_d else f"2x{n}"
    layers = [_layer(data.draw, n) for _ in range(data.draw(st.integers(1, 4)))]
    tail = data.draw(st.sampled_from(["", " | fc 3", " | maxpool global"]))
    spec = f"input {shape} | " + " | ".join(layers) + tail
    try:
        report = cnncalc.analyze(spec)
    except CnnCalcError:
        assume(False)
    assume(all(d <= 400 for r in report.rows for d in r.output_shape))
    assert rf_differences(spec) == [], spec
