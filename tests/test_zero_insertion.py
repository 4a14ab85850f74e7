"""`insert`: zero insertion, the course's picture of a transposed convolution.

The course (5 - 卷积神经网络, 微步卷积/转置卷积) makes an output larger than its input by inserting
zeros into the input and convolving: a 2x2 input with zeros inserted at stride 2 is 3x3,
padded by 2 it is 7x7, and a 3x3 convolution gives 5x5. By hand, an n-long axis with s − 1
zeros between neighbours is n + (n − 1)(s − 1) = (n − 1)s + 1 long.

Against PyTorch (skipped without torch): zero insertion is a transposed convolution with a
1x1 kernel of ones per channel; and `insert s | pad d(k−1) − p | conv OUT k d` with the kernel
flipped and its two channel axes swapped is `conv_transpose` with stride s, padding p and
dilation d — the identity the course's picture states.
"""

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

import cnncalc
from cnncalc import CnnCalcError
from cnncalc.cli import main

RNG = np.random.default_rng(17)


def rows(spec, **kw):
    return {".".join(r.path): r for r in cnncalc.analyze(spec, **kw).rows}


# --- shapes and counts, by hand ---------------------------------------------------------

def test_the_courses_two_by_two_becomes_five_by_five():
    r = rows("input 1x2x2 | insert 2 | pad 2 | conv 1 k3")
    assert r["insert1"].output_shape == (1, 3, 3)   # 2 + 1 zero between the two = 3
    assert r["pad1"].output_shape == (1, 7, 7)      # 3 + 2·2
    assert r["conv1"].output_shape == (1, 5, 5)     # 7 − 3 + 1


@pytest.mark.parametrize("spec, shape", [
    ("input 8x4x6 | insert 2", (8, 7, 11)),         # (4−1)·2+1, (6−1)·2+1
    ("input 8x4x6 | insert", (8, 7, 11)),           # s = 2 by default
    ("input 8x4x6 | insert 2x3", (8, 7, 16)),       # (4−1)·2+1, (6−1)·3+1
    ("input 8x4x6 | insert s=3", (8, 10, 16)),      # (4−1)·3+1, (6−1)·3+1
    ("input 8x4x6 | insert 1", (8, 4, 6)),          # no zeros: the identity
    ("input 3x1x5 | insert 4", (3, 1, 17)),         # one row has no neighbour: stays 1
    ("input 2x10 | insert 3", (2, 28)),             # 1-D: 9·3 + 1
    ("input 2x2x3x4 | insert 2", (2, 3, 5, 7)),     # 3-D
    ("input 4x4x2 | zeroinsert 2", (4, 7, 3)),      # the alias
])
def test_output_shape(spec, shape):
    (row,) = cnncalc.analyze(spec).rows
    assert row.kind == "insert"
    assert row.output_shape == shape
    assert (row.params, row.buffers, row.macs) == (0, 0, 0)


def test_a_symbolic_size():
    r = rows("input 1xHxW | insert 2 | pad 2 | conv 1 k3")
    c, h, w = r["insert1"].output_shape
    H, W = sorted(h.free_symbols | w.free_symbols, key=lambda s: s.name)
    assert sympy.expand(h - (2 * H - 1)) == 0 and sympy.expand(w - (2 * W - 1)) == 0
    _, h, w = r["conv1"].output_shape                # (2H − 1) + 4 − 3 + 1
    assert sympy.expand(h - (2 * H + 1)) == 0 and sympy.expand(w - (2 * W + 1)) == 0
    # and a binding gives the course's figures back
    assert rows("input 1xHxW | insert 2 | pad 2 | conv 1 k3",
                bindings={"H": 2, "W": 2})["conv1"].output_shape == (1, 5, 5)


@pytest.mark.parametrize("spec, message", [
    ("input 1x4x4 | insert 0", "'s' must be at least 1, not 0"),
    ("input 1x4x4 | insert 2x2x2", "insert: 's' gives 3 values but the input has 2 spatial"),
    ("input 10 | insert 2", "insert needs an input with spatial axes"),
])
def test_bad_values_are_located_errors(spec, message):
    with pytest.raises(CnnCalcError, match=message):
        cnncalc.analyze(spec)


