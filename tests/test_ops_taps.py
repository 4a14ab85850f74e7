"""The executor's tap loops against torch.nn.functional, in float64: convolution windows
copied tap by tap in bands of output rows (the bands forced small here, so a net's worth of
them, and a short last one, are exercised), pooling folded tap by tap, and adaptive pooling
whose windows are even (one reduction) or of one (nothing to do). Strides, dilations,
paddings (asymmetric too), groups, batches, and 1-D, 2-D, 3-D inputs. Skips cleanly without
torch."""

import numpy as np
import pytest

from cnncalc import ops

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(11)
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def torch_conv(x, w, b, s, pads, d, g):
    """PyTorch pads symmetrically: asymmetric padding goes through F.pad first."""
    flat = [p for before, after in reversed(pads) for p in (before, after)]
    xt = F.pad(torch.from_numpy(x), flat)
    return CONV[w.ndim - 2](xt, torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                            s, 0, d, g).numpy()


@pytest.mark.parametrize("band_bytes", [1, 2000, 4 * 2 ** 20])
@pytest.mark.parametrize("n, c, out, size, k, s, pads, d, g, bias", [
    (1, 3, 4, (9, 11), (3, 3), (1, 1), [(1, 1), (1, 1)], (1, 1), 1, True),
    (2, 4, 6, (10, 9), (3, 5), (2, 1), [(1, 1), (2, 2)], (1, 1), 1, False),
    (2, 4, 8, (10, 10), (3, 3), (1, 1), [(2, 2), (2, 2)], (2, 2), 2, True),
    (1, 4, 4, (8, 8), (3, 3), (2, 2), [(1, 1), (1, 1)], (1, 1), 4, True),     # depthwise
    (1, 3, 5, (8, 9), (4, 4), (1, 1), [(1, 2), (1, 2)], (1, 1), 1, True),     # same, k even
    (1, 2, 3, (5, 5), (2, 2), (1, 1), [(4, 4), (4, 4)], (3, 3), 1, False),    # full padding
    (1, 3, 4, (7, 7), (3, 3), (3, 2), [(0, 0), (0, 0)], (1, 1), 1, True),     # untiled
    (1, 3, 4, (9, 12), (2, 3), (1, 3), [(0, 0), (2, 2)], (1, 2), 1, True),    # s3 d2 on W
    (2, 3, 4, (15, 16), (7, 7), (2, 2), [(3, 3), (3, 3)], (1, 1), 1, False),  # a stem
    (1, 6, 4, (9, 9), (1, 1), (1, 1), [(1, 1), (1, 1)], (1, 1), 2, True),     # 1x1, padded
    (2, 6, 4, (9, 9), (1, 1), (2, 2), [(0, 0), (0, 0)], (1, 1), 2, True),     # 1x1, strided
    (2, 3, 4, (13,), (3,), (2,), [(1, 1)], (2,), 1, True),                     # 1-D
    (1, 2, 3, (5, 6, 7), (3, 3, 3), (2, 1, 1), [(1, 1), (1, 1), (0, 0)], (1, 1, 2), 1, True),
    (1, 2, 3, (5, 6, 9), (3, 2, 3), (1, 2, 2), [(1, 1), (0, 0), (1, 1)], (1, 1, 2), 1, True),
])
def test_conv(monkeypatch, band_bytes, n, c, out, size, k, s, pads, d, g, bias):
    monkeypatch.setattr(ops, "CHUNK_BYTES", band_bytes)
    x = RNG.standard_normal((n, c) + size)
    w = RNG.standard_normal((out, c // g) + k)
    b = RNG.standard_normal(out) if bias else None
    count = []
    ours = ops.conv(x, w, b, s, pads, d, g, count)
    theirs = torch_conv(x, w, b, s, pads, d, g)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    # the matmul dimensions performed: N·g·(OUT/g)·(C/g·prod(k))·positions
    assert count == [n * g * (out // g) * (c // g * int(np.prod(k))) * int(np.prod(ours.shape[2:]))]


def test_conv_float32_stays_float32():
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    w = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    y = ops.conv(x, w, np.ones(4, np.float32), (1, 1), [(1, 1)] * 2, (1, 1), 1)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, torch_conv(x, w, np.ones(4, np.float32), (1, 1),
                                             [(1, 1)] * 2, (1, 1), 1), rtol=1e-4, atol=1e-4)


POOL = {("max", 1): F.max_pool1d, ("max", 2): F.max_pool2d, ("max", 3): F.max_pool3d,
        ("avg", 1): F.avg_pool1d, ("avg", 2): F.avg_pool2d, ("avg", 3): F.avg_pool3d}


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("size, k, s, p, d, ceil", [
    ((9, 9), (3, 3), (2, 2), (1, 1), (1, 1), False),
    ((9, 9), (3, 3), (2, 2), (1, 1), (1, 1), True),
    ((8, 7), (3, 2), (2, 3), (1, 0), (1, 1), True),
    ((10, 9), (2, 3), (2, 2), (0, 1), (2, 1), True),    # dilated (max only)
    ((7, 7), (2, 2), (2, 2), (0, 0), (1, 1), False),    # untiled: the last row unused
    ((11,), (3,), (2,), (1,), (1,), True),
    ((5, 6, 7), (3, 2, 3), (2, 2, 1), (1, 1, 0), (1, 1, 1), True),
])
def test_pool(mode, size, k, s, p, d, ceil):
    if mode == "avg" and d != (1,) * len(k):
        pytest.skip("PyTorch's average pooling has no dilation")
    from cnncalc import formulas as f

    x = RNG.standard_normal((2, 3) + size)
    extra = []
    for n, ki, si, pi, di in zip(size, k, s, p, d):
        o = f.pool_out_ceil(n, ki, si, pi, 2 * pi, di) if ceil else \
            f.conv_out(n, ki, si, 2 * pi, di)
        extra.append(max(0, (o - 1) * si + di * (ki - 1) + 1 - (n + 2 * pi)))
    ours = ops.pool(x, mode, k, s, [(pi, pi) for pi in p], d, extra)
    fn = POOL[(mode, len(k))]
    xt = torch.from_numpy(x)
    if mode == "max":
        theirs = fn(xt, k, s, p, d, ceil_mode=ceil).numpy()
    else:
        theirs = fn(xt, k, s, p, ceil_mode=ceil).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_pool_keeps_its_input_and_the_dtype():
    x = RNG.standard_normal((1, 2, 6, 6)).astype(np.float32)
    before = x.copy()
    for mode in ("max", "avg"):
        y = ops.pool(x, mode, (3, 3), (1, 1), [(0, 0), (0, 0)], (1, 1), [0, 0])
        assert y.dtype == np.float32
    np.testing.assert_array_equal(x, before)


ADAPTIVE = {("max", 1): F.adaptive_max_pool1d, ("max", 2): F.adaptive_max_pool2d,
            ("max", 3): F.adaptive_max_pool3d, ("avg", 1): F.adaptive_avg_pool1d,
            ("avg", 2): F.adaptive_avg_pool2d, ("avg", 3): F.adaptive_avg_pool3d}


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("size, out", [
    ((7, 7), (7, 7)),          # windows of one (VGG at 224): the input itself
    ((6, 8), (3, 8)),          # equal windows on one axis, none on the other
    ((12, 9), (4, 3)),
    ((10, 8), (3, 4)),         # uneven windows, and even ones
    ((9,), (3,)),
    ((4, 6, 9), (2, 4, 9)),
])
def test_adaptive_pool(mode, size, out):
    x = RNG.standard_normal((2, 3) + size)
    ours = ops.adaptive_pool(x, mode, out)
    theirs = ADAPTIVE[(mode, len(size))](torch.from_numpy(x), out)
    theirs = (theirs[0] if isinstance(theirs, tuple) else theirs).numpy()
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
