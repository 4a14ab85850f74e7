"""LeCun's connections (the sum over output units of their inputs, plus 1 for a bias) where
the units do not all read alike: transposed convolutions, whose taps meet unevenly and are
cropped, and adaptive pooling, whose windows differ. Expected figures by hand, and checked
against a count of every (input, tap) pair or window written out in the test."""

import itertools

import pytest

import cnncalc


def rows(spec):
    return cnncalc.analyze(spec).rows


def landed(n, k, s, p, d, out):
    """Brute force: (input i, tap t) pairs with 0 <= i·s − p + t·d < out."""
    return sum(1 for i, t in itertools.product(range(n), range(k)) if 0 <= i * s - p + t * d < out)


def test_a_cropping_deconv_counts_the_taps_that_land():
    # deconv 1 k4 s2 p3 on 3: output (3 − 1)·2 − 2·3 + 4 = 2; input i lands through tap t at
    # 2i − 3 + t: (i, t) = (2, 0) at 1, (1, 1) at 0, (1, 2) at 1, (0, 3) at 0 — 4 inputs,
    # plus a bias for each of the 2 outputs
    (row,) = rows("input 1x3 | deconv 1 k4 s2 p3")
    assert row.output_shape == (1, 2)
    assert landed(3, 4, 2, 3, 1, 2) == 4
    assert row.connections == 4 + 2


def test_a_deconv_with_output_padding_in_two_dimensions():
    # 3x3 → (3 − 1)·2 − 2 + 3 + 1 = 6 per axis; per axis 2 + 3 + 3 = 8 pairs land (tap 0
    # misses at i = 0); 2 input maps x 8·8 x 4 output maps = 512, and 4·36 biases
    (row,) = rows("input 2x3x3 | deconv 4 k3 s2 p1 op1")
    assert row.output_shape == (4, 6, 6)
    assert landed(3, 3, 2, 1, 1, 6) == 8
    assert row.connections == 2 * 8 * 8 * 4 + 4 * 36 == 656


@pytest.mark.parametrize("n, k, s, p, d, op", [(5, 3, 2, 1, 1, 0), (4, 4, 3, 2, 1, 1),
                                                (6, 3, 1, 2, 2, 0), (3, 5, 2, 3, 1, 1)])
def test_deconv_connections_agree_with_a_count_of_every_pair(n, k, s, p, d, op):
    (row,) = rows(f"input 1x{n} | deconv 1 k{k} s{s} p{p} d{d} op{op} nobias")
    out = row.output_shape[1]
    assert out == (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    assert row.connections == landed(n, k, s, p, d, out)


def test_a_symbolic_deconv():
    # k3 s2 p1 on H: output 2H − 1; taps 0, 1, 2 land for H − 1, H and H − 1 inputs, plus
    # 2H − 1 biases: 5H − 3 (H = 4: 17 and 7 → 24 by the count)
    (row,) = rows("input 1xH | deconv 1 k3 s2 p1")
    assert str(row.connections) == "5*H - 3"
    assert landed(4, 3, 2, 1, 1, 7) + 7 == 5 * 4 - 3


def test_adaptive_pooling_counts_each_window():
    # 6 → 4 windows [0, 2), [1, 3), [3, 5), [4, 6): 2 + 2 + 2 + 2 = 8 per channel, 2 channels
    (row,) = rows("input 2x6 | maxpool out=4")
    windows = [(i * 6 // 4, -(-(i + 1) * 6 // 4)) for i in range(4)]
    assert windows == [(0, 2), (1, 3), (3, 5), (4, 6)]
    assert row.connections == 2 * sum(b - a for a, b in windows) == 16
    # 5 → 3 windows of 2, 3 and 2 per axis: 7 x 7 in 2-D
    (row,) = rows("input 1x5x5 | avgpool out=3")
    assert row.connections == 7 * 7


def test_adaptive_pooling_on_a_symbolic_size():
    # out=4 on H: H + 4 − gcd(H, 4); at H = 6, 6 + 4 − 2 = 8 windows' inputs, as above
    (row,) = rows("input 1xH | avgpool out=4")
    (H,) = row.connections.free_symbols
    for h, expected in ((6, 8), (8, 8), (5, 8), (7, 10)):
        windows = [(i * h // 4, -(-(i + 1) * h // 4)) for i in range(4)]
        assert sum(b - a for a, b in windows) == expected
        assert row.connections.subs(H, h) == expected