# --- the forward ------------------------------------------------------------------------

def test_forward_by_hand():
    y = cnncalc.run("input 1x2x2 | insert 2", [[[[1, 2], [3, 4]]]], dtype="float64")
    assert y.tolist() == [[[[1, 0, 2],
                            [0, 0, 0],
                            [3, 0, 4]]]]
    y = cnncalc.run("input 1x3 | insert 3", [[[5, 6, 7]]], dtype="float64")
    assert y.tolist() == [[[5, 0, 0, 6, 0, 0, 7]]]


def test_the_courses_example_by_hand():
    # all-ones 3x3 kernel, bias 0: each output sums the 3x3 window of the 7x7 grid, whose
    # only non-zeros are the inputs at (2, 2), (2, 4), (4, 2), (4, 4); output (1, 1) covers
    # rows and columns 1..3: input 1 alone; output (2, 2) covers 2..4: all four, 1+2+3+4
    spec = "input 1x2x2 | insert 2 | pad 2 | c: conv 1 k3"
    weights = {"c.weight": np.ones((1, 1, 3, 3)), "c.bias": np.zeros(1)}
    y = cnncalc.run(spec, [[[[1, 2], [3, 4]]]], weights=weights, dtype="float64")
    assert y[0, 0].tolist() == [[1, 1, 3, 2, 2],
                                [1, 1, 3, 2, 2],
                                [4, 4, 10, 6, 6],
                                [3, 3, 7, 4, 4],
                                [3, 3, 7, 4, 4]]


# --- receptive field --------------------------------------------------------------------

def test_the_field_of_a_window_counts_only_real_pixels():
    # after insert 2 the real pixels lie 2 apart: a 3-wide window covers 2 of them (or 1),
    # a 5-wide one 3; the jump is 1/2
    r = rows("input 1x20 | insert 2 | conv 1 k3 | conv 1 k3")
    assert r["insert1"].rf == (1,)
    assert r["conv1"].rf == (2,) and r["conv1"].jump == (sympy.Rational(1, 2),)
    assert r["conv2"].rf == (3,)
    # 3 apart, a 2-wide window never covers two of them
    assert rows("input 1x20 | insert 3 | conv 1 k2")["conv1"].rf == (1,)


def test_the_courses_field_matches_the_transposed_convolution():
    # insert 2 | pad 2 | conv k3 is deconv k3 s2: the same fields (an output reads at most
    # 2 inputs along an axis, as the 3-tap kernel at stride 2 meets 1 or 2 of them)
    ours = rows("input 1x2x2 | insert 2 | pad 2 | conv 1 k3")["conv1"]
    theirs = rows("input 1x2x2 | deconv 1 k3 s2")["deconv1"]
    assert ours.rf == theirs.rf == (2, 2)
    assert ours.jump == theirs.jump


@pytest.mark.parametrize("spec", [
    "input 1x2x2 | insert 2 | pad 2 | conv 1 k3",
    "input 2x5x7 | insert 3x2 | pad 1x2 | conv 3 k3 | insert 2 | conv 2 k2x3",
    "input 3x9 | conv 4 k3 s2 | insert 2 | pad 1 | conv 2 k3 | maxpool global",
    "input 2x4x4x3 | insert 2 | conv 2 k3 p1",
    "zero_insertion",
])
def test_verify_agrees(spec):
    result = CliRunner().invoke(main, ["verify", spec])
    assert result.exit_code == 0, result.output
    assert "agree" in result.output


# --- the example ------------------------------------------------------------------------

def test_the_bundled_example_gives_the_courses_sizes():
    report = cnncalc.analyze("zero_insertion")
    shapes = [r.output_shape for r in report.rows]
    assert shapes[:3] == [(1, 3, 3), (1, 7, 7), (1, 5, 5)]   # the course's 3x3, 7x7, 5x5
    assert report.totals.params == 1 * 1 * 3 * 3 + 1         # one 3x3 kernel and its bias
    assert report.totals.macs == 9 * 25                      # 9 taps at 25 output positions
    text = cnncalc.loading.load("zero_insertion").text
    assert "3x3" in text and "7x7" in text and "5x5" in text


# --- against PyTorch --------------------------------------------------------------------

def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("s, shape", [(2, (3, 4, 5)), ((3, 2), (2, 4, 5)), (3, (2, 6))])
def test_insert_is_a_transposed_convolution_with_a_one(s, shape):
    torch = _torch()
    F = torch.nn.functional
    x = RNG.standard_normal((2,) + shape)
    c = shape[0]
    transpose = F.conv_transpose2d if len(shape) == 3 else F.conv_transpose1d
    ones = torch.ones((c, 1) + (1,) * (len(shape) - 1), dtype=torch.float64)
    theirs = transpose(torch.from_numpy(x), ones, stride=s, groups=c).numpy()
    written = "x".join(map(str, s)) if isinstance(s, tuple) else s
    ours = cnncalc.run(f"input {'x'.join(map(str, shape))} | insert {written}", x,
                       dtype="float64")
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)  # copies, nothing computed


# (s, k, p, d): output_padding is left out, as `pad` pads both sides alike
CASES = [(2, 3, 0, 1), (2, 4, 1, 1), (3, 3, 1, 1), (2, 3, 1, 2), (3, 5, 2, 1), (1, 3, 1, 1)]


@pytest.mark.parametrize("s, k, p, d", CASES)
def test_insert_pad_conv_equals_conv_transpose2d(s, k, p, d):
    torch = _torch()
    F = torch.nn.functional
    c_in, c_out, n = 3, 4, (5, 6)
    x = RNG.standard_normal((2, c_in) + n)
    w = RNG.standard_normal((c_in, c_out, k, k))   # ConvTranspose2d's layout: in, out, k, k
    b = RNG.standard_normal(c_out)
    theirs = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                                stride=s, padding=p, dilation=d).numpy()
    spec = (f"input {c_in}x{n[0]}x{n[1]} | insert {s} | pad {d * (k - 1) - p} | "
            f"c: conv {c_out} k{k} d{d}")
    flipped = np.ascontiguousarray(w[:, :, ::-1, ::-1].swapaxes(0, 1))  # out, in, k, k
    ours = cnncalc.run(spec, x, weights={"c.weight": flipped, "c.bias": b}, dtype="float64")
    assert ours.shape == theirs.shape
    # (n − 1)s − 2p + d(k − 1) + 1: the transposed convolution's own size formula
    assert ours.shape[2:] == tuple((m - 1) * s - 2 * p + d * (k - 1) + 1 for m in n)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)


def test_the_course_example_equals_conv_transpose2d():
    torch = _torch()
    F = torch.nn.functional
    x = RNG.standard_normal((1, 1, 2, 2))
    w = RNG.standard_normal((1, 1, 3, 3))
    theirs = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), stride=2).numpy()
    ours = cnncalc.run("zero_insertion", x, dtype="float64",
                       weights={"conv1.weight": w[:, :, ::-1, ::-1].copy(),
                                "conv1.bias": np.zeros(1)})
    assert ours.shape == theirs.shape == (1, 1, 5, 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-9)


def test_the_catalogue_lists_it():
    result = CliRunner().invoke(main, ["layers", "zeroinsert"])
    assert result.exit_code == 0, result.output
    assert "insert [S]" in result.output and "(n - 1)s + 1" in result.output


def test_explain_works_the_size_out():
    result = CliRunner().invoke(main, ["explain", "input 1x2x2 | insert 2 | pad 2 | conv 1 k3"])
    assert result.exit_code == 0, result.output
    assert "(2 − 1)·2 + 1 = 3" in result.output   # the course's 2x2 → 3x3
